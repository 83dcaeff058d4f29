import type pg from 'pg';
import { allEventDefinitions } from '../../schemas/events/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { auditRow, type AuditRow } from './entry.ts';
import { hashStatus, type StreamTip } from './hash-status.ts';

const LAST_SEQ_SQL = 'SELECT coalesce(max(feed_seq), 0)::bigint AS last FROM audit_entries';

// The newest entry of each stream the batch touches: one index probe per stream.
const TIPS_SQL = `SELECT s.stream_id, t.revision, t.hash
  FROM unnest($1::text[]) AS s(stream_id)
  CROSS JOIN LATERAL (
    SELECT a.revision, a.hash FROM audit_entries a
     WHERE a.stream_id = s.stream_id ORDER BY a.revision DESC LIMIT 1
  ) t`;

/** Column name → SQL type of audit_entries, in AuditRow order. */
const COLUMNS: readonly [keyof AuditRow, string][] = [
  ['feed_seq', 'bigint'], ['position', 'text'], ['global_position', 'bigint'], ['stream_id', 'text'],
  ['revision', 'bigint'], ['event_id', 'uuid'], ['type', 'text'], ['action', 'text'],
  ['actor_user_id', 'text'], ['actor_unit_id', 'text'], ['actor_role', 'text'], ['command_id', 'text'],
  ['correlation_id', 'text'], ['document_id', 'text'], ['subject_unit_id', 'text'], ['subject_user_id', 'text'],
  ['occurred_at', 'timestamptz'], ['recorded_at', 'timestamptz'], ['late_recorded', 'boolean'],
  ['hash', 'text'], ['prev_hash', 'text'], ['hash_status', 'text'],
];

// One array per column: PostgreSQL reads arrays faster than a jsonb document of the same rows,
// and this is the table a rebuild writes a row to for every event of the ledger.
const INSERT_SQL = `INSERT INTO audit_entries (${COLUMNS.map(([c]) => c).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

/**
 * Three round trips per batch whatever its size: the last feed number, the tips of the touched
 * streams, one bulk insert. Hashes are checked in memory, each against the previous event of its
 * stream — from the table, or from earlier in the same batch.
 */
async function apply(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void> {
  const { rows: seq } = await tx.query<{ last: number }>(LAST_SEQ_SQL);
  const last = Number(seq[0]!.last);
  const streamIds = [...new Set(events.map((e) => e.streamId))];
  const { rows: tipRows } = await tx.query<{ stream_id: string; revision: number; hash: string }>(TIPS_SQL, [streamIds]);
  const tips = new Map<string, StreamTip>(tipRows.map((r) => [r.stream_id, { revision: Number(r.revision), hash: r.hash }]));
  const rows: AuditRow[] = events.map((e, i) => {
    const status = hashStatus(e, tips.get(e.streamId));
    // The next event chains from this one as stored, whatever its own status: one bad row is
    // reported once, not again for every event after it.
    tips.set(e.streamId, { revision: e.revision, hash: e.hash });
    return auditRow(e, last + i + 1, status);
  });
  await tx.query(INSERT_SQL, COLUMNS.map(([c]) => rows.map((r) => r[c])));
}

/** The inspectors' tamper-evident trail: every event of the ledger, one entry each. */
export const auditProjection: Projection = {
  name: 'audit',
  version: 1,
  handles: new Set(allEventDefinitions.map((d) => d.type)),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  indexSql: schemaFile(new URL('./indexes.sql', import.meta.url)),
  tables: ['audit_entries'],
  apply,
};
