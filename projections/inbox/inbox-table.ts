import type pg from 'pg';
import { rowMapping, upsertArrayRows, upsertArrayStatement, type Column, type FieldColumn } from '../shared/bulk-upsert.ts';
import { deliveredRank, dueRank, urgencyRank, type InboxRow } from './inbox-row.ts';

/**
 * The mapping between InboxRow and the inbox_items table, and the batch load and write of apply.
 * One list of columns drives the upsert, the load and the queries, so they cannot drift apart.
 */

const columns = [
  ['document_id', 'text', 'documentId'],
  ['unit_id', 'text', 'unitId'],
  ['title', 'text', 'title'],
  ['doc_number', 'text', 'docNumber'],
  ['doc_type', 'text', 'docType'],
  ['urgency', 'text', 'urgency'],
  ['issuer_unit_id', 'text', 'issuerUnitId'],
  ['kind', 'text', 'kind'],
  ['sent_at', 'timestamptz', 'sentAt'],
  ['delivered_at', 'timestamptz', 'deliveredAt'],
  ['status', 'text', 'status'],
  ['received_at', 'timestamptz', 'receivedAt'],
  ['received_by', 'text', 'receivedBy'],
  ['returned_at', 'timestamptz', 'returnedAt'],
  ['returned_by', 'text', 'returnedBy'],
  ['return_reason', 'text', 'returnReason'],
  ['withdrawn', 'boolean', 'withdrawn'],
  ['withdrawn_at', 'timestamptz', 'withdrawnAt'],
  ['withdraw_reason', 'text', 'withdrawReason'],
  ['registered_at', 'timestamptz', 'registeredAt'],
  ['registered_by', 'text', 'registeredBy'],
  ['register_no', 'text', 'registerNo'],
  ['reviewed_at', 'timestamptz', 'reviewedAt'],
  ['review_accepted', 'boolean', 'reviewAccepted'],
  ['readers', 'text[]', 'readers'],
  ['instructions', 'int', 'instructions'],
  ['assignee_user_id', 'text', 'assigneeUserId'],
  ['assignee_department', 'text', 'assigneeDepartment'],
  ['due_date', 'text', 'dueDate'],
  ['assigned_at', 'timestamptz', 'assignedAt'],
  ['assigned_by', 'text', 'assignedBy'],
  ['urges', 'int', 'urges'],
  ['last_urged_at', 'timestamptz', 'lastUrgedAt'],
  ['last_urge_level', 'text', 'lastUrgeLevel'],
  ['completed_at', 'timestamptz', 'completedAt'],
  ['completed_by', 'text', 'completedBy'],
  ['result', 'text', 'result'],
  ['replies', 'int', 'replies'],
  ['last_replied_at', 'timestamptz', 'lastRepliedAt'],
  ['filed_at', 'timestamptz', 'filedAt'],
  ['retention', 'text', 'retention'],
] as const satisfies readonly FieldColumn<InboxRow>[];

const mapping = rowMapping<InboxRow>(columns);

const sortColumns: Column[] = [
  { name: 'urgency_rank', type: 'smallint' },
  { name: 'due_rank', type: 'bigint' },
  { name: 'delivered_rank', type: 'bigint' },
];

/** The row columns, for SELECT lists; read the result with rowMode 'array' and `rowFromArray`. */
export const INBOX_COLUMNS = mapping.selectList;
/** Position of the first column a SELECT adds after INBOX_COLUMNS. */
export const INBOX_WIDTH = mapping.width;

const UPSERT = upsertArrayStatement('inbox_items', [...mapping.columns, ...sortColumns], ['document_id', 'unit_id']);

export const rowFromArray = (values: readonly unknown[]): InboxRow => mapping.fromArray(values);

function rowToArray(row: InboxRow): unknown[] {
  const values = mapping.toArray(row);
  values.push(urgencyRank(row.urgency), dueRank(row.dueDate), deliveredRank(row.deliveredAt));
  return values;
}

/** The stored rows of those of the given copies the inbox already has. */
export async function loadInboxRows(tx: pg.ClientBase, keys: readonly { documentId: string; unitId: string }[]): Promise<InboxRow[]> {
  if (keys.length === 0) return [];
  const { rows } = await tx.query<unknown[]>({
    text: `SELECT ${INBOX_COLUMNS} FROM inbox_items JOIN unnest($1::text[], $2::text[]) AS k(document_id, unit_id) USING (document_id, unit_id)`,
    values: [keys.map((k) => k.documentId), keys.map((k) => k.unitId)],
    rowMode: 'array',
  });
  return rows.map(rowFromArray);
}

export async function writeInboxRows(tx: pg.ClientBase, rows: readonly InboxRow[]): Promise<void> {
  await upsertArrayRows(tx, UPSERT, rows.map(rowToArray));
}
