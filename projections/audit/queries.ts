import type pg from 'pg';
import type { Actor } from '../../schemas/common.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageSize, toPage, type Page } from '../shared/keyset.ts';
import { SERVED_EVENT_COLUMNS, SERVED_EVENT_JOIN, servedHashStatus, type ServedEventColumns, type ServedHashStatus } from './served-status.ts';

export type { Page } from '../shared/keyset.ts';

export const DEFAULT_PAGE_SIZE = 50;

/** One entry of a timeline, as an inspector sees it. */
export interface AuditEntry {
  /** Place in the feed (1, 2, 3 … in commit order). */
  feedSeq: number;
  position: string;
  globalPosition: number;
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  /** 拟稿, 签发, 盖章, 签收 …  */
  action: string;
  actor: Actor;
  commandId: string;
  correlationId: string;
  documentId: string | null;
  /** The unit the act concerns: the document's issuer, the delivery's recipient, the seal's or user's unit. */
  unitId: string | null;
  /** The user a directory act concerns. */
  subjectUserId: string | null;
  occurredAt: string;
  recordedAt: string;
  /** Recorded more than LATE_RECORDING_THRESHOLD_MS after it claims to have happened. */
  lateRecorded: boolean;
  hash: string;
  prevHash: string;
  /** Checked against the event when served (served-status.ts), not read from the read model. */
  hashStatus: ServedHashStatus;
  /** Covered by the latest signed Merkle checkpoint (its leaf names this very event and hash). */
  anchored: boolean;
  leafIndex: number | null;
}

export interface TimelineOptions {
  /** Inclusive lower bound on occurredAt. */
  from?: string | Date;
  /** Exclusive upper bound on occurredAt. */
  to?: string | Date;
  first?: number;
  after?: string;
}

interface EntryRow extends ServedEventColumns {
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
  actor_role: Actor['role'];
  command_id: string;
  correlation_id: string;
  document_id: string | null;
  subject_unit_id: string | null;
  subject_user_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  late_recorded: boolean;
  hash: string;
  prev_hash: string;
  leaf_index: number | null;
  anchored: boolean;
}

/**
 * Decorates the chosen entries (`picked`: feed_seq plus the sort columns, already limited) with
 * their anchoring. An entry is anchored when the Merkle log has a leaf for this event with this
 * hash, inside the tree size of the latest signed checkpoint; the leaf must name the same event
 * and hash, so a row changed after it was logged does not count as anchored.
 */
const decorated = (picked: string, order: string) => `
  WITH picked AS (${picked}),
       head AS (SELECT coalesce(max(tree_size), 0) AS tree_size FROM merkle_checkpoints)
  SELECT a.*, l.leaf_index,
         (l.leaf_index IS NOT NULL AND l.leaf_index < head.tree_size) AS anchored,
         ${SERVED_EVENT_COLUMNS}
    FROM picked p
    JOIN audit_entries a ON a.feed_seq = p.feed_seq
    CROSS JOIN head${SERVED_EVENT_JOIN}
    LEFT JOIN merkle_leaves l
      ON l.global_position = a.global_position AND l.event_id = a.event_id AND l.event_hash = a.hash
   ORDER BY ${order}`;

function toEntry(r: EntryRow): AuditEntry {
  return {
    feedSeq: Number(r.feed_seq),
    position: r.position,
    globalPosition: Number(r.global_position),
    streamId: r.stream_id,
    revision: Number(r.revision),
    eventId: r.event_id,
    type: r.type,
    action: r.action,
    actor: { userId: r.actor_user_id, unitId: r.actor_unit_id, role: r.actor_role },
    commandId: r.command_id,
    correlationId: r.correlation_id,
    documentId: r.document_id,
    unitId: r.subject_unit_id,
    subjectUserId: r.subject_user_id,
    occurredAt: r.occurred_at.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    lateRecorded: r.late_recorded,
    hash: r.hash,
    prevHash: r.prev_hash,
    hashStatus: servedHashStatus(r),
    anchored: r.anchored,
    leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
  };
}

/**
 * The person and unit timelines are sorted by (occurred_at, feed_seq), the document timeline and
 * the unverified list by feed_seq alone; the cursor carries both, scoped to the list and its key,
 * so a cursor from one person's timeline is refused on another's.
 */
interface Cursor {
  time: string;
  seq: number;
}

function readCursor(scope: string, after: string | undefined): Cursor | null {
  if (after === undefined) return null;
  const [time, seq] = decodeCursor(scope, after, ['string', 'number']) as [string, number];
  if (Number.isNaN(Date.parse(time))) refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor)', { after });
  return { time, seq };
}

const page = (scope: string, rows: EntryRow[], size: number): Page<AuditEntry> =>
  toPage(rows, size, toEntry, (r) => encodeCursor(scope, [r.occurred_at.toISOString(), Number(r.feed_seq)]));

/** An optional time bound given as ISO text or a Date, checked before it reaches SQL. */
function timeBound(value: string | Date | undefined, name: 'from' | 'to'): string | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) refuse('VALIDATION_FAILED', `时间范围「${name}」须为带时区的 ISO 8601 时间 (invalid ${name})`, { [name]: String(value) });
  return new Date(ms).toISOString();
}

/**
 * Everything that happened to one document, in feed order: its own stream, every delivery to a
 * recipient, and its number reservation (or only the entries of `streamIds`, when given). Pages are as large as allowed unless asked otherwise:
 * one page is the whole history of nearly every document.
 */
export async function documentTimeline(
  pool: pg.Pool,
  documentId: string,
  opts: { first?: number; after?: string; streamIds?: readonly string[] } = {},
): Promise<Page<AuditEntry>> {
  const scope = `audit.document:${documentId}`;
  const size = pageSize(opts.first ?? MAX_PAGE_SIZE);
  const after = readCursor(scope, opts.after)?.seq ?? 0;
  const { rows } = await pool.query<EntryRow>(
    decorated(
      `SELECT feed_seq FROM audit_entries
        WHERE document_id = $1 AND feed_seq > $2 AND ($4::text[] IS NULL OR stream_id = ANY($4::text[]))
        ORDER BY feed_seq LIMIT $3`,
      'a.feed_seq',
    ),
    [documentId, after, size + 1, opts.streamIds ?? null],
  );
  return page(scope, rows, size);
}

/**
 * One index range of a timeline: entries with `column = $1`, by (occurred_at, feed_seq), after the
 * cursor and within [from, to). Parameters: $1 key, $2/$3 cursor, $4 from, $5 to, $6 limit.
 */
const range = (column: string) => `
  SELECT feed_seq, occurred_at FROM audit_entries
   WHERE ${column} = $1
     AND ($2::timestamptz IS NULL OR (occurred_at, feed_seq) > ($2::timestamptz, $3::bigint))
     AND ($4::timestamptz IS NULL OR occurred_at >= $4::timestamptz)
     AND ($5::timestamptz IS NULL OR occurred_at < $5::timestamptz)
   ORDER BY occurred_at, feed_seq
   LIMIT $6`;

function timelineParams(scope: string, key: string, opts: TimelineOptions): { values: unknown[]; size: number } {
  const size = pageSize(opts.first ?? DEFAULT_PAGE_SIZE);
  const cursor = readCursor(scope, opts.after);
  return {
    size,
    values: [key, cursor?.time ?? null, cursor?.seq ?? 0, timeBound(opts.from, 'from'), timeBound(opts.to, 'to'), size + 1],
  };
}

/**
 * Everything one person did, by the time each act claims (so a back-dated act shows where it
 * claims to belong, flagged lateRecorded), ties in feed order.
 */
export async function actorTimeline(pool: pg.Pool, userId: string, opts: TimelineOptions = {}): Promise<Page<AuditEntry>> {
  const scope = `audit.actor:${userId}`;
  const { values, size } = timelineParams(scope, userId, opts);
  const { rows } = await pool.query<EntryRow>(decorated(range('actor_user_id'), 'a.occurred_at, a.feed_seq'), values);
  return page(scope, rows, size);
}

/**
 * Everything done by the unit's people, or concerning the unit (documents it issued, deliveries
 * it received, its seals, users and directory record), ordered as actorTimeline. Two index ranges,
 * each cut at the page size, merged without duplicates.
 */
export async function unitTimeline(pool: pg.Pool, unitId: string, opts: TimelineOptions = {}): Promise<Page<AuditEntry>> {
  const scope = `audit.unit:${unitId}`;
  const { values, size } = timelineParams(scope, unitId, opts);
  const picked = `SELECT feed_seq, occurred_at FROM ((${range('actor_unit_id')}) UNION (${range('subject_unit_id')})) u
                   ORDER BY occurred_at, feed_seq LIMIT $6`;
  const { rows } = await pool.query<EntryRow>(decorated(picked, 'a.occurred_at, a.feed_seq'), values);
  return page(scope, rows, size);
}

/** Entries whose hash or chain did not verify when they were applied, in feed order. */
export async function unverifiedEntries(pool: pg.Pool, opts: { first?: number; after?: string } = {}): Promise<Page<AuditEntry>> {
  const scope = 'audit.unverified';
  const size = pageSize(opts.first ?? DEFAULT_PAGE_SIZE);
  const after = readCursor(scope, opts.after)?.seq ?? 0;
  const { rows } = await pool.query<EntryRow>(
    decorated(`SELECT feed_seq FROM audit_entries WHERE hash_status <> 'verified' AND feed_seq > $1 ORDER BY feed_seq LIMIT $2`, 'a.feed_seq'),
    [after, size + 1],
  );
  return page(scope, rows, size);
}
