import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { packageEntries } from '../../src/export/check/package-source.ts';
import { unsafePath } from '../../src/export/check/check-package.ts';

/** A package's files by path, read in place (for tests: the packages are small). */
export async function readPackage(zip: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const e of packageEntries(zip)) if (e.kind === 'file') out.set(e.path, await e.read());
  return out;
}

/** Writes the files into a fresh folder (paths checked first), to tamper with them there. */
export async function writeFolder(dir: string, files: Map<string, Buffer>): Promise<string> {
  for (const [path, bytes] of files) {
    if (unsafePath(path)) throw new Error(`unsafe path in test package: ${path}`);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  return dir;
}
