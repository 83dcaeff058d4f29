import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { actionOf } from './actions.ts';
import type { HashStatus } from './hash-status.ts';

/**
 * An event is "late recorded" when the ledger wrote it more than this long after the time it
 * claims to have happened. Commands record at once (occurredAt = recordedAt); a gap means someone
 * back-filled or back-dated an act — exactly what inspectors look for. Ten minutes leaves room for
 * a client's clock drift and an offline mobile client syncing a little late, and no more.
 */
export const LATE_RECORDING_THRESHOLD_MS = 10 * 60 * 1000;

/** One row of audit_entries, as written (column names). */
export interface AuditRow {
  feed_seq: number;
  position: string;
  global_position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  action: string;
  actor_user_id: string;
  actor_unit_id: string;
  actor_role: string;
  command_id: string;
  correlation_id: string;
  document_id: string | null;
  subject_unit_id: string | null;
  subject_user_id: string | null;
  occurred_at: string;
  recorded_at: string;
  late_recorded: boolean;
  hash: string;
  prev_hash: string;
  hash_status: HashStatus;
}

const USER_EVENTS: ReadonlySet<string> = new Set(['UserRegistered', 'RoleGranted', 'RoleRevoked', 'UserDeactivated', 'CredentialIssued', 'CredentialRevoked']);

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * What an event is about, from its payload alone (every payload repeats its keys, see the event
 * schemas): the document (document, delivery and numbering events), the unit — a delivery's
 * recipient (`unitId`), else a document's issuer (`issuerUnitId`), else the unit of the seal, user,
 * numbering series or unit — and for directory user events the user.
 */
export function subjectsOf(type: string, data: unknown): { documentId: string | null; unitId: string | null; userId: string | null } {
  const d = (data ?? {}) as Record<string, unknown>;
  return {
    documentId: text(d.documentId),
    unitId: text(d.unitId) ?? text(d.issuerUnitId),
    userId: USER_EVENTS.has(type) ? text(d.userId) : null,
  };
}

export const isLateRecorded = (occurredAt: string, recordedAt: string): boolean =>
  Date.parse(recordedAt) - Date.parse(occurredAt) > LATE_RECORDING_THRESHOLD_MS;

export function auditRow(e: RecordedEvent, feedSeq: number, hashStatus: HashStatus): AuditRow {
  const subject = subjectsOf(e.type, e.data);
  return {
    feed_seq: feedSeq,
    position: e.position,
    global_position: e.globalPosition,
    stream_id: e.streamId,
    revision: e.revision,
    event_id: e.eventId,
    type: e.type,
    action: actionOf(e.type, e.data),
    actor_user_id: e.actor.userId,
    actor_unit_id: e.actor.unitId,
    actor_role: e.actor.role,
    command_id: e.commandId,
    correlation_id: e.correlationId,
    document_id: subject.documentId,
    subject_unit_id: subject.unitId,
    subject_user_id: subject.userId,
    occurred_at: e.occurredAt,
    recorded_at: e.recordedAt,
    late_recorded: isLateRecorded(e.occurredAt, e.recordedAt),
    hash: e.hash,
    prev_hash: e.prevHash,
    hash_status: hashStatus,
  };
}
