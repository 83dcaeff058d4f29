import type pg from 'pg';
import { refuse } from '../../src/domain/refusal.ts';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
import type { SentDocumentRow, SentRecipientRow, SentStatus } from './sent-row.ts';
import { DOCUMENT_COLUMNS, RECIPIENT_COLUMNS, documentFromArray, recipientFromArray } from './sent-table.ts';

/** A recipient's copy as the sender sees it; receivedAt and receivedBy are the receipt (回执). */
export type SentRecipient = Omit<SentRecipientRow, 'documentId' | 'ordinal'>;

/** A sent document with every recipient, in the order of its recipient list (主送, then 抄送). */
export interface SentDocument extends SentDocumentRow {
  recipients: SentRecipient[];
}

export interface ListSentOptions extends PageArgs {
  /** The issuing unit. */
  unitId: string;
  /** Only the documents in this state (sent, recalled, filed). */
  status?: SentStatus;
  /** NEWEST (the default): the latest sent first; OLDEST: the earliest first. */
  sort?: SentSort;
}

export const SentSorts = ['NEWEST', 'OLDEST'] as const;
export type SentSort = (typeof SentSorts)[number];
const SentStatuses: readonly SentStatus[] = ['sent', 'recalled', 'filed'];

const CURSOR_SCOPE = 'sent-box';
/** minus sentAt, then documentId: ascending is the latest first; documentId makes the order total. */
const KEY: readonly KeyColumn[] = [
  { sql: 'sent_rank', type: 'bigint' },
  { sql: 'document_id', type: 'text' },
];

/**
 * One page of a unit's sent box in either direction (Relay), each document with its recipients:
 * the page from the (issuer_unit_id[, status], sent_rank, document_id) indexes, read forwards or
 * backwards, then the recipients of exactly those documents.
 */
export async function listSent(pool: pg.Pool, opts: ListSentOptions): Promise<Connection<SentDocument>> {
  const sort = opts.sort ?? 'NEWEST';
  if (!SentSorts.includes(sort)) refuse('VALIDATION_FAILED', `排序方式须为 ${SentSorts.join('、')} 之一 (unknown sort)`, { sort });
  if (opts.status !== undefined && !SentStatuses.includes(opts.status)) {
    refuse('VALIDATION_FAILED', `发文状态须为 ${SentStatuses.join('、')} 之一 (unknown sent-box status)`, { status: opts.status });
  }
  const where = ['issuer_unit_id = $1'];
  const params: unknown[] = [opts.unitId];
  if (opts.status !== undefined) {
    params.push(opts.status);
    where.push('status = $2');
  }
  const page = await keysetConnection(
    pool,
    // OLDEST reads the same order the other way, so one cursor scope serves both.
    { scope: CURSOR_SCOPE, key: KEY, descending: sort === 'OLDEST', select: DOCUMENT_COLUMNS, from: 'sent_box_documents', where, params, item: documentFromArray },
    opts,
  );
  const byDocument = await recipientsOf(pool, page.items.map((d) => d.documentId));
  return { ...page, items: page.items.map((d) => ({ ...d, recipients: byDocument.get(d.documentId) ?? [] })) };
}

/** One sent document with its recipients, or null when it was never sent. */
export async function sentDocument(pool: pg.Pool, documentId: string): Promise<SentDocument | null> {
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT ${DOCUMENT_COLUMNS} FROM sent_box_documents WHERE document_id = $1`,
    values: [documentId],
    rowMode: 'array',
  });
  if (!rows[0]) return null;
  const recipients = await recipientsOf(pool, [documentId]);
  return { ...documentFromArray(rows[0]), recipients: recipients.get(documentId) ?? [] };
}

async function recipientsOf(pool: pg.Pool, documentIds: readonly string[]): Promise<Map<string, SentRecipient[]>> {
  const out = new Map<string, SentRecipient[]>();
  if (documentIds.length === 0) return out;
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT ${RECIPIENT_COLUMNS} FROM sent_box_recipients WHERE document_id = ANY($1::text[]) ORDER BY document_id, ordinal`,
    values: [documentIds],
    rowMode: 'array',
  });
  for (const row of rows) {
    const { documentId, ordinal: _ordinal, ...recipient } = recipientFromArray(row);
    const list = out.get(documentId);
    if (list) list.push(recipient);
    else out.set(documentId, [recipient]);
  }
  return out;
}
