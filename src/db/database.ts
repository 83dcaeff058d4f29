import pg from 'pg';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrate, type MigrationSource } from './migrate.ts';

// Revisions and positions are int8 in SQL; they stay far below 2^53, so JavaScript numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export const coreMigrations: MigrationSource = {
  component: 'core',
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** Every migration the ledger applies at start-up, in order. Projections add theirs here. */
export const allMigrations: MigrationSource[] = [coreMigrations];

export function createPool(url: string, opts: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    // One stuck statement or a transaction left open must not stall every feed reader behind it:
    // readers wait for the oldest open transaction (see the event store), so bound them.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: 'gongwen',
    // While the server is down or restarting, a request waits this long for a connection, then
    // fails (DATABASE_UNAVAILABLE) instead of hanging in the pool's queue.
    connectionTimeoutMillis: 10_000,
  });
  // A client that loses its server while checked out (between two statements of a transaction)
  // emits 'error' on itself, which no pool listener covers: without this, a database restart
  // kills the process. Its borrower still sees the failure on its next statement.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export interface Database {
  url: string;
  pool: pg.Pool;
  /** Whether the ledger runs its own embedded server (no DATABASE_URL was given). */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded server in the data folder (or uses the one a
 * running ledger started there) and uses (creating on first start) its `gongwen` database; then
 * applies the migrations. `restartOnCrash`: the embedded server is restarted when it dies.
 */
export async function openDatabase(
  config: Config,
  opts: { migrate?: boolean; restartOnCrash?: boolean; onEvent?: (message: string) => void } = {},
): Promise<Database> {
  let url = config.DATABASE_URL;
  let stopServer: (() => Promise<void>) | undefined;
  if (!url) {
    const server = await startEmbeddedPostgres(config.GONGWEN_DATA_DIR, {
      persistent: true,
      restartOnCrash: opts.restartOnCrash,
      onEvent: opts.onEvent,
    });
    stopServer = server.stop;
    await ensureDatabase(server.adminUrl, 'gongwen');
    url = server.urlFor('gongwen');
  }
  const pool = createPool(url);
  // An idle client losing its server (restart, network) emits on the pool; without a listener that kills the process.
  pool.on('error', () => {});
  try {
    if (opts.migrate !== false) await migrate(pool, allMigrations);
  } catch (error) {
    await pool.end();
    await stopServer?.();
    throw error;
  }
  return {
    url,
    pool,
    embedded: Boolean(stopServer),
    async close() {
      await pool.end();
      await stopServer?.();
    },
  };
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created meanwhile by another process
    });
  } finally {
    await client.end();
  }
}
