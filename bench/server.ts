import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { allMigrations, createPool, ensureDatabase } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';

/** The PostgreSQL server of one bench run: DATABASE_URL's, or an embedded one started here. */
export async function startBenchServer(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const given = process.env.DATABASE_URL;
  if (given) return { adminUrl: given, stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-bench-'));
  const server = await startEmbeddedPostgres(dir, { persistent: false });
  return {
    adminUrl: server.adminUrl,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one section of the bench; `drop` ends the pool and drops it. */
export async function createBenchDatabase(adminUrl: string, label: string, opts: { maxConnections?: number } = {}): Promise<BenchDatabase> {
  const name = `bench_${label}_${Date.now()}`;
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), { max: opts.maxConnections ?? 20 });
  pool.on('error', () => {});
  await migrate(pool, allMigrations);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `once` in `writers` concurrent loops for `seconds`; returns completions per second. */
export async function forSeconds(writers: number, seconds: number, once: () => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < until) {
        await once();
        done++;
      }
    }),
  );
  return done / seconds;
}

export const round = (n: number, digits = 0): number => Number(n.toFixed(digits));
