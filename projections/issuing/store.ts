import type pg from 'pg';
import { rowMapping, upsertArrayRows, upsertArrayStatement, type Column, type FieldColumn } from '../shared/bulk-upsert.ts';
import { stageRank, urgencyRank, type IssuingRow } from './fold.ts';

/** The mapping between IssuingRow and issuing_documents: one list drives the upsert, the load and the queries. */
const columns = [
  ['document_id', 'text', 'documentId'],
  ['issuer_unit_id', 'text', 'issuerUnitId'],
  ['title', 'text', 'title'],
  ['doc_type', 'text', 'docType'],
  ['urgency', 'text', 'urgency'],
  ['doc_number', 'text', 'docNumber'],
  ['stage', 'text', 'stage'],
  ['stage_since', 'timestamptz', 'stageSince'],
  ['drafted_by', 'text', 'draftedBy'],
  ['drafted_at', 'timestamptz', 'draftedAt'],
  ['last_revised_at', 'timestamptz', 'lastRevisedAt'],
  ['sign_off_voided', 'boolean', 'signOffVoided'],
  ['signed_off_by', 'text', 'signedOffBy'],
  ['signed_off_at', 'timestamptz', 'signedOffAt'],
  ['sealed_by', 'text', 'sealedBy'],
  ['sealed_at', 'timestamptz', 'sealedAt'],
  ['seal_id', 'text', 'sealId'],
  ['sent_at', 'timestamptz', 'sentAt'],
] as const satisfies readonly FieldColumn<IssuingRow>[];

const mapping = rowMapping<IssuingRow>(columns);
const sortColumns: Column[] = [
  { name: 'urgency_rank', type: 'smallint' },
  { name: 'stage_rank', type: 'bigint' },
];
const UPSERT = upsertArrayStatement('issuing_documents', [...mapping.columns, ...sortColumns], ['document_id']);

export const ISSUING_COLUMNS = mapping.selectList;
export const issuingFromArray = (values: readonly unknown[]): IssuingRow => mapping.fromArray(values);

export async function loadIssuing(tx: pg.ClientBase, documentIds: readonly string[]): Promise<Map<string, IssuingRow>> {
  const out = new Map<string, IssuingRow>();
  if (documentIds.length === 0) return out;
  const { rows } = await tx.query<unknown[]>({
    text: `SELECT ${ISSUING_COLUMNS} FROM issuing_documents WHERE document_id = ANY($1::text[])`,
    values: [documentIds],
    rowMode: 'array',
  });
  for (const r of rows) {
    const row = issuingFromArray(r);
    out.set(row.documentId, row);
  }
  return out;
}

export async function writeIssuing(tx: pg.ClientBase, rows: readonly IssuingRow[]): Promise<void> {
  await upsertArrayRows(
    tx,
    UPSERT,
    rows.map((row) => [...mapping.toArray(row), urgencyRank(row.urgency), stageRank(row.stageSince)]),
  );
}
