// archiver 8 ships no types (DefinitelyTyped's describe archiver 6, whose API differs): the part used here.
declare module 'archiver' {
  import type { Transform } from 'node:stream';
  export interface EntryData {
    name: string;
    date?: Date | string;
    mode?: number;
  }
  export class ZipArchive extends Transform {
    constructor(options?: { zlib?: { level?: number }; forceLocalTime?: boolean; store?: boolean });
    append(source: Buffer | string | NodeJS.ReadableStream, data: EntryData): this;
    finalize(): Promise<void>;
    pointer(): number;
    abort(): this;
  }
}
