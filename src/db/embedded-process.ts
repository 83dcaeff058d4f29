import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A reason the embedded server cannot run that the operator fixes (printed as one message, no stack). */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/** The `postgres` system user the binaries run as when the ledger runs as root (PostgreSQL refuses root). */
export interface PostgresAccount {
  uid: number;
  gid: number;
}

/** null when not root; as root, the `postgres` user, created on first use (root-only CI containers). */
export async function postgresAccount(): Promise<PostgresAccount | null> {
  if (process.getuid?.() !== 0) return null;
  const lookUp = (): PostgresAccount | null => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookUp();
  if (found) return found;
  spawnSync('groupadd', ['postgres'], { stdio: 'ignore' });
  spawnSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  const created = lookUp();
  if (!created) throw new EmbeddedPostgresError('以 root 运行时需要 postgres 系统用户，创建失败 (as root the embedded PostgreSQL needs a postgres system user; creating it failed): create it, run as an ordinary user, or set DATABASE_URL');
  return created;
}

/** The first folder on the way to any of `paths` that the account cannot enter, or null. */
export function unreachableFor(account: PostgresAccount, paths: string[]): string | null {
  for (const path of paths) {
    const chain: string[] = [];
    for (let p = path; ; p = dirname(p)) {
      chain.unshift(p);
      if (dirname(p) === p) break;
    }
    for (const folder of chain) {
      const entered = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'check', folder], { uid: account.uid, gid: account.gid, stdio: 'ignore' });
      if (entered.status !== 0) return folder;
    }
  }
  return null;
}

/** Who started the embedded server of a data folder, and on which port (so a restart keeps it). */
interface Owner {
  pid: number;
  port: number;
}

export async function readOwner(root: string): Promise<Owner | null> {
  try {
    const parsed = JSON.parse(await readFile(join(root, 'embedded-postgres.json'), 'utf8')) as Partial<Owner>;
    return Number.isInteger(parsed.pid) && Number.isInteger(parsed.port) ? (parsed as Owner) : null;
  } catch {
    return null;
  }
}

export async function writeOwner(root: string, owner: Owner): Promise<void> {
  await writeFile(join(root, 'embedded-postgres.json'), `${JSON.stringify(owner)}\n`);
}

/**
 * The postmaster running on `databaseDir`, from its postmaster.pid (pid on line 1, port on line 4),
 * if that process is alive and is a postgres of this folder (a pid file left by a crash, its pid
 * reused by something else, does not count: PostgreSQL itself replaces such a file).
 */
export async function livePostmaster(databaseDir: string): Promise<{ pid: number; port: number } | null> {
  let lines: string[];
  try {
    lines = (await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null;
  if (!processAlive(pid)) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline[0]?.endsWith('postgres') || !cmdline.includes(databaseDir)) return null;
  } catch {
    // No /proc (macOS): trust the pid file.
  }
  return { pid, port };
}

/** Waits until the process is gone; false after `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!processAlive(pid)) return true;
    if (Date.now() > until) return false;
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** Whether the process runs (a zombie no one reaps, as under a container's bare PID 1, does not). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
