import type { DeliveryEvent } from '../../schemas/events/delivery.ts';
import { Urgencies } from '../../schemas/common.ts';

/**
 * One recipient unit's copy of one document as its inbox shows it, folded from that copy's
 * delivery stream (`delivery-<documentId>.<unitId>`). Pure: no I/O, no clock.
 *
 * Statuses (the words):
 * - awaiting_receipt 待签收: delivered, not yet signed for (also after a recall was abandoned);
 * - received: signed for, nobody assigned to handle it yet;
 * - awaiting_handling 待办: assigned (to a person or a department), not completed;
 * - handled 已办: handling completed, or the copy filed (a copy read and filed without handling is done too);
 * - returned 已退回: the unit sent it back to the issuer;
 * - withdrawn: the issuer's recall (撤回) took it back.
 */
export const InboxStatuses = ['awaiting_receipt', 'received', 'awaiting_handling', 'handled', 'returned', 'withdrawn'] as const;
export type InboxStatus = (typeof InboxStatuses)[number];

type Data<T extends DeliveryEvent['type']> = Extract<DeliveryEvent, { type: T }>['data'];
type Delivered = Data<'DocumentDelivered'>;

export interface InboxRow {
  documentId: string;
  unitId: string;
  title: string;
  docNumber: string;
  docType: Delivered['docType'];
  urgency: Delivered['urgency'];
  issuerUnitId: string;
  kind: Delivered['kind'];
  sentAt: string;
  deliveredAt: string;
  status: InboxStatus;
  receivedAt: string | null;
  receivedBy: string | null;
  returnedAt: string | null;
  returnedBy: string | null;
  returnReason: string | null;
  withdrawn: boolean;
  withdrawnAt: string | null;
  withdrawReason: string | null;
  registeredAt: string | null;
  registeredBy: string | null;
  registerNo: string | null;
  reviewedAt: string | null;
  reviewAccepted: boolean | null;
  /** Everyone who has read it, in the order of first reading. */
  readers: string[];
  instructions: number;
  assigneeUserId: string | null;
  assigneeDepartment: string | null;
  dueDate: string | null;
  assignedAt: string | null;
  assignedBy: string | null;
  urges: number;
  lastUrgedAt: string | null;
  lastUrgeLevel: Data<'HandlingUrged'>['level'] | null;
  completedAt: string | null;
  completedBy: string | null;
  result: string | null;
  replies: number;
  lastRepliedAt: string | null;
  filedAt: string | null;
  retention: Data<'IncomingFiled'>['retention'] | null;
}

export const inboxKey = (documentId: string, unitId: string): string => `${documentId}.${unitId}`;

export function inboxStatus(r: Pick<InboxRow, 'withdrawn' | 'returnedAt' | 'receivedAt' | 'completedAt' | 'filedAt' | 'assignedAt'>): InboxStatus {
  if (r.withdrawn) return 'withdrawn';
  if (r.returnedAt !== null) return 'returned';
  if (r.receivedAt === null) return 'awaiting_receipt';
  if (r.completedAt !== null || r.filedAt !== null) return 'handled';
  if (r.assignedAt !== null) return 'awaiting_handling';
  return 'received';
}

/**
 * Folds one event into the copy's row. A DocumentDelivered starts the row afresh: a copy sent again
 * after a return or a recall has a new history, as in the delivery decider. Any other event on a
 * copy the inbox has never seen means the feed is broken, not something to paper over.
 */
export function foldInbox(row: InboxRow | undefined, event: DeliveryEvent): InboxRow {
  if (event.type === 'DocumentDelivered') return delivered(event.data);
  if (!row) {
    throw new Error(`inbox: ${event.type} for ${inboxKey(event.data.documentId, event.data.unitId)} before its DocumentDelivered`);
  }
  const next = step(row, event);
  // `next` is either `row` itself (nothing changed) or a copy made by `step`, ours to complete.
  if (next !== row) next.status = inboxStatus(next);
  return next;
}

function delivered(d: Delivered): InboxRow {
  return {
    documentId: d.documentId,
    unitId: d.unitId,
    title: d.title,
    docNumber: d.docNumber,
    docType: d.docType,
    urgency: d.urgency,
    issuerUnitId: d.issuerUnitId,
    kind: d.kind,
    sentAt: d.sentAt,
    deliveredAt: d.deliveredAt,
    status: 'awaiting_receipt',
    receivedAt: null,
    receivedBy: null,
    returnedAt: null,
    returnedBy: null,
    returnReason: null,
    withdrawn: false,
    withdrawnAt: null,
    withdrawReason: null,
    registeredAt: null,
    registeredBy: null,
    registerNo: null,
    reviewedAt: null,
    reviewAccepted: null,
    readers: [],
    instructions: 0,
    assigneeUserId: null,
    assigneeDepartment: null,
    dueDate: null,
    assignedAt: null,
    assignedBy: null,
    urges: 0,
    lastUrgedAt: null,
    lastUrgeLevel: null,
    completedAt: null,
    completedBy: null,
    result: null,
    replies: 0,
    lastRepliedAt: null,
    filedAt: null,
    retention: null,
  };
}

function step(row: InboxRow, event: Exclude<DeliveryEvent, { type: 'DocumentDelivered' }>): InboxRow {
  switch (event.type) {
    case 'DocumentReceived':
      return { ...row, receivedAt: event.data.receivedAt, receivedBy: event.data.receivedBy };
    case 'DocumentReturned':
      return { ...row, returnedAt: event.data.returnedAt, returnedBy: event.data.returnedBy, returnReason: event.data.reason };
    case 'DeliveryWithdrawn':
      return { ...row, withdrawn: true, withdrawnAt: event.data.withdrawnAt, withdrawReason: event.data.reason };
    case 'DeliveryReinstated':
      return { ...row, withdrawn: false, withdrawnAt: null, withdrawReason: null };
    case 'IncomingRegistered':
      return { ...row, registeredAt: event.data.registeredAt, registeredBy: event.data.registeredBy, registerNo: event.data.registerNo ?? null };
    case 'IncomingReviewed':
      return { ...row, reviewedAt: event.data.reviewedAt, reviewAccepted: event.data.accepted };
    case 'DocumentRead':
      return row.readers.includes(event.data.readBy) ? row : { ...row, readers: [...row.readers, event.data.readBy] };
    case 'InstructionGiven':
      return { ...row, instructions: row.instructions + 1 };
    case 'HandlingAssigned': {
      const d = event.data;
      return {
        ...row,
        assigneeUserId: d.assigneeUserId ?? null,
        assigneeDepartment: d.assigneeDepartment ?? null,
        dueDate: d.dueDate,
        assignedAt: d.assignedAt,
        assignedBy: d.assignedBy,
      };
    }
    case 'HandlingUrged':
      return { ...row, urges: row.urges + 1, lastUrgedAt: event.data.urgedAt, lastUrgeLevel: event.data.level };
    case 'HandlingCompleted':
      return { ...row, completedAt: event.data.completedAt, completedBy: event.data.completedBy, result: event.data.result };
    case 'ReplySent':
      return { ...row, replies: row.replies + 1, lastRepliedAt: event.data.repliedAt };
    case 'IncomingFiled':
      return { ...row, filedAt: event.data.filedAt, retention: event.data.retention };
  }
}

// ---------------------------------------------------------------------------------------------
// Sort keys: all ascending integers, so that one composite index serves both the ORDER BY and the
// keyset condition `(urgency_rank, due_rank, delivered_rank, document_id) > cursor` as a range scan.

/** 特急 0, 加急 1, 平件 2. */
export const urgencyRank = (urgency: InboxRow['urgency']): number => Urgencies.indexOf(urgency);

/** Rows with no due date sort after every row that has one. */
export const NO_DUE_DATE = Number.MAX_SAFE_INTEGER;

/**
 * The moment a due date falls due, in epoch milliseconds. A calendar date is due by the end of that
 * day in China Standard Time (UTC+8, the rule the delivery decider applies), i.e. at the next
 * midnight there; an exact time is due at that time.
 */
export function dueRank(dueDate: string | null): number {
  if (dueDate === null) return NO_DUE_DATE;
  if (/^\d{4}-\d{2}-\d{2}$/.test(dueDate)) return Date.parse(`${dueDate}T00:00:00+08:00`) + 86_400_000;
  return Date.parse(dueDate);
}

/** Later deliveries first: the negated epoch milliseconds, so the index stays ascending. */
export const deliveredRank = (deliveredAt: string): number => -Date.parse(deliveredAt);
