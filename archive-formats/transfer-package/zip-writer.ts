import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ZipArchive } from 'archiver';
import { sm3Hex } from '../../src/integrity/sm3.ts';

export type DigestAlgorithm = 'md5' | 'sha256' | 'sm3';

export interface WrittenFile {
  path: string;
  size: number;
  digests: Partial<Record<DigestAlgorithm, string>>;
}

const digestOf = (algorithm: DigestAlgorithm, bytes: Uint8Array): string =>
  algorithm === 'sm3' ? sm3Hex(bytes) : createHash(algorithm).update(bytes).digest('hex');

/**
 * The package as a zip (archiver), written as it is produced: each entry is handed to the zip
 * and the writer waits while more than a few are queued, so memory holds a few items, not the
 * year. Every entry gets the same fixed time and mode and entries keep the order they were added
 * in, so the same content gives the same bytes. Each file's digests are taken on the way.
 */
export class ZipWriter {
  private readonly zip = new ZipArchive({ zlib: { level: 6 } });
  private readonly files: WrittenFile[] = [];
  private readonly paths = new Set<string>();
  private pending = 0;
  private failure: Error | undefined;
  private readonly done: Promise<unknown>;

  constructor(
    out: Writable,
    private readonly date: Date,
    private readonly algorithms: readonly DigestAlgorithm[],
  ) {
    this.zip.on('entry', () => {
      this.pending--;
    });
    this.zip.on('error', (e: Error) => {
      this.failure = e;
    });
    this.zip.on('warning', (e: Error) => {
      this.failure = e;
    });
    this.zip.pipe(out);
    this.done = once(out, 'finish');
  }

  /** `list: false` keeps the file out of `written` (the manifests and the readme are not listed in themselves). */
  async add(path: string, bytes: Uint8Array, opts: { list?: boolean } = {}): Promise<WrittenFile> {
    if (this.failure) throw this.failure;
    if (this.paths.has(path)) throw new Error(`包内路径重复：${path} (duplicate path in package)`);
    this.paths.add(path);
    const file: WrittenFile = { path, size: bytes.byteLength, digests: {} };
    for (const a of this.algorithms) file.digests[a] = digestOf(a, bytes);
    this.pending++;
    this.zip.append(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name: path, date: this.date, mode: 0o644 });
    while (this.pending > 4 && !this.failure) await once(this.zip, 'entry');
    if (opts.list !== false) this.files.push(file);
    return file;
  }

  get written(): readonly WrittenFile[] {
    return this.files;
  }

  async finish(): Promise<number> {
    if (this.failure) throw this.failure;
    await this.zip.finalize();
    await this.done;
    if (this.failure) throw this.failure;
    return this.zip.pointer();
  }

  abort(): void {
    this.zip.abort();
  }
}
