import { eventHash, GENESIS_HASH } from '../../src/integrity/event-hash.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import type { Actor } from '../../schemas/common.ts';
import { auditRow, type AuditRow } from './entry.ts';
import type { HashStatus } from './hash-status.ts';

/**
 * The hash status an inspector is shown, computed when the entry is served, from the event it
 * claims to show — never read from the read model, which anyone with SQL access could edit:
 *
 * - event_missing: no event at the entry's global position (a row inserted into the read model);
 * - entry_altered: the entry no longer says what its event says (another actor, another time,
 *   another act, another document …): the read model was edited;
 * - hash_mismatch / chain_broken: the event itself fails its hash or its link (see hash-status.ts);
 * - verified: the entry shows its event, and the event hashes and links correctly.
 *
 * The MAC and the Merkle log are `gongwen verify`'s part; `anchored` shows the latter per entry.
 */
export type ServedHashStatus = HashStatus | 'event_missing' | 'entry_altered';

/** Joined onto `audit_entries a`: the event it shows (ev) and that event's predecessor (pe). */
export const SERVED_EVENT_JOIN = `
    LEFT JOIN events ev ON ev.global_position = a.global_position
    LEFT JOIN events pe ON pe.stream_id = ev.stream_id AND pe.revision = ev.revision - 1`;

export const SERVED_EVENT_COLUMNS = `ev.event_id::text AS ev_event_id, ev.stream_id AS ev_stream_id, ev.revision AS ev_revision,
    ev.type AS ev_type, ev.schema_version AS ev_schema_version, ev.data AS ev_data, ev.occurred_at AS ev_occurred_at,
    ev.recorded_at AS ev_recorded_at, ev.actor AS ev_actor, ev.command_id AS ev_command_id, ev.correlation_id AS ev_correlation_id,
    ev.causation_id AS ev_causation_id, ev.prev_hash AS ev_prev_hash, ev.hash AS ev_hash, pe.hash AS ev_previous_hash`;

export interface ServedEventColumns {
  ev_event_id: string | null;
  ev_stream_id: string;
  ev_revision: number | string;
  ev_type: string;
  ev_schema_version: number;
  ev_data: unknown;
  ev_occurred_at: Date;
  ev_recorded_at: Date;
  ev_actor: Actor;
  ev_command_id: string;
  ev_correlation_id: string;
  ev_causation_id: string | null;
  ev_prev_hash: string;
  ev_hash: string;
  ev_previous_hash: string | null;
}

/** The entry's columns as selected (times as Date, numbers possibly as text). */
type ShownRow = { [K in keyof Omit<AuditRow, 'hash_status' | 'occurred_at' | 'recorded_at'>]: unknown } & { occurred_at: Date; recorded_at: Date };

const SHOWN: (keyof Omit<AuditRow, 'hash_status' | 'position' | 'feed_seq'>)[] = [
  'global_position', 'stream_id', 'revision', 'event_id', 'type', 'action', 'actor_user_id', 'actor_unit_id', 'actor_role',
  'command_id', 'correlation_id', 'document_id', 'subject_unit_id', 'subject_user_id', 'occurred_at', 'recorded_at',
  'late_recorded', 'hash', 'prev_hash',
];

const same = (a: unknown, b: unknown): boolean => {
  const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'number' || typeof v === 'bigint' ? String(v) : v);
  return norm(a) === norm(b);
};

export function servedHashStatus(row: ShownRow & ServedEventColumns): ServedHashStatus {
  if (row.ev_event_id === null) return 'event_missing';
  const event = {
    eventId: row.ev_event_id,
    type: row.ev_type,
    schemaVersion: row.ev_schema_version,
    streamId: row.ev_stream_id,
    revision: Number(row.ev_revision),
    globalPosition: Number(row.global_position),
    position: String(row.position),
    occurredAt: row.ev_occurred_at.toISOString(),
    recordedAt: row.ev_recorded_at.toISOString(),
    actor: row.ev_actor,
    commandId: row.ev_command_id,
    correlationId: row.ev_correlation_id,
    causationId: row.ev_causation_id,
    data: row.ev_data,
    prevHash: row.ev_prev_hash,
    hash: row.ev_hash,
    mac: '',
  } satisfies RecordedEvent;
  const expected = auditRow(event, Number(row.feed_seq), 'verified');
  for (const column of SHOWN) if (!same(row[column], expected[column])) return 'entry_altered';
  if (eventHash(event.prevHash, event) !== event.hash) return 'hash_mismatch';
  const linked = event.revision === 0 ? event.prevHash === GENESIS_HASH : row.ev_previous_hash === event.prevHash;
  return linked ? 'verified' : 'chain_broken';
}
