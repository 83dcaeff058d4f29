import type pg from 'pg';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
import { Conditions } from '../shared/conditions.ts';

export type { Connection } from '../shared/keyset.ts';

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

export interface OverdueOptions extends PageArgs {
  now: Date;
  /** Recipient units (null: every unit). */
  unitIds: readonly string[] | null;
  /** The sender's check: deliveries of documents this unit issued. */
  issuerUnitId?: string;
  /** Items this person answers for (the unit's clerks for 签收, the assignee for 办理). */
  userId?: string;
  clock?: 'sign' | 'handle';
  urgency?: string;
}

const PEOPLE = (ids: string) => `COALESCE((SELECT json_agg(json_build_object('userId', u.user_id, 'name', u.name, 'mobile', c.mobile) ORDER BY u.user_id)
       FROM directory_users u LEFT JOIN supervision_contacts c ON c.user_id = u.user_id WHERE u.user_id = ANY (${ids})), '[]'::json)`;
const UNIT_NAME = (id: string) => `COALESCE((SELECT n.name FROM directory_units n WHERE n.unit_id = ${id}), ${id})`;

/** Both clocks of every delivery that are running past their deadline at $1 (now), one row a clock. */
const OVERDUE_ITEMS = `(
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
     ) AS i`;

/** Oldest deadline first; the rest makes the order total (a cursor lands on exactly one place). */
const OVERDUE_KEY: readonly KeyColumn[] = [
  { sql: 'due_at', type: 'timestamptz' },
  { sql: 'document_id', type: 'text' },
  { sql: 'unit_id', type: 'text' },
  { sql: 'clock', type: 'text' },
];

/**
 * 逾期清单: deliveries not signed for by their deadline, and handling not completed by its
 * deadline, as of `now`, oldest deadline first, a Relay page either way. Paused clocks are listed
 * (flagged), as they are still late.
 */
export async function overdue(tx: pg.ClientBase, o: OverdueOptions): Promise<Connection<OverdueItem>> {
  const c = new Conditions(o.now);
  if (o.unitIds) c.add((n) => `unit_id = ANY (${n}::text[])`, o.unitIds);
  if (o.issuerUnitId !== undefined) c.add((n) => `issuer_unit_id = ${n}`, o.issuerUnitId);
  if (o.userId !== undefined) c.add((n) => `${n} = ANY (responsible_ids)`, o.userId);
  if (o.clock !== undefined) c.add((n) => `clock = ${n}`, o.clock);
  if (o.urgency !== undefined) c.add((n) => `urgency = ${n}`, o.urgency);
  return keysetConnection(
    tx,
    {
      scope: 'supervision.overdue',
      key: OVERDUE_KEY,
      select: `document_id, unit_id, issuer_unit_id, title, doc_number, doc_type, urgency, kind, clock, delivered_at, received_at, red_at, paused, provisional,
               ${UNIT_NAME('i.unit_id')} AS unit_name, ${UNIT_NAME('i.issuer_unit_id')} AS issuer_name, ${PEOPLE('i.responsible_ids')} AS responsible`,
      from: OVERDUE_ITEMS,
      where: c.where,
      params: c.params,
      rowMode: 'object',
      item: (r): OverdueItem => ({
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
    },
    o,
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

export interface WarningOptions extends PageArgs {
  unitIds: readonly string[] | null;
  userId?: string;
  urgency?: string;
  level?: 'yellow' | 'red';
  clock?: 'sign' | 'handle';
  /** Warnings that fell due in [from, to). */
  from?: string | Date;
  to?: string | Date;
  activeOnly?: boolean;
}

/** In the order they fell due: the index supervision_warnings_time (fell_due_at, warning_id). */
const WARNING_KEY: readonly KeyColumn[] = [
  { sql: 'fell_due_at', type: 'timestamptz' },
  { sql: 'warning_id', type: 'uuid' },
];

/** 预警: yellow and red warnings, in the order they fell due, a Relay page either way. */
export async function warnings(tx: pg.ClientBase, o: WarningOptions): Promise<Connection<WarningRow>> {
  const c = new Conditions();
  if (o.unitIds) c.add((n) => `unit_id = ANY (${n}::text[])`, o.unitIds);
  if (o.userId !== undefined) c.add((n) => `${n} = ANY (responsible_user_ids)`, o.userId);
  if (o.urgency !== undefined) c.add((n) => `urgency = ${n}`, o.urgency);
  if (o.level !== undefined) c.add((n) => `level = ${n}`, o.level);
  if (o.clock !== undefined) c.add((n) => `clock = ${n}`, o.clock);
  if (o.from !== undefined) c.add((n) => `fell_due_at >= ${n}::timestamptz`, o.from);
  if (o.to !== undefined) c.add((n) => `fell_due_at < ${n}::timestamptz`, o.to);
  if (o.activeOnly) c.where.push('cleared_at IS NULL');
  return keysetConnection(
    tx,
    {
      scope: 'supervision.warnings',
      key: WARNING_KEY,
      select: `warning_id, document_id, unit_id, clock, level, escalation, due_at, raised_at, issuer_unit_id, title, doc_number, doc_type, urgency,
               policy_version, calendar_version, cleared_at, cleared_reason,
               ${UNIT_NAME('w.unit_id')} AS unit_name, ${UNIT_NAME('w.issuer_unit_id')} AS issuer_name, ${PEOPLE('w.responsible_user_ids')} AS responsible`,
      from: 'supervision_warnings w',
      where: c.where,
      params: c.params,
      rowMode: 'object',
      item: (r): WarningRow => ({
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
    },
    o,
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
