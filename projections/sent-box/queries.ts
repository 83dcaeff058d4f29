import type pg from 'pg';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../shared/keyset.ts';
import type { SentDocumentRow, SentRecipientRow } from './sent-row.ts';
import { DOCUMENT_COLUMNS, DOCUMENT_WIDTH, RECIPIENT_COLUMNS, documentFromArray, recipientFromArray } from './sent-table.ts';

/** A recipient's copy as the sender sees it; receivedAt and receivedBy are the receipt (回执). */
export type SentRecipient = Omit<SentRecipientRow, 'documentId' | 'ordinal'>;

/** A sent document with every recipient, in the order of its recipient list (主送, then 抄送). */
export interface SentDocument extends SentDocumentRow {
  recipients: SentRecipient[];
}

export interface ListSentOptions {
  /** The issuing unit. */
  unitId: string;
  first: number;
  after?: string | null;
}

const CURSOR_SCOPE = 'sent-box';
const CURSOR_SHAPE = ['number', 'string'] as const;

/**
 * One page of a unit's sent box, the latest sent first (documentId breaks ties, so the order is
 * total and pages neither repeat nor skip), each document with its recipients. Two queries per page
 * whatever its size: the page from the (issuer_unit_id, sent_rank, document_id) index, then the
 * recipients of exactly those documents.
 */
export async function listSent(pool: pg.Pool, opts: ListSentOptions): Promise<Page<SentDocument>> {
  const size = pageSize(opts.first);
  const params: unknown[] = [opts.unitId];
  let keyset = '';
  if (opts.after != null) {
    const [rank, documentId] = decodeCursor(CURSOR_SCOPE, opts.after, CURSOR_SHAPE);
    params.push(rank, documentId);
    keyset = 'AND (sent_rank, document_id) > ($2::bigint, $3::text)';
  }
  params.push(size + 1);
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT ${DOCUMENT_COLUMNS}, sent_rank FROM sent_box_documents
      WHERE issuer_unit_id = $1 ${keyset}
      ORDER BY sent_rank, document_id
      LIMIT $${params.length}`,
    values: params,
    rowMode: 'array',
  });
  // document_id is the first row column; sent_rank follows the row columns.
  const page = toPage(rows, size, documentFromArray, (r) => encodeCursor(CURSOR_SCOPE, [r[DOCUMENT_WIDTH] as number, r[0] as string]));
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
