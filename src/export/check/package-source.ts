import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import yauzl from 'yauzl';

/**
 * A package to check, read entry by entry without extracting anything: a zip (read in place with
 * yauzl, names left undecoded so that a hostile name is reported rather than rejected wholesale)
 * or a folder (walked with lstat; links are reported and never followed, so nothing outside the
 * folder is read).
 */
export interface PackageEntry {
  /** The name as the package gives it (zip: raw entry name; folder: relative path with /). */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  encrypted: boolean;
  size: number;
  read(): Promise<Buffer>;
}

export class UnreadablePackageError extends Error {
  override name = 'UnreadablePackageError';
}

export async function* packageEntries(location: string): AsyncGenerator<PackageEntry> {
  let info;
  try {
    info = await stat(location);
  } catch (error) {
    throw new UnreadablePackageError(`无法打开「${location}」：${(error as Error).message}`);
  }
  if (info.isDirectory()) yield* folderEntries(location);
  else yield* zipEntries(location);
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

async function* zipEntries(file: string): AsyncGenerator<PackageEntry> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((ok, fail) =>
      yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (e, z) => (e ? fail(e) : ok(z!))),
    );
  } catch (error) {
    throw new UnreadablePackageError(`「${file}」不是可读的 ZIP 文件：${(error as Error).message}`);
  }
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((ok, fail) => {
        const onEntry = (e: yauzl.Entry) => {
          zip.off('end', onEnd);
          zip.off('error', onError);
          ok(e);
        };
        const onEnd = () => {
          zip.off('entry', onEntry);
          zip.off('error', onError);
          ok(null);
        };
        const onError = (e: Error) => {
          zip.off('entry', onEntry);
          zip.off('end', onEnd);
          fail(new UnreadablePackageError(`ZIP 目录损坏：${e.message}`));
        };
        zip.once('entry', onEntry);
        zip.once('end', onEnd);
        zip.once('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      const raw = entry.fileName as unknown as Buffer;
      // Bit 11: UTF-8 names. Others are read as UTF-8 too (our packages, and most tools today).
      const path = raw.toString('utf8');
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const kind = mode === S_IFLNK ? 'symlink' : mode === S_IFDIR || path.endsWith('/') ? 'directory' : 'file';
      yield {
        path,
        kind,
        encrypted: entry.isEncrypted(),
        size: entry.uncompressedSize,
        read: () =>
          new Promise<Buffer>((ok, fail) => {
            zip.openReadStream(entry, (e, stream) => {
              if (e || !stream) return fail(e ?? new Error('no stream'));
              const chunks: Buffer[] = [];
              stream.on('data', (c: Buffer) => chunks.push(c));
              stream.on('error', fail);
              stream.on('end', () => ok(Buffer.concat(chunks)));
            });
          }),
      };
    }
  } finally {
    zip.close();
  }
}

async function* folderEntries(root: string): AsyncGenerator<PackageEntry> {
  const base = await realpath(root);
  async function* walk(dir: string): AsyncGenerator<PackageEntry> {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const full = join(dir, name);
      const rel = relative(base, full).split(sep).join('/');
      const st = await lstat(full);
      if (st.isSymbolicLink()) {
        yield { path: rel, kind: 'symlink', encrypted: false, size: 0, read: async () => Buffer.alloc(0) };
      } else if (st.isDirectory()) {
        yield { path: `${rel}/`, kind: 'directory', encrypted: false, size: 0, read: async () => Buffer.alloc(0) };
        yield* walk(full);
      } else if (st.isFile()) {
        yield { path: rel, kind: 'file', encrypted: false, size: st.size, read: () => readFile(full) };
      } else {
        yield { path: rel, kind: 'other', encrypted: false, size: 0, read: async () => Buffer.alloc(0) };
      }
    }
  }
  yield* walk(base);
}
