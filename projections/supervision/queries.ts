import type pg from 'pg';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../shared/keyset.ts';

export type { Page } from '../shared/keyset.ts';

/**
 * Reads of the supervision read model. Each figure an inspector quotes is read inside one
 * REPEATABLE READ snapshot together with the projection's checkpoint (`inSnapshot`), so the
 * figure and the ledger position it states belong together.
 */

export interface Snapshot {
  tx: pg.ClientBase;
  /** The supervision projection's place in the feed (opaque) and how many events it has applied. */
  position: string;
  eventsApplied: number;
}

export async function inSnapshot<T>(pool: pg.Pool, work: (s: Snapshot) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ position: string | null; events_applied: string }>(`SELECT position, events_applied FROM projection_checkpoints WHERE name = 'supervision'`);
    const result = await work({ tx: client, position: rows[0]?.position ?? '', eventsApplied: Number(rows[0]?.events_applied ?? 0) });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export interface Person {
  userId: string;
  name: string;
  mobile: string | null;
}

export interface OverdueItem {
  documentId: string;
  unitId: string;
  unitName: string;
  issuerUnitId: string;
  issuerName: string;
  title: string;
  docNumber: string;
  docType: string;
  urgency: string;
  kind: string;
  clock: 'sign' | 'handle';
  deliveredAt: string;
  receivedAt: string | null;
  dueAt: string;
  redAt: string;
  level: 'yellow' | 'red';
  paused: boolean;
  provisional: boolean;
  responsible: Person[];
}

export interface OverdueOptions {
  now: Date;
  /** Recipient units (null: every unit). */
  unitIds: readonly string[] | null;
  /** The sender's check: deliveries of documents this unit issued. */
  issuerUnitId?: string;
  /** Items this person answers for (the unit's clerks for 签收, the assignee for 办理). */
  userId?: string;
  clock?: 'sign' | 'handle';
  urgency?: string;
  first: number;
  after?: string;
}

const PEOPLE = (ids: string) => `COALESCE((SELECT json_agg(json_build_object('userId', u.user_id, 'name', u.name, 'mobile', c.mobile) ORDER BY u.user_id)
       FROM directory_users u LEFT JOIN supervision_contacts c ON c.user_id = u.user_id WHERE u.user_id = ANY (${ids})), '[]'::json)`;

/**
 * 逾期清单: deliveries not signed for by their deadline, and handling not completed by its
 * deadline, as of `now`, oldest deadline first. Paused clocks are listed (flagged), as they are
 * still late.
 */
export async function overdue(tx: pg.ClientBase, o: OverdueOptions): Promise<Page<OverdueItem>> {
  const size = pageSize(o.first);
  const scope = 'supervision.overdue';
  const [afterDue, afterDoc, afterUnit, afterClock] = o.after ? decodeCursor(scope, o.after, ['string', 'string', 'string', 'string']) : ['-infinity', '', '', ''];
  const { rows } = await tx.query(
    `WITH items AS (
       SELECT d.*, 'sign' AS clock, d.sign_due_at AS due_at, d.sign_red_at AS red_at, d.sign_paused AS paused,
              ARRAY(SELECT u.user_id FROM directory_users u WHERE u.unit_id = d.unit_id AND u.active AND 'CLERK' = ANY (u.roles) ORDER BY u.user_id) AS responsible_ids
         FROM supervision_deliveries d
        WHERE d.received_at IS NULL AND d.returned_at IS NULL AND d.withdrawn_at IS NULL AND d.sign_due_at < $1
       UNION ALL
       SELECT d.*, 'handle', d.handle_due_at, d.handle_red_at, d.handle_paused,
              CASE WHEN d.assignee_user_id IS NOT NULL THEN ARRAY[d.assignee_user_id]
                   ELSE ARRAY(SELECT u.user_id FROM directory_users u WHERE u.unit_id = d.unit_id AND u.active AND 'CLERK' = ANY (u.roles) ORDER BY u.user_id) END
         FROM supervision_deliveries d
        WHERE d.received_at IS NOT NULL AND d.completed_at IS NULL AND d.filed_at IS NULL AND d.withdrawn_at IS NULL AND d.handle_due_at < $1
     )
     SELECT i.document_id, i.unit_id, i.issuer_unit_id, i.title, i.doc_number, i.doc_type, i.urgency, i.kind, i.clock, i.delivered_at, i.received_at,
            i.due_at, i.red_at, i.paused, i.provisional,
            COALESCE(ru.name, i.unit_id) AS unit_name, COALESCE(iu.name, i.issuer_unit_id) AS issuer_name,
            to_char(i.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS due_key,
            ${PEOPLE('i.responsible_ids')} AS responsible
       FROM items i
       LEFT JOIN directory_units ru ON ru.unit_id = i.unit_id
       LEFT JOIN directory_units iu ON iu.unit_id = i.issuer_unit_id
      WHERE ($2::text[] IS NULL OR i.unit_id = ANY ($2))
        AND ($3::text IS NULL OR i.issuer_unit_id = $3)
        AND ($4::text IS NULL OR $4 = ANY (i.responsible_ids))
        AND ($5::text IS NULL OR i.clock = $5)
        AND ($6::text IS NULL OR i.urgency = $6)
        AND (i.due_at, i.document_id, i.unit_id, i.clock) > ($7::timestamptz, $8, $9, $10)
      ORDER BY i.due_at, i.document_id, i.unit_id, i.clock
      LIMIT $11`,
    [o.now, o.unitIds, o.issuerUnitId ?? null, o.userId ?? null, o.clock ?? null, o.urgency ?? null, afterDue, afterDoc, afterUnit, afterClock, size + 1],
  );
  return toPage(
    rows,
    size,
    (r): OverdueItem => ({
      documentId: r.document_id,
      unitId: r.unit_id,
      unitName: r.unit_name,
      issuerUnitId: r.issuer_unit_id,
      issuerName: r.issuer_name,
      title: r.title,
      docNumber: r.doc_number,
      docType: r.doc_type,
      urgency: r.urgency,
      kind: r.kind,
      clock: r.clock,
      deliveredAt: r.delivered_at.toISOString(),
      receivedAt: r.received_at?.toISOString() ?? null,
      dueAt: r.due_at.toISOString(),
      redAt: r.red_at.toISOString(),
      level: r.red_at <= o.now ? 'red' : 'yellow',
      paused: r.paused,
      provisional: r.provisional,
      responsible: r.responsible,
    }),
    (r) => encodeCursor(scope, [r.due_key, r.document_id, r.unit_id, r.clock]),
  );
}

export interface WarningRow {
  warningId: string;
  documentId: string;
  unitId: string;
  unitName: string;
  clock: 'sign' | 'handle';
  level: 'yellow' | 'red';
  escalation: string;
  dueAt: string;
  fellDueAt: string;
  raisedAt: string;
  issuerUnitId: string;
  issuerName: string;
  title: string;
  docNumber: string;
  docType: string;
  urgency: string;
  responsible: Person[];
  policyVersion: string;
  calendarVersion: string;
  clearedAt: string | null;
  clearedReason: string | null;
}

export interface WarningOptions {
  unitIds: readonly string[] | null;
  userId?: string;
  urgency?: string;
  level?: 'yellow' | 'red';
  clock?: 'sign' | 'handle';
  /** Warnings that fell due in [from, to). */
  from?: string | Date;
  to?: string | Date;
  activeOnly?: boolean;
  first: number;
  after?: string;
}

/** 预警: yellow and red warnings, in the order they fell due. */
export async function warnings(tx: pg.ClientBase, o: WarningOptions): Promise<Page<WarningRow>> {
  const size = pageSize(o.first);
  const scope = 'supervision.warnings';
  const [afterAt, afterId] = o.after ? decodeCursor(scope, o.after, ['string', 'string']) : ['-infinity', '00000000-0000-0000-0000-000000000000'];
  const { rows } = await tx.query(
    `SELECT w.*, COALESCE(ru.name, w.unit_id) AS unit_name, COALESCE(iu.name, w.issuer_unit_id) AS issuer_name,
            to_char(w.fell_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_key,
            ${PEOPLE('w.responsible_user_ids')} AS responsible
       FROM supervision_warnings w
       LEFT JOIN directory_units ru ON ru.unit_id = w.unit_id
       LEFT JOIN directory_units iu ON iu.unit_id = w.issuer_unit_id
      WHERE ($1::text[] IS NULL OR w.unit_id = ANY ($1))
        AND ($2::text IS NULL OR $2 = ANY (w.responsible_user_ids))
        AND ($3::text IS NULL OR w.urgency = $3)
        AND ($4::text IS NULL OR w.level = $4)
        AND ($5::text IS NULL OR w.clock = $5)
        AND ($6::timestamptz IS NULL OR w.fell_due_at >= $6)
        AND ($7::timestamptz IS NULL OR w.fell_due_at < $7)
        AND (NOT $8 OR w.cleared_at IS NULL)
        AND (w.fell_due_at, w.warning_id) > ($9::timestamptz, $10::uuid)
      ORDER BY w.fell_due_at, w.warning_id
      LIMIT $11`,
    [o.unitIds, o.userId ?? null, o.urgency ?? null, o.level ?? null, o.clock ?? null, o.from ?? null, o.to ?? null, o.activeOnly ?? false, afterAt, afterId, size + 1],
  );
  return toPage(
    rows,
    size,
    (r): WarningRow => ({
      warningId: r.warning_id,
      documentId: r.document_id,
      unitId: r.unit_id,
      unitName: r.unit_name,
      clock: r.clock,
      level: r.level,
      escalation: r.escalation,
      dueAt: r.due_at.toISOString(),
      fellDueAt: r.fell_due_at.toISOString(),
      raisedAt: r.raised_at.toISOString(),
      issuerUnitId: r.issuer_unit_id,
      issuerName: r.issuer_name,
      title: r.title,
      docNumber: r.doc_number,
      docType: r.doc_type,
      urgency: r.urgency,
      responsible: r.responsible,
      policyVersion: r.policy_version,
      calendarVersion: r.calendar_version,
      clearedAt: r.cleared_at?.toISOString() ?? null,
      clearedReason: r.cleared_reason,
    }),
    (r) => encodeCursor(scope, [r.at_key, r.warning_id]),
  );
}

export interface TimelineEvent {
  type: string;
  occurredAt: string;
  recordedAt: string;
  actorUserId: string;
  detail: unknown;
}

/** The supervision events of the clocks of the given deliveries, in feed order (a warning's timeline). */
export async function clockTimelines(tx: pg.ClientBase, keys: readonly { documentId: string; unitId: string; clock: string }[]): Promise<Map<string, TimelineEvent[]>> {
  const out = new Map<string, TimelineEvent[]>();
  if (keys.length === 0) return out;
  const { rows } = await tx.query(
    `SELECT t.document_id, t.unit_id, t.clock, t.type, t.occurred_at, t.recorded_at, t.actor_user_id, t.detail
       FROM supervision_timeline t JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(doc, unit, clock)
         ON t.document_id = k.doc AND t.unit_id = k.unit AND t.clock = k.clock
      ORDER BY t.global_position`,
    [keys.map((k) => k.documentId), keys.map((k) => k.unitId), keys.map((k) => k.clock)],
  );
  for (const r of rows) {
    const key = timelineKey(r.document_id, r.unit_id, r.clock);
    out.set(key, [...(out.get(key) ?? []), { type: r.type, occurredAt: r.occurred_at.toISOString(), recordedAt: r.recorded_at.toISOString(), actorUserId: r.actor_user_id, detail: r.detail }]);
  }
  return out;
}
export const timelineKey = (documentId: string, unitId: string, clock: string) => `${documentId}\u0000${unitId}\u0000${clock}`;

/** What a unit-month statistic is computed from: the rows, as they stand in the snapshot. */
export interface MonthData {
  deliveries: {
    unitId: string;
    urgency: string;
    deliveredAt: string;
    receivedAt: string | null;
    returnedAt: string | null;
    signDueAt: string | null;
    completedAt: string | null;
    provisional: boolean;
  }[];
  warnings: { unitId: string; level: string; fellDueAt: string }[];
  lateRecords: { unitId: string; occurredAt: string }[];
  signIns: { unitId: string; day: string }[];
  /** The first day the ledger recorded any sign-in: days before it are not counted against anyone. */
  firstSignInDay: string | null;
  units: { unitId: string; name: string; registeredAt: string }[];
  policyVersions: string[];
  calendarVersions: string[];
}

/** Everything delivered, warned, back-filled or signed in within [from, to), for the units given (null: all active units). */
export async function monthData(tx: pg.ClientBase, from: Date, to: Date, unitIds: readonly string[] | null): Promise<MonthData> {
  // One client runs one statement at a time: the reads go in turn, inside the caller's snapshot.
  const deliveries = await tx.query(
    `SELECT unit_id, urgency, delivered_at, received_at, returned_at, sign_due_at, completed_at, provisional, policy_version, calendar_version
       FROM supervision_deliveries WHERE delivered_at >= $1 AND delivered_at < $2 AND withdrawn_at IS NULL AND ($3::text[] IS NULL OR unit_id = ANY ($3))`,
    [from, to, unitIds],
  );
  const warns = await tx.query(`SELECT unit_id, level, fell_due_at FROM supervision_warnings WHERE fell_due_at >= $1 AND fell_due_at < $2 AND ($3::text[] IS NULL OR unit_id = ANY ($3))`, [from, to, unitIds]);
  const late = await tx.query(`SELECT unit_id, occurred_at FROM supervision_late_records WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::text[] IS NULL OR unit_id = ANY ($3))`, [from, to, unitIds]);
  const signIns = await tx.query(
    `SELECT DISTINCT unit_id, to_char(day, 'YYYY-MM-DD') AS day FROM supervision_sign_ins
      WHERE signed_in_at >= $1::timestamptz - interval '1 day' AND signed_in_at < $2::timestamptz + interval '1 day' AND ($3::text[] IS NULL OR unit_id = ANY ($3))`,
    [from, to, unitIds],
  );
  const first = await tx.query(`SELECT to_char(min(day), 'YYYY-MM-DD') AS day FROM supervision_sign_ins`);
  const units = await tx.query(`SELECT unit_id, name, registered_at FROM directory_units WHERE active AND ($1::text[] IS NULL OR unit_id = ANY ($1)) ORDER BY unit_id`, [unitIds]);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    deliveries: deliveries.rows.map((r) => ({
      unitId: r.unit_id,
      urgency: r.urgency,
      deliveredAt: r.delivered_at.toISOString(),
      receivedAt: iso(r.received_at),
      returnedAt: iso(r.returned_at),
      signDueAt: iso(r.sign_due_at),
      completedAt: iso(r.completed_at),
      provisional: r.provisional,
    })),
    warnings: warns.rows.map((r) => ({ unitId: r.unit_id, level: r.level, fellDueAt: r.fell_due_at.toISOString() })),
    lateRecords: late.rows.map((r) => ({ unitId: r.unit_id, occurredAt: r.occurred_at.toISOString() })),
    signIns: signIns.rows.map((r) => ({ unitId: r.unit_id, day: r.day })),
    firstSignInDay: first.rows[0]?.day ?? null,
    units: units.rows.map((r) => ({ unitId: r.unit_id, name: r.name, registeredAt: r.registered_at.toISOString() })),
    policyVersions: [...new Set(deliveries.rows.map((r) => r.policy_version).filter(Boolean))],
    calendarVersions: [...new Set(deliveries.rows.map((r) => r.calendar_version).filter(Boolean))],
  };
}

/** 每日检查 as recorded. */
export async function dailyCheck(pool: pg.Pool | pg.ClientBase, day: string): Promise<Record<string, unknown> | null> {
  const { rows } = await pool.query(`SELECT result FROM supervision_daily_checks WHERE day = $1::date`, [day]);
  return rows[0]?.result ?? null;
}
