import type pg from 'pg';
import { rowMapping, upsertArrayRows, upsertArrayStatement, type FieldColumn } from '../shared/bulk-upsert.ts';
import type { SentDocumentRow, SentEntry, SentRecipientRow } from './sent-row.ts';

/** The mapping of the sent box's rows to its two tables, and the batch load and write of apply. */

const documentColumns = [
  ['document_id', 'text', 'documentId'],
  ['issuer_unit_id', 'text', 'issuerUnitId'],
  ['title', 'text', 'title'],
  ['doc_number', 'text', 'docNumber'],
  ['doc_type', 'text', 'docType'],
  ['urgency', 'text', 'urgency'],
  ['sent_at', 'timestamptz', 'sentAt'],
  ['sent_by', 'text', 'sentBy'],
  ['status', 'text', 'status'],
  ['recalled_at', 'timestamptz', 'recalledAt'],
  ['recalled_by', 'text', 'recalledBy'],
  ['recall_reason', 'text', 'recallReason'],
  ['filed_at', 'timestamptz', 'filedAt'],
  ['filed_by', 'text', 'filedBy'],
  ['retention', 'text', 'retention'],
  ['recipient_count', 'int', 'recipientCount'],
  ['received_count', 'int', 'receivedCount'],
  ['returned_count', 'int', 'returnedCount'],
  ['completed_count', 'int', 'completedCount'],
  ['withdrawn_count', 'int', 'withdrawnCount'],
] as const satisfies readonly FieldColumn<SentDocumentRow>[];

const recipientColumns = [
  ['document_id', 'text', 'documentId'],
  ['unit_id', 'text', 'unitId'],
  ['ordinal', 'int', 'ordinal'],
  ['kind', 'text', 'kind'],
  ['status', 'text', 'status'],
  ['delivered_at', 'timestamptz', 'deliveredAt'],
  ['received_at', 'timestamptz', 'receivedAt'],
  ['received_by', 'text', 'receivedBy'],
  ['returned_at', 'timestamptz', 'returnedAt'],
  ['returned_by', 'text', 'returnedBy'],
  ['return_reason', 'text', 'returnReason'],
  ['withdrawn_at', 'timestamptz', 'withdrawnAt'],
  ['withdraw_reason', 'text', 'withdrawReason'],
  ['completed_at', 'timestamptz', 'completedAt'],
  ['filed_at', 'timestamptz', 'filedAt'],
] as const satisfies readonly FieldColumn<SentRecipientRow>[];

const documents = rowMapping<SentDocumentRow>(documentColumns);
const recipients = rowMapping<SentRecipientRow>(recipientColumns);

/** SELECT lists; read the results with rowMode 'array' and the *FromArray functions. */
export const DOCUMENT_COLUMNS = documents.selectList;
export const RECIPIENT_COLUMNS = recipients.selectList;
/** Position of the first column a SELECT adds after DOCUMENT_COLUMNS. */
export const DOCUMENT_WIDTH = documents.width;
export const documentFromArray = (values: readonly unknown[]): SentDocumentRow => documents.fromArray(values);
export const recipientFromArray = (values: readonly unknown[]): SentRecipientRow => recipients.fromArray(values);

/** Latest first with an ascending index: minus the epoch milliseconds of sentAt. */
export const sentRank = (sentAt: string): number => -Date.parse(sentAt);

const UPSERT_DOCUMENTS = upsertArrayStatement('sent_box_documents', [...documents.columns, { name: 'sent_rank', type: 'bigint' }], ['document_id']);
const UPSERT_RECIPIENTS = upsertArrayStatement('sent_box_recipients', recipients.columns, ['document_id', 'unit_id']);

/** The stored entries (document and all its recipients, in list order) of the given documents that exist. */
export async function loadEntries(tx: pg.ClientBase, documentIds: readonly string[]): Promise<Map<string, SentEntry>> {
  const entries = new Map<string, SentEntry>();
  if (documentIds.length === 0) return entries;
  const docs = await tx.query<unknown[]>({
    text: `SELECT ${DOCUMENT_COLUMNS} FROM sent_box_documents WHERE document_id = ANY($1::text[])`,
    values: [documentIds],
    rowMode: 'array',
  });
  const copies = await tx.query<unknown[]>({
    text: `SELECT ${RECIPIENT_COLUMNS} FROM sent_box_recipients WHERE document_id = ANY($1::text[]) ORDER BY document_id, ordinal`,
    values: [documentIds],
    rowMode: 'array',
  });
  for (const row of docs.rows) {
    const document = documentFromArray(row);
    entries.set(document.documentId, { document, recipients: [] });
  }
  for (const row of copies.rows) {
    const recipient = recipientFromArray(row);
    entries.get(recipient.documentId)?.recipients.push(recipient);
  }
  return entries;
}

export async function writeDocuments(tx: pg.ClientBase, rows: readonly SentDocumentRow[]): Promise<void> {
  await upsertArrayRows(
    tx,
    UPSERT_DOCUMENTS,
    rows.map((r) => {
      const values = documents.toArray(r);
      values.push(sentRank(r.sentAt));
      return values;
    }),
  );
}

export async function writeRecipients(tx: pg.ClientBase, rows: readonly SentRecipientRow[]): Promise<void> {
  await upsertArrayRows(tx, UPSERT_RECIPIENTS, rows.map(recipients.toArray));
}

/** Drops every recipient row of documents sent anew, before their new list is written. */
export async function clearRecipients(tx: pg.ClientBase, documentIds: readonly string[]): Promise<void> {
  if (documentIds.length > 0) await tx.query('DELETE FROM sent_box_recipients WHERE document_id = ANY($1::text[])', [documentIds]);
}
