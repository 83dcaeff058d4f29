import { createHash } from 'node:crypto';
import pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import type { Projection } from './projection.ts';

/**
 * A fingerprint of a projection's rows: SM3 over every row of every table, in an order that does
 * not depend on how the rows were written (ORDER BY every column, as text, byte order), with each
 * table's columns and row count. Two builds of a projection from the same events — incremental and
 * rebuilt, in batches of 1 or 1000, before and after a crash — must have the same digest
 * (`gongwen rebuild --check`, the cross-projection tests).
 */

export interface TableDigest {
  table: string;
  rows: number;
  /** SM3 hex over the table's columns and rows. */
  digest: string;
}

export interface ProjectionDigest {
  projection: string;
  /** SM3 hex over the tables' digests. */
  digest: string;
  tables: TableDigest[];
}

const FETCH = 5_000;

/**
 * `db` is a pool (the digest is taken in one read-only REPEATABLE READ transaction, so all tables
 * are read from one snapshot) or a client already inside a transaction (e.g. a projection's own
 * batch, to see its uncommitted rows).
 */
export async function projectionDigest(db: pg.Pool | pg.ClientBase, projection: Projection): Promise<ProjectionDigest> {
  return (await inSnapshot(db, (client) => digestTables(client, projection)))!;
}

/** Every projection's digest, from one snapshot, keyed by projection name in the given order. */
export async function digestAll(db: pg.Pool | pg.ClientBase, projections: readonly Projection[]): Promise<Record<string, ProjectionDigest>> {
  return inSnapshot(db, async (client) => {
    const out: Record<string, ProjectionDigest> = {};
    for (const p of projections) out[p.name] = await digestTables(client, p);
    return out;
  });
}

/** Row counts by table, for assertions and reports. */
export const rowCounts = (d: ProjectionDigest): Record<string, number> => Object.fromEntries(d.tables.map((t) => [t.table, t.rows]));

async function inSnapshot<T>(db: pg.Pool | pg.ClientBase, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (!(db instanceof pg.Pool)) return work(db);
  return inTransaction(db, work, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

async function digestTables(client: pg.ClientBase, projection: Projection): Promise<ProjectionDigest> {
  const tables: TableDigest[] = [];
  // Table order is the name's, not the declaration's: reordering `tables` changes nothing stored.
  for (const table of [...projection.tables].sort()) tables.push(await digestTable(client, table));
  const h = createHash('sm3');
  for (const t of tables) h.update(`${t.table}\u0000${t.rows}\u0000${t.digest}\n`);
  return { projection: projection.name, digest: h.digest('hex'), tables };
}

async function digestTable(client: pg.ClientBase, table: string): Promise<TableDigest> {
  const { rows: columns } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  if (columns.length === 0) throw new Error(`table ${table} has no columns`);
  const h = createHash('sm3');
  h.update(`${table}(${columns.map((c) => `${c.name} ${c.type}`).join(', ')})\n`);
  // Every value as text, so the digest is over what PostgreSQL prints, not what the driver parses
  // (timestamps, numerics and jsonb survive exactly); NULL is told apart from every string.
  const values = columns.map((c) => `${pg.escapeIdentifier(c.name)}::text`);
  const order = values.map((v) => `${v} COLLATE "C" NULLS FIRST`).join(', ');
  const cursor = `digest_${Math.random().toString(36).slice(2)}`;
  await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${values.join(', ')} FROM ${table} ORDER BY ${order}`);
  let count = 0;
  for (;;) {
    const { rows } = await client.query<unknown[]>({ text: `FETCH ${FETCH} FROM ${cursor}`, rowMode: 'array' });
    for (const row of rows) {
      for (const value of row) {
        if (value === null) h.update('\u0001');
        else {
          const text = String(value);
          h.update(`\u0002${Buffer.byteLength(text)}:`);
          h.update(text);
        }
      }
      h.update('\n');
    }
    count += rows.length;
    if (rows.length < FETCH) break;
  }
  // Only on success: after a failed FETCH the transaction is aborted and takes the cursor with it.
  await client.query(`CLOSE ${cursor}`);
  return { table, rows: count, digest: h.digest('hex') };
}
