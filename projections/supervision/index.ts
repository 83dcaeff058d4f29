import type pg from 'pg';
import type { z } from 'zod';
import { deliveryEvents } from '../../schemas/events/delivery.ts';
import type * as D from '../../schemas/events/delivery.ts';
import { supervisionEvents } from '../../schemas/events/supervision.ts';
import type * as S from '../../schemas/events/supervision.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { LATE_RECORDING_THRESHOLD_MS } from '../audit/entry.ts';
import { upsertColumnRows, upsertColumnsStatement, upsertRows, upsertStatement, type Column } from '../shared/bulk-upsert.ts';

type Data<E extends { data: z.ZodType }> = z.infer<E['data']>;

/**
 * The supervision read model (电子监察). A batch costs a handful of round trips whatever its size:
 * load the touched deliveries and their open warnings, fold in memory in feed order, write back
 * with one upsert per table.
 */
const DELIVERY_COLUMNS: Column[] = [
  ['document_id', 'text'], ['unit_id', 'text'], ['issuer_unit_id', 'text'], ['title', 'text'], ['doc_number', 'text'], ['doc_type', 'text'],
  ['urgency', 'text'], ['kind', 'text'], ['sent_event_id', 'uuid'], ['delivered_at', 'timestamptz'], ['received_at', 'timestamptz'],
  ['received_by', 'text'], ['returned_at', 'timestamptz'], ['withdrawn_at', 'timestamptz'], ['assigned_at', 'timestamptz'],
  ['assignee_user_id', 'text'], ['completed_at', 'timestamptz'], ['filed_at', 'timestamptz'], ['delivery_revision', 'int'],
  ['sign_due_at', 'timestamptz'], ['sign_red_at', 'timestamptz'], ['sign_paused', 'boolean'], ['handle_due_at', 'timestamptz'],
  ['handle_red_at', 'timestamptz'], ['handle_paused', 'boolean'], ['provisional', 'boolean'], ['policy_version', 'text'], ['calendar_version', 'text'],
].map(([name, type]) => ({ name: name!, type: type! }));
const WARNING_COLUMNS: Column[] = [
  ['warning_id', 'uuid'], ['global_position', 'bigint'], ['document_id', 'text'], ['unit_id', 'text'], ['clock', 'text'], ['level', 'text'],
  ['escalation', 'text'], ['due_at', 'timestamptz'], ['fell_due_at', 'timestamptz'], ['raised_at', 'timestamptz'], ['issuer_unit_id', 'text'],
  ['title', 'text'], ['doc_number', 'text'], ['doc_type', 'text'], ['urgency', 'text'], ['responsible_user_ids', 'text[]'],
  ['policy_version', 'text'], ['calendar_version', 'text'], ['cleared_at', 'timestamptz'], ['cleared_reason', 'text'],
].map(([name, type]) => ({ name: name!, type: type! }));
const TIMELINE_COLUMNS: Column[] = [
  ['event_id', 'uuid'], ['global_position', 'bigint'], ['document_id', 'text'], ['unit_id', 'text'], ['clock', 'text'], ['type', 'text'],
  ['occurred_at', 'timestamptz'], ['recorded_at', 'timestamptz'], ['actor_user_id', 'text'], ['detail', 'jsonb'],
].map(([name, type]) => ({ name: name!, type: type! }));
const LATE_COLUMNS: Column[] = [
  ['event_id', 'uuid'], ['unit_id', 'text'], ['document_id', 'text'], ['type', 'text'], ['actor_user_id', 'text'], ['occurred_at', 'timestamptz'], ['recorded_at', 'timestamptz'],
].map(([name, type]) => ({ name: name!, type: type! }));
const SIGN_IN_COLUMNS: Column[] = [['user_id', 'text'], ['day', 'date'], ['unit_id', 'text'], ['signed_in_at', 'timestamptz']].map(([name, type]) => ({ name: name!, type: type! }));
const CONTACT_COLUMNS: Column[] = [['user_id', 'text'], ['unit_id', 'text'], ['mobile', 'text'], ['set_by', 'text'], ['updated_at', 'timestamptz']].map(([name, type]) => ({ name: name!, type: type! }));
const CHECK_COLUMNS: Column[] = [['day', 'date'], ['result', 'jsonb'], ['checked_at', 'timestamptz']].map(([name, type]) => ({ name: name!, type: type! }));

// The table a rebuild writes most rows to here (one a delivery, again as it moves): as parallel arrays.
const upsertDeliveries = upsertColumnsStatement('supervision_deliveries', DELIVERY_COLUMNS, ['document_id', 'unit_id']);
const upsertWarnings = upsertStatement('supervision_warnings', WARNING_COLUMNS, ['warning_id']);
const insertTimeline = upsertStatement('supervision_timeline', TIMELINE_COLUMNS, ['event_id']);
const insertLate = upsertStatement('supervision_late_records', LATE_COLUMNS, ['event_id']);
const insertSignIns = upsertStatement('supervision_sign_ins', SIGN_IN_COLUMNS, ['user_id', 'day']);
const upsertContacts = upsertStatement('supervision_contacts', CONTACT_COLUMNS, ['user_id']);
const upsertChecks = upsertStatement('supervision_daily_checks', CHECK_COLUMNS, ['day']);

type Row = Record<string, unknown>;
const subjectKey = (d: { documentId: string; unitId: string }) => `${d.documentId}\u0000${d.unitId}`;
const deliveryTypes = new Set<string>(deliveryEvents.map((d) => d.type));

async function apply(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void> {
  const keys = new Map<string, { documentId: string; unitId: string }>();
  for (const e of events) {
    const d = e.data as { documentId?: string; unitId?: string };
    if (d.documentId && d.unitId) keys.set(subjectKey(d as never), d as never);
  }
  const docIds = [...keys.values()].map((k) => k.documentId);
  const unitIds = [...keys.values()].map((k) => k.unitId);
  const deliveries = new Map<string, Row>();
  const warnings = new Map<string, Row>();
  if (keys.size > 0) {
    const loaded = await tx.query<Row>(
      `SELECT d.* FROM supervision_deliveries d JOIN unnest($1::text[], $2::text[]) AS k(doc, unit) ON d.document_id = k.doc AND d.unit_id = k.unit`,
      [docIds, unitIds],
    );
    for (const r of loaded.rows) deliveries.set(subjectKey({ documentId: r.document_id as string, unitId: r.unit_id as string }), isoRow(r));
    const open = await tx.query<Row>(
      `SELECT w.* FROM supervision_warnings w JOIN unnest($1::text[], $2::text[]) AS k(doc, unit) ON w.document_id = k.doc AND w.unit_id = k.unit WHERE w.cleared_at IS NULL`,
      [docIds, unitIds],
    );
    for (const r of open.rows) warnings.set(r.warning_id as string, isoRow(r));
  }
  const touched = new Set<string>();
  const touchedWarnings = new Set<string>();
  const timeline: Row[] = [];
  const late: Row[] = [];
  const signIns: Row[] = [];
  const contacts = new Map<string, Row>();
  const checks = new Map<string, Row>();

  for (const e of events) {
    if (deliveryTypes.has(e.type)) {
      const d = e.data as { documentId: string; unitId: string };
      const key = subjectKey(d);
      const row = foldDelivery(deliveries.get(key), e);
      if (row) {
        deliveries.set(key, row);
        touched.add(key);
      }
      if (e.actor.role !== 'SYSTEM' && Date.parse(e.recordedAt) - Date.parse(e.occurredAt) > LATE_RECORDING_THRESHOLD_MS) {
        late.push({ event_id: e.eventId, unit_id: d.unitId, document_id: d.documentId, type: e.type, actor_user_id: e.actor.userId, occurred_at: e.occurredAt, recorded_at: e.recordedAt });
      }
      continue;
    }
    switch (e.type) {
      case 'UserSignedIn': {
        const d = e.data as Data<typeof S.UserSignedIn>;
        signIns.push({ user_id: d.userId, day: d.day, unit_id: d.unitId, signed_in_at: d.signedInAt });
        continue;
      }
      case 'UserMobileSet': {
        const d = e.data as Data<typeof S.UserMobileSet>;
        contacts.set(d.userId, { user_id: d.userId, unit_id: d.unitId, mobile: d.mobile, set_by: d.setBy, updated_at: e.occurredAt });
        continue;
      }
      case 'DailyCheckRecorded': {
        const d = e.data as Data<typeof S.DailyCheckRecorded>;
        checks.set(d.day, { day: d.day, result: d, checked_at: d.checkedAt });
        continue;
      }
    }
    // The supervision stream of one delivery.
    const d = e.data as { documentId: string; unitId: string; clock: 'sign' | 'handle' };
    const key = subjectKey(d);
    const row = deliveries.get(key);
    timeline.push({
      event_id: e.eventId,
      global_position: e.globalPosition,
      document_id: d.documentId,
      unit_id: d.unitId,
      clock: d.clock,
      type: e.type,
      occurred_at: e.occurredAt,
      recorded_at: e.recordedAt,
      actor_user_id: e.actor.userId,
      detail: e.data,
    });
    switch (e.type) {
      case 'DeadlineSet': {
        const s = e.data as Data<typeof S.DeadlineSet>;
        if (row) {
          row[`${s.clock}_due_at`] = s.dueAt;
          row[`${s.clock}_red_at`] = s.redAt;
          row.provisional = Boolean(row.provisional) || s.provisional;
          row.policy_version = s.policyVersion;
          row.calendar_version = s.calendarVersion;
          touched.add(key);
        }
        break;
      }
      case 'ClockPaused':
      case 'ClockResumed':
        if (row) {
          row[`${d.clock}_paused`] = e.type === 'ClockPaused';
          touched.add(key);
        }
        break;
      case 'WarningIssued': {
        const w = e.data as Data<typeof S.WarningIssued>;
        warnings.set(e.eventId, {
          warning_id: e.eventId,
          global_position: e.globalPosition,
          document_id: w.documentId,
          unit_id: w.unitId,
          clock: w.clock,
          level: w.level,
          escalation: w.escalation,
          due_at: w.dueAt,
          fell_due_at: w.fellDueAt,
          raised_at: e.recordedAt,
          issuer_unit_id: w.issuerUnitId,
          title: w.title,
          doc_number: w.docNumber,
          doc_type: w.docType,
          urgency: w.urgency,
          responsible_user_ids: w.responsibleUserIds,
          policy_version: w.policyVersion,
          calendar_version: w.calendarVersion,
          cleared_at: null,
          cleared_reason: null,
        });
        touchedWarnings.add(e.eventId);
        break;
      }
      case 'WarningCleared': {
        const c = e.data as Data<typeof S.WarningCleared>;
        for (const [id, w] of warnings) {
          if (w.document_id === c.documentId && w.unit_id === c.unitId && w.clock === c.clock && w.cleared_at === null && c.levels.includes(w.level as never)) {
            w.cleared_at = c.clearedAt;
            w.cleared_reason = c.reason;
            touchedWarnings.add(id);
          }
        }
        break;
      }
    }
  }
  await upsertColumnRows(tx, upsertDeliveries, DELIVERY_COLUMNS, [...touched].map((k) => deliveries.get(k)!));
  await upsertRows(tx, upsertWarnings, [...touchedWarnings].map((k) => warnings.get(k)!));
  await upsertRows(tx, insertTimeline, timeline);
  await upsertRows(tx, insertLate, late);
  await upsertRows(tx, insertSignIns, signIns);
  await upsertRows(tx, upsertContacts, [...contacts.values()]);
  await upsertRows(tx, upsertChecks, [...checks.values()]);
}

/** Rows read back carry Dates; the fold and the json upsert work with ISO text. */
function isoRow(r: Row): Row {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

function foldDelivery(row: Row | undefined, e: RecordedEvent): Row | undefined {
  if (e.type === 'DocumentDelivered') {
    const d = e.data as Data<typeof D.DocumentDelivered>;
    // A new sending starts the copy's history afresh, as the delivery stream does.
    return {
      document_id: d.documentId, unit_id: d.unitId, issuer_unit_id: d.issuerUnitId, title: d.title, doc_number: d.docNumber, doc_type: d.docType,
      urgency: d.urgency, kind: d.kind, sent_event_id: d.sentEventId, delivered_at: d.deliveredAt, received_at: null, received_by: null,
      returned_at: null, withdrawn_at: null, assigned_at: null, assignee_user_id: null, completed_at: null, filed_at: null,
      delivery_revision: e.revision, sign_due_at: null, sign_red_at: null, sign_paused: false, handle_due_at: null, handle_red_at: null,
      handle_paused: false, provisional: false, policy_version: null, calendar_version: null,
    };
  }
  if (!row) return undefined;
  row.delivery_revision = e.revision;
  const d = e.data as Record<string, string | undefined>;
  switch (e.type) {
    case 'DocumentReceived':
      row.received_at = d.receivedAt;
      row.received_by = d.receivedBy;
      break;
    case 'DocumentReturned':
      row.returned_at = d.returnedAt;
      break;
    case 'DeliveryWithdrawn':
      row.withdrawn_at = d.withdrawnAt;
      break;
    case 'DeliveryReinstated':
      row.withdrawn_at = null;
      break;
    case 'HandlingAssigned':
      row.assigned_at = d.assignedAt;
      row.assignee_user_id = d.assigneeUserId ?? null;
      break;
    case 'HandlingCompleted':
      row.completed_at = d.completedAt;
      break;
    case 'IncomingFiled':
      row.filed_at = d.filedAt;
      break;
  }
  return row;
}

export const supervisionProjection: Projection = {
  name: 'supervision',
  version: 1,
  handles: new Set([...deliveryEvents.map((d) => d.type), ...supervisionEvents.map((d) => d.type)]),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  tables: [
    'supervision_deliveries',
    'supervision_warnings',
    'supervision_timeline',
    'supervision_late_records',
    'supervision_sign_ins',
    'supervision_contacts',
    'supervision_daily_checks',
  ],
  apply,
};
