import type { DeliveryEvent } from '../../schemas/events/delivery.ts';
import type { DocumentEvent } from '../../schemas/events/document.ts';

/**
 * 发文 sent box of the issuing unit: each sent document with the state of every recipient's copy,
 * folded from the document's DocumentSent / DocumentRecalled / DocumentFiled and the delivery
 * events of its copies. Pure: no I/O, no clock.
 */

type DocData<T extends DocumentEvent['type']> = Extract<DocumentEvent, { type: T }>['data'];
type Sent = DocData<'DocumentSent'>;

/** sent; recalled 撤回 (every copy withdrawn); filed 归档 on the issuing side (also after a recall). */
export type SentStatus = 'sent' | 'recalled' | 'filed';

/**
 * Where one recipient's copy stands, as the sender sees it:
 * pending (sent, the delivery not yet made), delivered 送达, received 签收 (the receipt, 回执),
 * returned 退回, completed 办结, filed 归档 at the recipient, withdrawn by the sender's recall.
 */
export const RecipientStatuses = ['pending', 'delivered', 'received', 'returned', 'completed', 'filed', 'withdrawn'] as const;
export type RecipientStatus = (typeof RecipientStatuses)[number];

export interface SentDocumentRow {
  documentId: string;
  issuerUnitId: string;
  title: string;
  docNumber: string;
  docType: Sent['docType'];
  urgency: Sent['urgency'];
  sentAt: string;
  sentBy: string;
  status: SentStatus;
  recalledAt: string | null;
  recalledBy: string | null;
  recallReason: string | null;
  filedAt: string | null;
  filedBy: string | null;
  retention: DocData<'DocumentFiled'>['retention'] | null;
  recipientCount: number;
  /** Copies signed for (签收), including those handled or filed since. */
  receivedCount: number;
  returnedCount: number;
  completedCount: number;
  withdrawnCount: number;
}

export interface SentRecipientRow {
  documentId: string;
  unitId: string;
  /** Place in the document's recipient list: 主送 in their order, then 抄送. */
  ordinal: number;
  kind: Sent['recipients'][number]['kind'];
  status: RecipientStatus;
  deliveredAt: string | null;
  /** receivedAt and receivedBy are the receipt (回执). */
  receivedAt: string | null;
  receivedBy: string | null;
  returnedAt: string | null;
  returnedBy: string | null;
  returnReason: string | null;
  withdrawnAt: string | null;
  withdrawReason: string | null;
  completedAt: string | null;
  filedAt: string | null;
}

/** One document of the sent box with all its recipients' rows, in list order. */
export interface SentEntry {
  document: SentDocumentRow;
  recipients: SentRecipientRow[];
}

export type SentBoxEvent =
  | Extract<DocumentEvent, { type: 'DocumentSent' | 'DocumentRecalled' | 'DocumentFiled' }>
  | Extract<
      DeliveryEvent,
      {
        type:
          | 'DocumentDelivered'
          | 'DocumentReceived'
          | 'DocumentReturned'
          | 'DeliveryWithdrawn'
          | 'DeliveryReinstated'
          | 'HandlingCompleted'
          | 'IncomingFiled';
      }
    >;

export const sentBoxEventTypes: readonly SentBoxEvent['type'][] = [
  'DocumentSent',
  'DocumentRecalled',
  'DocumentFiled',
  'DocumentDelivered',
  'DocumentReceived',
  'DocumentReturned',
  'DeliveryWithdrawn',
  'DeliveryReinstated',
  'HandlingCompleted',
  'IncomingFiled',
];

export function recipientStatus(r: SentRecipientRow): RecipientStatus {
  if (r.withdrawnAt !== null) return 'withdrawn';
  if (r.returnedAt !== null) return 'returned';
  if (r.filedAt !== null) return 'filed';
  if (r.completedAt !== null) return 'completed';
  if (r.receivedAt !== null) return 'received';
  if (r.deliveredAt !== null) return 'delivered';
  return 'pending';
}

export const sentStatus = (d: Pick<SentDocumentRow, 'filedAt' | 'recalledAt'>): SentStatus =>
  d.filedAt !== null ? 'filed' : d.recalledAt !== null ? 'recalled' : 'sent';

/**
 * The document row with its status and counters derived from its recipients. foldSent leaves them
 * as they were; the caller derives them once per document after the whole batch is folded (a
 * broadcast to hundreds of units would otherwise recount every recipient at every event).
 */
export function summarise({ document, recipients }: SentEntry): SentDocumentRow {
  let receivedCount = 0;
  let returnedCount = 0;
  let completedCount = 0;
  let withdrawnCount = 0;
  for (const r of recipients) {
    if (r.receivedAt !== null) receivedCount++;
    if (r.status === 'returned') returnedCount++;
    if (r.completedAt !== null) completedCount++;
    if (r.status === 'withdrawn') withdrawnCount++;
  }
  return { ...document, status: sentStatus(document), recipientCount: recipients.length, receivedCount, returnedCount, completedCount, withdrawnCount };
}

const emptyCopy = (documentId: string, unitId: string, ordinal: number, kind: SentRecipientRow['kind']): SentRecipientRow => ({
  documentId,
  unitId,
  ordinal,
  kind,
  status: 'pending',
  deliveredAt: null,
  receivedAt: null,
  receivedBy: null,
  returnedAt: null,
  returnedBy: null,
  returnReason: null,
  withdrawnAt: null,
  withdrawReason: null,
  completedAt: null,
  filedAt: null,
});

/**
 * Folds one event into the document's entry (the document row's status and counters are left for
 * `summarise`). Returns the new entry and the unitId of the recipient row it changed (null when
 * only the document row changed, '*' when every row is new). An event for a document the sent box
 * never saw sent, or for a unit that was not a recipient, means the feed is broken, and is an
 * error rather than a row made up from half the facts.
 */
export function foldSent(entry: SentEntry | undefined, event: SentBoxEvent): { entry: SentEntry; changed: string | null } {
  if (event.type === 'DocumentSent') return { entry: sent(event.data, entry), changed: '*' };
  if (!entry) throw new Error(`sent-box: ${event.type} for document ${event.data.documentId} before its DocumentSent`);
  switch (event.type) {
    case 'DocumentRecalled': {
      const d = event.data;
      return { entry: withDocument(entry, { recalledAt: d.recalledAt, recalledBy: d.recalledBy, recallReason: d.reason }), changed: null };
    }
    case 'DocumentFiled': {
      const d = event.data;
      return { entry: withDocument(entry, { filedAt: d.filedAt, filedBy: d.filedBy, retention: d.retention }), changed: null };
    }
    default:
      return { entry: withCopy(entry, event.data.unitId, copyStep(event), event.type), changed: event.data.unitId };
  }
}

/**
 * The document decider sends a document once; should a later version send it again (the delivery
 * decider already accepts a new send for copies that were returned or withdrawn), the copies of
 * units still listed keep their history until their new DocumentDelivered starts it afresh.
 */
function sent(d: Sent, previous: SentEntry | undefined): SentEntry {
  const recipients = d.recipients.map((r, i) => {
    const kept = previous?.recipients.find((p) => p.unitId === r.unitId);
    return kept ? { ...kept, ordinal: i, kind: r.kind } : emptyCopy(d.documentId, r.unitId, i, r.kind);
  });
  const document: SentDocumentRow = {
    documentId: d.documentId,
    issuerUnitId: d.issuerUnitId,
    title: d.title,
    docNumber: d.docNumber,
    docType: d.docType,
    urgency: d.urgency,
    sentAt: d.sentAt,
    sentBy: d.sentBy,
    status: 'sent',
    recalledAt: null,
    recalledBy: null,
    recallReason: null,
    filedAt: null,
    filedBy: null,
    retention: null,
    recipientCount: 0,
    receivedCount: 0,
    returnedCount: 0,
    completedCount: 0,
    withdrawnCount: 0,
  };
  return { document, recipients };
}

function withDocument(entry: SentEntry, change: Partial<SentDocumentRow>): SentEntry {
  return { ...entry, document: { ...entry.document, ...change } };
}

type CopyEvent = Exclude<SentBoxEvent, { type: 'DocumentSent' | 'DocumentRecalled' | 'DocumentFiled' }>;

function withCopy(entry: SentEntry, unitId: string, change: (r: SentRecipientRow) => SentRecipientRow, what: string): SentEntry {
  const at = entry.recipients.findIndex((r) => r.unitId === unitId);
  if (at < 0) throw new Error(`sent-box: ${what} for ${entry.document.documentId}.${unitId}, which is not among the document's recipients`);
  const recipients = entry.recipients.slice();
  const next = change(recipients[at]!);
  next.status = recipientStatus(next); // `next` is a fresh copy made by `change`
  recipients[at] = next;
  return { document: entry.document, recipients };
}

function copyStep(event: CopyEvent): (r: SentRecipientRow) => SentRecipientRow {
  switch (event.type) {
    case 'DocumentDelivered':
      // A copy delivered again (after a return or a recall) starts afresh, as in the delivery decider.
      return (r) => ({ ...emptyCopy(r.documentId, r.unitId, r.ordinal, event.data.kind), deliveredAt: event.data.deliveredAt });
    case 'DocumentReceived':
      return (r) => ({ ...r, receivedAt: event.data.receivedAt, receivedBy: event.data.receivedBy });
    case 'DocumentReturned':
      return (r) => ({ ...r, returnedAt: event.data.returnedAt, returnedBy: event.data.returnedBy, returnReason: event.data.reason });
    case 'DeliveryWithdrawn':
      return (r) => ({ ...r, withdrawnAt: event.data.withdrawnAt, withdrawReason: event.data.reason });
    case 'DeliveryReinstated':
      return (r) => ({ ...r, withdrawnAt: null, withdrawReason: null });
    case 'HandlingCompleted':
      return (r) => ({ ...r, completedAt: event.data.completedAt });
    case 'IncomingFiled':
      return (r) => ({ ...r, filedAt: event.data.filedAt });
  }
}
