import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';

const FLUSH_BYTES = 1 << 16;

/**
 * Bytes a package needs only at its end (a manifest's lines, the zip's central directory records),
 * appended as the package is written and read back once, in order, from a temporary file: so they
 * cost disk, not memory, however many files the year has. Appends are synchronous (64 KB writes)
 * because the zip engine adds its records from synchronous code.
 */
export class Spool {
  private readonly fd: number;
  private parts: Buffer[] = [];
  private buffered = 0;
  private written = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx', 0o600);
  }

  append(bytes: Buffer): void {
    this.parts.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  /** Every byte appended so far. */
  get size(): number {
    return this.written + this.buffered;
  }

  private flush(): void {
    if (this.buffered === 0) return;
    const chunk = Buffer.concat(this.parts, this.buffered);
    this.parts = [];
    this.buffered = 0;
    for (let at = 0; at < chunk.length; ) at += writeSync(this.fd, chunk, at);
    this.written += chunk.length;
  }

  /** What was appended, in 64 KB chunks; appends made after this call are not read. */
  read(): AsyncIterable<Buffer> {
    this.flush();
    if (this.written === 0) return (async function* () {})();
    return createReadStream(this.path, { start: 0, end: this.written - 1, highWaterMark: FLUSH_BYTES });
  }

  close(): void {
    closeSync(this.fd);
  }
}
