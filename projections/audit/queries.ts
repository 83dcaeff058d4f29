import type pg from 'pg';
import type { Actor } from '../../schemas/common.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { compare, encodeCursor, MAX_PAGE_SIZE, pageWindow, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
import { SERVED_EVENT_COLUMNS, SERVED_EVENT_JOIN, servedHashStatus, type ServedEventColumns, type ServedHashStatus } from './served-status.ts';
import { timeBound } from '../shared/time-bound.ts';
import { prepared } from '../shared/prepared.ts';

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
  /**
   * Checked against the event when served (served-status.ts), not read from the read model; null
   * when the caller did not ask for it (TimelineOptions.hashStatus false).
   */
  hashStatus: ServedHashStatus | null;
  /** Covered by the latest signed Merkle checkpoint (its leaf names this very event and hash). */
  anchored: boolean;
  leafIndex: number | null;
}

export interface TimelineOptions extends PageArgs {
  /** Inclusive lower bound on occurredAt. */
  from?: string | Date;
  /** Exclusive upper bound on occurredAt. */
  to?: string | Date;
  /** OLDEST (the default): in the timeline's order; NEWEST: the other way round. */
  order?: 'OLDEST' | 'NEWEST';
  /**
   * Check each entry against its event (the default): false when the caller does not show the
   * status (the API, when the query does not select hashStatus), and the events are then not read
   * at all — the check hashes every entry's event, most of a timeline page's cost (issue #16).
   */
  hashStatus?: boolean;
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
const decorated = (picked: string, order: string, checked: boolean) => `
  WITH picked AS (${picked}),
       head AS (SELECT coalesce(max(tree_size), 0) AS tree_size FROM merkle_checkpoints)
  SELECT a.*, l.leaf_index,
         (l.leaf_index IS NOT NULL AND l.leaf_index < head.tree_size) AS anchored
         ${checked ? `, ${SERVED_EVENT_COLUMNS}` : ''}
    FROM picked p
    JOIN audit_entries a ON a.feed_seq = p.feed_seq
    CROSS JOIN head${checked ? SERVED_EVENT_JOIN : ''}
    LEFT JOIN merkle_leaves l
      ON l.global_position = a.global_position AND l.event_id = a.event_id AND l.event_hash = a.hash
   ORDER BY ${order}`;

function toEntry(r: EntryRow, checked: boolean): AuditEntry {
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
    hashStatus: checked ? servedHashStatus(r) : null,
    anchored: r.anchored,
    leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
  };
}

/**
 * The cursor of every timeline: [occurredAt, feedSeq] of an entry, whatever the list's order (the
 * document timeline and the unverified list compare feedSeq alone), scoped to the list and its
 * key, so a cursor from one person's timeline is refused on another's.
 */
const CURSOR_SHAPE: readonly KeyColumn[] = [
  { sql: 'occurred_at', type: 'timestamptz' },
  { sql: 'feed_seq', type: 'bigint' },
];
/** The sort keys: a document's timeline in feed order; a person's and a unit's by claimed time, ties in feed order. */
const KEYS = { seq: CURSOR_SHAPE.slice(1), time: CURSOR_SHAPE } as const;

interface TimelineList {
  scope: string;
  key: keyof typeof KEYS;
  /** The index ranges whose union is the list, each a list of conditions over `params`. */
  ranges: string[][];
  params: unknown[];
}

/**
 * One page of a timeline in either direction (Relay): each index range read from the cursor in the
 * page's direction and cut at the page size, merged without duplicates, then decorated. Whether
 * entries lie the other way is one probe per range; the size is counted only when asked.
 */
async function timelineConnection(pool: pg.Pool, list: TimelineList, opts: TimelineOptions, defaultSize: number): Promise<Connection<AuditEntry>> {
  const w = pageWindow(list.scope, CURSOR_SHAPE, opts.first == null && opts.last == null ? { ...opts, first: defaultSize } : opts);
  for (const [name, c] of [['after', w.after], ['before', w.before]] as const) {
    if (c !== null && Number.isNaN(Date.parse(String(c[0])))) refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor)', { [name]: opts[name] });
  }
  const order = opts.order ?? 'OLDEST';
  if (order !== 'OLDEST' && order !== 'NEWEST') refuse('VALIDATION_FAILED', '排序方式须为 OLDEST 或 NEWEST (unknown order)', { order });
  const down = order === 'NEWEST';
  const key = KEYS[list.key];
  const values = (c: (string | number)[]) => (list.key === 'seq' ? [c[1]!] : c);
  const params = [...list.params];
  const bounds: string[] = [];
  if (w.after) bounds.push(compare(key, down ? '<' : '>', values(w.after), params));
  if (w.before) bounds.push(compare(key, down ? '>' : '<', values(w.before), params));
  const direction = w.backward !== down ? ' DESC' : '';
  const orderBy = (prefix: string) => key.map((k) => `${prefix}${k.sql}${direction}`).join(', ');
  params.push(w.size + 1);
  const limit = `$${params.length}`;
  const ranges = list.ranges.map((r) => `SELECT feed_seq, occurred_at FROM audit_entries WHERE ${[...r, ...bounds].join(' AND ')} ORDER BY ${orderBy('')} LIMIT ${limit}`);
  const picked = ranges.length === 1 ? ranges[0]! : `SELECT feed_seq, occurred_at FROM (${ranges.map((r) => `(${r})`).join(' UNION ')}) u ORDER BY ${orderBy('')} LIMIT ${limit}`;
  const checked = opts.hashStatus !== false;
  const { rows } = await pool.query<EntryRow>(prepared(decorated(picked, orderBy('a.'), checked), params));
  const more = rows.length > w.size;
  const kept = rows.slice(0, w.size);
  if (w.backward) kept.reverse();
  const cursors = kept.map((r) => encodeCursor(list.scope, [r.occurred_at.toISOString(), Number(r.feed_seq)]));

  const beyond = w.backward ? w.before : w.after;
  let other = false;
  if (beyond) {
    const probeParams = [...list.params];
    const op = w.backward !== down ? '>=' : '<=';
    const probes = list.ranges.map((r) => `EXISTS (SELECT 1 FROM audit_entries WHERE ${[...r, compare(key, op, values(beyond), probeParams)].join(' AND ')})`);
    other = (await pool.query<{ other: boolean }>(`SELECT ${probes.join(' OR ')} AS other`, probeParams)).rows[0]!.other;
  }
  return {
    items: kept.map((r) => toEntry(r, checked)),
    cursors,
    startCursor: cursors[0] ?? null,
    endCursor: cursors.at(-1) ?? null,
    hasNextPage: w.backward ? other : more,
    hasPreviousPage: w.backward ? more : other,
    totalCount: async () => {
      const union = list.ranges.map((r) => `SELECT feed_seq FROM audit_entries WHERE ${r.join(' AND ')}`).join(' UNION ');
      return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${union}) u`, list.params)).rows[0]!.n;
    },
  };
}

/** The conditions on occurredAt of [from, to), over `params`. */
function timeWindow(opts: TimelineOptions, params: unknown[]): string[] {
  const out: string[] = [];
  const from = timeBound(opts.from, 'from');
  const to = timeBound(opts.to, 'to');
  if (from !== null) out.push(`occurred_at >= $${params.push(from)}::timestamptz`);
  if (to !== null) out.push(`occurred_at < $${params.push(to)}::timestamptz`);
  return out;
}

/**
 * Everything that happened to one document, in feed order: its own stream, every delivery to a
 * recipient, and its number reservation (or only the entries of `streamIds`, when given). Pages are
 * as large as allowed unless asked otherwise: one page is the whole history of nearly every document.
 */
export async function documentTimeline(pool: pg.Pool, documentId: string, opts: TimelineOptions & { streamIds?: readonly string[] } = {}): Promise<Connection<AuditEntry>> {
  const params: unknown[] = [documentId];
  const range = ['document_id = $1', ...timeWindow(opts, params)];
  if (opts.streamIds) range.push(`stream_id = ANY($${params.push(opts.streamIds)}::text[])`);
  return timelineConnection(pool, { scope: `audit.document:${documentId}`, key: 'seq', ranges: [range], params }, opts, MAX_PAGE_SIZE);
}

/**
 * Everything one person did, by the time each act claims (so a back-dated act shows where it
 * claims to belong, flagged lateRecorded), ties in feed order.
 */
export async function actorTimeline(pool: pg.Pool, userId: string, opts: TimelineOptions = {}): Promise<Connection<AuditEntry>> {
  const params: unknown[] = [userId];
  const range = ['actor_user_id = $1', ...timeWindow(opts, params)];
  return timelineConnection(pool, { scope: `audit.actor:${userId}`, key: 'time', ranges: [range], params }, opts, DEFAULT_PAGE_SIZE);
}

/**
 * Everything done by the unit's people, or concerning the unit (documents it issued, deliveries
 * it received, its seals, users and directory record), ordered as actorTimeline. Two index ranges,
 * each cut at the page size, merged without duplicates.
 */
export async function unitTimeline(pool: pg.Pool, unitId: string, opts: TimelineOptions = {}): Promise<Connection<AuditEntry>> {
  const params: unknown[] = [unitId];
  const window = timeWindow(opts, params);
  const ranges = [['actor_unit_id = $1', ...window], ['subject_unit_id = $1', ...window]];
  return timelineConnection(pool, { scope: `audit.unit:${unitId}`, key: 'time', ranges, params }, opts, DEFAULT_PAGE_SIZE);
}

/** Entries whose hash or chain did not verify when they were applied, in feed order (the small partial index audit_entries_unverified). */
export async function unverifiedEntries(pool: pg.Pool, opts: TimelineOptions = {}): Promise<Connection<AuditEntry>> {
  return timelineConnection(pool, { scope: 'audit.unverified', key: 'seq', ranges: [["hash_status <> 'verified'"]], params: [] }, opts, DEFAULT_PAGE_SIZE);
}

/** An entry as a subscription pushes it: the columns as stored. */
export interface BatchEntryRow {
  feed_seq: string;
  global_position: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  action: string;
  actor_user_id: string;
  actor_unit_id: string;
  actor_role: string;
  document_id: string;
  subject_unit_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  late_recorded: boolean;
  hash: string;
  hash_status: string;
}

/**
 * The document entries of a batch the projection has just applied, in feed order (the timeline
 * subscription pushes them). Looked up by stream and revision, which audit_entries_stream serves:
 * an event id has no index, and asking by it scanned the whole table after every batch — on the
 * 200k-event bench ledger 0.3–0.8 s of PostgreSQL per batch, all the while the API was serving.
 */
export async function documentEntriesOf(pool: pg.Pool, events: readonly { streamId: string; revision: number }[]): Promise<BatchEntryRow[]> {
  const { rows } = await pool.query<BatchEntryRow>(
    `SELECT a.feed_seq, a.global_position::text, a.stream_id, a.revision, a.event_id, a.type, a.action, a.actor_user_id, a.actor_unit_id, a.actor_role,
            a.document_id, a.subject_unit_id, a.occurred_at, a.recorded_at, a.late_recorded, a.hash, a.hash_status
       FROM unnest($1::text[], $2::bigint[]) AS k(stream_id, revision)
       JOIN audit_entries a ON a.stream_id = k.stream_id AND a.revision = k.revision
      WHERE a.document_id IS NOT NULL
      ORDER BY a.feed_seq`,
    [events.map((e) => e.streamId), events.map((e) => e.revision)],
  );
  return rows;
}
