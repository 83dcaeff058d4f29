import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { inTransaction } from './transaction.ts';

/**
 * Versioned SQL migrations. Each component (the event store, each projection) keeps its own folder
 * of `NNN_name.sql` files; a file once applied must not change (its checksum is kept), so a
 * database always matches the code that built it. Running twice, or from two processes at once,
 * applies each file exactly once.
 */
export interface MigrationSource {
  component: string;
  dir: string;
}

export interface Migration {
  component: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(source: MigrationSource): Promise<Migration[]> {
  const files = (await readdir(source.dir)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(source.dir, file), 'utf8');
      return {
        component: source.component,
        version: Number(file.slice(0, 3)),
        name: file.slice(4, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

export class MigrationChecksumError extends Error {
  constructor(m: Migration) {
    super(`migration ${m.component}/${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
  }
}

/** Applies what is missing, each file in its own transaction; returns the names applied. */
export async function migrate(pool: pg.Pool, sources: MigrationSource[]): Promise<string[]> {
  const applied: string[] = [];
  // One migrator at a time across processes: every step takes the lock first, and it ends with its transaction.
  const locked = (work: (client: pg.PoolClient) => Promise<unknown>) =>
    inTransaction(pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('gongwen.migrate'))");
      await work(client);
    });
  // The bookkeeping table under the lock too: two processes running CREATE TABLE IF NOT EXISTS at
  // once race on the catalog (the loser gets 23505, 42P07 or 42710 for the row type), so they queue.
  await locked((client) =>
    client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component text NOT NULL, version int NOT NULL, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`),
  );
  for (const source of sources) {
    for (const m of await loadMigrations(source)) {
      await locked(async (client) => {
        const { rows } = await client.query<{ checksum: string }>(
          'SELECT checksum FROM schema_migrations WHERE component = $1 AND version = $2',
          [m.component, m.version],
        );
        if (rows[0]) {
          if (rows[0].checksum !== m.checksum) throw new MigrationChecksumError(m);
          return;
        }
        await client.query(m.sql);
        await client.query(
          'INSERT INTO schema_migrations (component, version, name, checksum) VALUES ($1, $2, $3, $4)',
          [m.component, m.version, m.name, m.checksum],
        );
        applied.push(`${m.component}/${String(m.version).padStart(3, '0')}_${m.name}`);
      });
    }
  }
  return applied;
}
