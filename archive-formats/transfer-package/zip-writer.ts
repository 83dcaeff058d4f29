import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { ZipArchive } from 'archiver';

export type DigestAlgorithm = 'md5' | 'sha256' | 'sm3';

export interface WrittenFile {
  path: string;
  size: number;
  digests: Partial<Record<DigestAlgorithm, string>>;
}

// Node's OpenSSL has SM3 (src/integrity/sm3.ts relies on it too).
const digestOf = (algorithm: DigestAlgorithm, bytes: Uint8Array): string => createHash(algorithm).update(bytes).digest('hex');

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
    coalesceCentralDirectory(this.zip);
    this.zip.pipe(out);
    this.done = once(out, 'finish');
  }

  /** `list: false` keeps the file out of `written` (the manifests and the readme are not listed in themselves). */
  async add(path: string, bytes: Uint8Array, opts: { list?: boolean } = {}): Promise<WrittenFile> {
    const file = this.claim(path, bytes.byteLength);
    for (const a of this.algorithms) file.digests[a] = digestOf(a, bytes);
    this.pending++;
    this.zip.append(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name: path, date: this.date, mode: 0o644 });
    while (this.pending > 4 && !this.failure) await once(this.zip, 'entry');
    return this.listed(file, opts);
  }

  /**
   * A file produced piece by piece (a manifest of 55,000 lines): zipped and digested as the pieces
   * come, so the whole file is never one string or Buffer. Resolves once the zip has taken it all.
   */
  async addChunks(path: string, chunks: Iterable<Buffer>, opts: { list?: boolean } = {}): Promise<WrittenFile> {
    const file = this.claim(path, 0);
    const hashes = this.algorithms.map((a) => [a, createHash(a)] as const);
    const source = Readable.from(
      (function* () {
        for (const chunk of chunks) {
          for (const [, h] of hashes) h.update(chunk);
          file.size += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    this.pending++;
    this.zip.append(source, { name: path, date: this.date, mode: 0o644 });
    while (this.pending > 0 && !this.failure) await once(this.zip, 'entry');
    if (this.failure) throw this.failure;
    for (const [a, h] of hashes) file.digests[a] = h.digest('hex');
    return this.listed(file, opts);
  }

  /** A new path's record, once the zip has not failed and the path is not in it yet. */
  private claim(path: string, size: number): WrittenFile {
    if (this.failure) throw this.failure;
    if (this.paths.has(path)) throw new Error(`包内路径重复：${path} (duplicate path in package)`);
    this.paths.add(path);
    return { path, size, digests: {} };
  }

  private listed(file: WrittenFile, opts: { list?: boolean }): WrittenFile {
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

/** The part of archiver's zip engine (zip-stream on compress-commons) that writes the central directory. */
interface ZipEngine {
  offset: number;
  write(chunk: Buffer | string): boolean;
  end(...args: unknown[]): unknown;
  _finish(): void;
}

const COALESCE_BYTES = 1 << 16;

/**
 * compress-commons writes the central directory in one synchronous loop of about twenty small
 * writes per entry (a 2- or 4-byte Buffer each), so nothing drains until it ends: for a year of
 * 55,000 files that is a million queued Buffers, hundreds of MB, at the very end of an export
 * whose items streamed in flat memory. Here those writes are gathered into 64 KB chunks while
 * `_finish` runs — the same bytes in the same order, and `offset` kept exact for the offsets the
 * end records compute — so the directory costs its own size (~130 bytes a file), not ~5 KB.
 * Internal API (archiver 8 / zip-stream 7 / compress-commons 7): checked here, so an upgrade that
 * moves it fails the first export loudly instead of silently bringing the queue back.
 */
export function coalesceCentralDirectory(zip: ZipArchive): void {
  const engine = (zip as unknown as { _module?: { engine?: Partial<ZipEngine> } })._module?.engine;
  if (!engine || typeof engine._finish !== 'function' || typeof engine.write !== 'function' || typeof engine.offset !== 'number') {
    throw new Error('archiver 的 zip 引擎结构已变，无法合并中央目录写入 (archiver internals changed: zip-stream engine with _finish/write/offset not found)');
  }
  const e = engine as ZipEngine;
  const finish = e._finish;
  e._finish = function (this: ZipEngine) {
    const write = this.write;
    const end = this.end;
    let parts: Buffer[] = [];
    let size = 0;
    const flush = () => {
      if (parts.length === 0) return;
      const chunk = Buffer.concat(parts, size);
      parts = [];
      size = 0;
      // The real write adds the chunk's length to offset, which the collector has already counted.
      this.offset -= chunk.length;
      write.call(this, chunk);
    };
    // An ASCII name (no UTF-8 flag) and the empty comment come as strings, which the stream would
    // encode as UTF-8; offset counts their length as the real write does.
    this.write = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      parts.push(bytes);
      size += bytes.length;
      this.offset += chunk.length;
      if (size >= COALESCE_BYTES) flush();
      return true;
    };
    this.end = (...args: unknown[]) => {
      flush();
      this.write = write;
      this.end = end;
      return end.apply(this, args);
    };
    finish.call(this);
  };
}
