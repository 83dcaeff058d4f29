import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { allMigrations, createPool } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * Real PostgreSQL for tests. `test/run.mjs` starts one server for the whole suite and passes its
 * admin URL in GONGWEN_TEST_ADMIN_URL (or uses DATABASE_URL's server); a file run on its own starts
 * a private embedded server. Every call gets a fresh database, dropped when the file ends.
 */
let ownServer: Promise<EmbeddedServer> | undefined;
let openDatabases = 0;

async function adminUrl(): Promise<string> {
  const given = process.env.GONGWEN_TEST_ADMIN_URL ?? process.env.DATABASE_URL;
  if (given) return given;
  if (!ownServer) {
    ownServer = mkdtemp(join(tmpdir(), 'gongwen-test-')).then((dir) => startEmbeddedPostgres(dir, { persistent: false }));
  }
  const server = await ownServer;
  return server.adminUrl;
}

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  name: string;
  /** Registers clean-up that must run before the pool ends (anything holding a client from it). */
  beforeClose(fn: () => Promise<void>): void;
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  pool.on('error', () => {});
  if (opts.migrate !== false) await migrate(pool, allMigrations);
  const closers: (() => Promise<void>)[] = [];
  openDatabases++;
  after(async () => {
    for (const close of closers.reverse()) await close();
    await pool.end();
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    // A file run on its own stops its private server with its last database; a later suite of
    // the same file starts another.
    if (--openDatabases === 0 && ownServer) {
      const server = ownServer;
      ownServer = undefined;
      await (await server).stop();
    }
  });
  return { url: url.toString(), pool, name, beforeClose: (fn) => closers.push(fn) };
}
