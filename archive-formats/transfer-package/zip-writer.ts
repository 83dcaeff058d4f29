import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { ZipArchive } from 'archiver';
import { Spool } from './spool.ts';

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
 *
 * What a zip needs of every file only at its end — the central directory records, and the
 * manifests' "digest  path" lines — goes to spools in a temporary folder (removed at finish or
 * abort), so a year of 55,000 files costs the writer a path set and counters, not ~1 KB a file.
 */
export class ZipWriter {
  private readonly zip = new ZipArchive({ zlib: { level: 6 } });
  private readonly folder = mkdtempSync(join(tmpdir(), 'gongwen-zip-'));
  private readonly spools: Spool[] = [];
  private readonly lines = new Map<DigestAlgorithm, Spool>();
  private readonly paths = new Set<string>();
  private listedFiles = 0;
  private listedBytes = 0;
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
    for (const a of algorithms) this.lines.set(a, this.spool(`manifest-${a}`));
    spoolCentralDirectory(this.zip, this.spool('central-directory'));
    this.zip.pipe(out);
    this.done = once(out, 'finish');
  }

  private spool(name: string): Spool {
    const spool = new Spool(join(this.folder, name));
    this.spools.push(spool);
    return spool;
  }

  /** `list: false` keeps the file out of the listed files (the manifests and the readme are not listed in themselves). */
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
  async addChunks(path: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>, opts: { list?: boolean } = {}): Promise<WrittenFile> {
    const file = this.claim(path, 0);
    const hashes = this.algorithms.map((a) => [a, createHash(a)] as const);
    const source = Readable.from(
      (async function* () {
        for await (const chunk of chunks) {
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
    if (opts.list === false) return file;
    this.listedFiles++;
    this.listedBytes += file.size;
    for (const [a, spool] of this.lines) spool.append(Buffer.from(`${file.digests[a]}  ${file.path}\n`, 'utf8'));
    return file;
  }

  /** How many files were listed so far, and their bytes. */
  get listedTotals(): { files: number; bytes: number } {
    return { files: this.listedFiles, bytes: this.listedBytes };
  }

  /** "digest  path" per listed file so far, in the order added: a manifest's body. */
  manifestLines(algorithm: DigestAlgorithm): AsyncIterable<Buffer> {
    const spool = this.lines.get(algorithm);
    if (!spool) throw new Error(`本包未计算 ${algorithm} 摘要 (digest not taken for this package)`);
    return spool.read();
  }

  async finish(): Promise<number> {
    try {
      if (this.failure) throw this.failure;
      await this.zip.finalize();
      await this.done;
      if (this.failure) throw this.failure;
      return this.zip.pointer();
    } finally {
      this.removeSpools();
    }
  }

  abort(): void {
    this.zip.abort();
    this.removeSpools();
  }

  private removeSpools(): void {
    for (const spool of this.spools.splice(0)) spool.close();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** The part of archiver's zip engine (zip-stream on compress-commons) that keeps and writes the central directory. */
interface ZipEngine {
  offset: number;
  _entries: { readonly length: number; push(entry: unknown): number };
  _archive: { centralOffset: number; centralLength: number; processing: boolean; finish: boolean; finished: boolean };
  write(chunk: Buffer | string): boolean;
  end(): unknown;
  emit(event: 'error', error: unknown): boolean;
  isZip64(): boolean;
  _writeCentralFileHeader(entry: unknown): void;
  _writeCentralDirectoryZip64(): void;
  _writeCentralDirectoryEnd(): void;
  _finish(): void;
}

const ENGINE_METHODS = ['write', 'end', 'emit', 'isZip64', '_writeCentralFileHeader', '_writeCentralDirectoryZip64', '_writeCentralDirectoryEnd', '_finish'] as const;

/**
 * compress-commons keeps every entry's record (~700 bytes of objects) until the end, then writes
 * the central directory from them in one synchronous loop of about twenty 2- or 4-byte writes an
 * entry, all queued before anything drains (a million Buffers for 55,000 files). Here each
 * entry's central record is serialised as soon as its data is in the zip — its CRC, sizes and
 * offset are final then — and appended to a spool; only a count stays, which is all the end
 * records read of the entries. At the end the spool is copied into the zip in 64 KB chunks,
 * waiting for the output to drain, then the end records follow as compress-commons writes them.
 * The same bytes as archiver alone (tested, with and without ZIP64 records).
 * Internal API (archiver 8 / zip-stream 7 / compress-commons 7): checked here, so an upgrade that
 * moves it fails the first export loudly instead of silently keeping the entries again.
 */
export function spoolCentralDirectory(zip: ZipArchive, spool: Spool): void {
  const engine = (zip as unknown as { _module?: { engine?: Record<string, unknown> } })._module?.engine;
  if (
    !engine ||
    typeof engine.offset !== 'number' ||
    !Array.isArray(engine._entries) ||
    typeof engine._archive !== 'object' ||
    ENGINE_METHODS.some((m) => typeof engine[m] !== 'function')
  ) {
    throw new Error('archiver 的 zip 引擎结构已变，无法把中央目录写入临时文件 (archiver internals changed: zip-stream engine with _entries/_finish/_writeCentralFileHeader not found)');
  }
  const e = engine as unknown as ZipEngine;
  let parts: Buffer[] = [];
  // The header writer run against this stand-in collects its writes instead of sending them; an
  // ASCII name (no UTF-8 flag) and the empty comment come as strings, encoded as the stream would.
  const collector: ZipEngine = Object.create(e, {
    write: {
      value: (chunk: Buffer | string) => {
        parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
        return true;
      },
    },
  });
  let entries = 0;
  e._entries = {
    get length() {
      return entries;
    },
    push(entry: unknown) {
      e._writeCentralFileHeader.call(collector, entry);
      spool.append(Buffer.concat(parts));
      parts = [];
      return ++entries;
    },
  };
  e._finish = function (this: ZipEngine) {
    this._archive.centralOffset = this.offset;
    copyInto(this, spool).then(
      () => {
        this._archive.centralLength = this.offset - this._archive.centralOffset;
        if (this.isZip64()) this._writeCentralDirectoryZip64();
        this._writeCentralDirectoryEnd();
        this._archive.processing = false;
        this._archive.finish = true;
        this._archive.finished = true;
        this.end();
      },
      (error: unknown) => this.emit('error', error),
    );
  };
}

async function copyInto(engine: ZipEngine, spool: Spool): Promise<void> {
  for await (const chunk of spool.read()) if (!engine.write(chunk)) await once(engine as unknown as NodeJS.EventEmitter, 'drain');
}
