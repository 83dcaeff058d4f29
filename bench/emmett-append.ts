/**
 * The peer in the append bench (issue 16, item 2): Emmett's PostgreSQL event store
 * (`@event-driven-io/emmett-postgresql`, a dev dependency used only here), appending the same
 * events to new streams on the same database, with the same pool size, as the ledger's runs it is
 * interleaved with. Emmett's append is BEGIN, one call of its `emt_append_to_stream` function (the
 * statement built as text each time) and COMMIT; it keeps no hash chain, MAC or command idempotency.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';

export interface PeerStore {
  /** One append of `events` (type and data) to a new stream, expecting it not to exist. */
  appendNewStream(events: { type: string; data: Record<string, unknown> }[]): Promise<void>;
  close(): Promise<void>;
}

export async function openEmmettStore(url: string, maxConnections: number): Promise<PeerStore> {
  // The parsers pg uses are global to the process. Emmett's driver (dumbo) installs its own for
  // int8 (BigInt) and json/jsonb on first use; the ledger's store, running in this same process,
  // relies on the ones src/db/database.ts installs. Kept aside and put back: Emmett's append reads
  // only int8 values, which it converts with BigInt() either way.
  const saved = [pg.types.builtins.INT8, pg.types.builtins.JSON, pg.types.builtins.JSONB].map((oid) => [oid, pg.types.getTypeParser(oid)] as const);
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  pool.on('error', () => {});
  const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
  for (const [oid, parser] of saved) pg.types.setTypeParser(oid, parser as (value: string) => unknown);
  // The schema (created on the first append) is made here, outside the timed runs.
  await store.schema.migrate();
  return {
    async appendNewStream(events) {
      await store.appendToStream(`bench-${randomUUID()}`, events, { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
