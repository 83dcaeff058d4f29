import type pg from 'pg';
import { upsertRows, upsertStatement } from '../shared/bulk-upsert.ts';
import { indexBody, indexField, indexIssuer, type DocumentPatch, type SearchUnit } from './fold.ts';

/** Reading and writing the search tables: a handful of statements per batch, none per event. */

export async function loadUnits(tx: pg.ClientBase, unitIds: readonly string[]): Promise<Map<string, SearchUnit>> {
  if (unitIds.length === 0) return new Map();
  const { rows } = await tx.query<{ unit_id: string; names: string[] }>('SELECT unit_id, names FROM search_units WHERE unit_id = ANY($1::text[])', [unitIds]);
  return new Map(rows.map((r) => [r.unit_id, { unitId: r.unit_id, names: r.names }]));
}

const unitUpsert = upsertStatement(
  'search_units',
  [
    { name: 'unit_id', type: 'text' },
    { name: 'names', type: 'text[]' },
  ],
  ['unit_id'],
);

/** [column, recordset type]: the search_documents fields a patch can change. */
const PATCH_COLUMNS = [
  ['recipient_unit_ids', 'text[]'],
  ['status', 'text'],
  ['title', 'text'],
  ['doc_number', 'text'],
  ['doc_type', 'text'],
  ['sent_at', 'timestamptz'],
  ['urgency', 'text'],
  ['classification', 'text'],
  ['signed_off_at', 'timestamptz'],
  ['match_title', 'text'],
  ['match_number', 'text'],
  ['title_tsv', 'tsvector'],
  ['number_tsv', 'tsvector'],
] as const;
const DOCUMENT_COLUMNS = [['document_id', 'text'], ['issuer_unit_id', 'text'], ['drafted_at', 'timestamptz'], ['match_issuer', 'text'], ['issuer_tsv', 'tsvector'], ...PATCH_COLUMNS] as const;

const names = (columns: readonly (readonly [string, string])[]) => columns.map(([c]) => c).join(', ');
const recordset = (columns: readonly (readonly [string, string])[]) => `jsonb_to_recordset($1::jsonb) AS r(${columns.map(([c, t]) => `${c} ${t}`).join(', ')})`;

const insertDocuments = `INSERT INTO search_documents (${names(DOCUMENT_COLUMNS)}) SELECT ${names(DOCUMENT_COLUMNS)} FROM ${recordset(DOCUMENT_COLUMNS)}`;

// A patch leaves a field it does not carry (null in the recordset) as it is; the 成文日期 alone
// can also be cleared (a revision voids the sign-off it was dated by).
const updateDocuments =
  `UPDATE search_documents d SET ${PATCH_COLUMNS.map(([c]) =>
    c === 'signed_off_at' ? `${c} = CASE WHEN r.sign_off_voided THEN r.${c} ELSE COALESCE(r.${c}, d.${c}) END` : `${c} = COALESCE(r.${c}, d.${c})`,
  ).join(', ')} ` +
  `FROM ${recordset([['document_id', 'text'], ['sign_off_voided', 'boolean'], ...PATCH_COLUMNS])} WHERE d.document_id = r.document_id`;

// Bodies are most of the bytes a rebuild sends (~4 KB a document): they go as parallel text
// arrays, not one jsonb, and each tsvector as its lexemes split on the server. The statement
// costs PostgreSQL about a fifth of the jsonb and tsvector-text form's parsing (the bench
// ledger's 8,918 bodies: 0.7 against 3.3 s); the rows stored are the same.
const upsertBodies =
  `INSERT INTO search_bodies (document_id, body, match_body, body_tsv, complete) ` +
  `SELECT document_id, body, match_body, array_to_tsvector(string_to_array(lexemes, ' ')), complete ` +
  `FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[]) AS r(document_id, body, match_body, lexemes, complete) ` +
  `ON CONFLICT (document_id) DO UPDATE SET body = EXCLUDED.body, match_body = EXCLUDED.match_body, body_tsv = EXCLUDED.body_tsv, complete = EXCLUDED.complete`;

const updateIssuers =
  `UPDATE search_documents d SET match_issuer = r.match_issuer, issuer_tsv = r.issuer_tsv ` +
  `FROM ${recordset([['unit_id', 'text'], ['match_issuer', 'text'], ['issuer_tsv', 'tsvector']])} WHERE d.issuer_unit_id = r.unit_id`;

function documentRow(p: DocumentPatch): Record<string, unknown> {
  const row: Record<string, unknown> = {
    document_id: p.documentId,
    recipient_unit_ids: p.recipientUnitIds,
    status: p.status,
    title: p.title,
    doc_number: p.docNumber,
    doc_type: p.docType,
    sent_at: p.sentAt,
    urgency: p.urgency,
    classification: p.classification,
    signed_off_at: p.signedOffAt,
    sign_off_voided: p.signOffVoided,
  };
  if (p.title !== undefined) {
    const t = indexField(p.title, 'A');
    row.match_title = t.match;
    row.title_tsv = t.tsv;
  }
  if (p.docNumber !== undefined || p.isNew) {
    const n = indexField(p.docNumber ?? '', 'A');
    row.match_number = n.match;
    row.number_tsv = n.tsv;
  }
  return row;
}

export async function writeBatch(
  tx: pg.ClientBase,
  units: ReadonlyMap<string, SearchUnit>,
  changedUnits: ReadonlySet<string>,
  renamed: ReadonlySet<string>,
  patches: Iterable<DocumentPatch>,
): Promise<void> {
  await upsertRows(tx, unitUpsert, [...changedUnits].map((id) => ({ unit_id: id, names: units.get(id)!.names })));
  const issuers = new Map<string, ReturnType<typeof indexIssuer>>();
  const issuerOf = (unitId: string) => {
    let i = issuers.get(unitId);
    if (!i) issuers.set(unitId, (i = indexIssuer(units.get(unitId)?.names ?? [])));
    return i;
  };
  const inserts: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  const bodies = { documentIds: [] as string[], bodies: [] as string[], matches: [] as string[], lexemes: [] as string[], complete: [] as boolean[] };
  for (const p of patches) {
    if (p.isNew) {
      const issuer = issuerOf(p.issuerUnitId!);
      inserts.push({ ...documentRow(p), doc_number: p.docNumber ?? null, sent_at: p.sentAt ?? null, drafted_at: p.draftedAt, issuer_unit_id: p.issuerUnitId, match_issuer: issuer.match, issuer_tsv: issuer.tsv });
    } else if (p.recipientUnitIds || p.status || p.title !== undefined || p.docNumber !== undefined || p.docType || p.sentAt || p.urgency || p.classification || p.signedOffAt || p.signOffVoided) {
      updates.push(documentRow(p));
    }
    if (p.body !== undefined) {
      const b = indexBody(p.body);
      bodies.documentIds.push(p.documentId);
      bodies.bodies.push(p.body);
      bodies.matches.push(b.match);
      bodies.lexemes.push(b.lexemes);
      bodies.complete.push(b.complete);
    }
  }
  if (inserts.length > 0) await tx.query(insertDocuments, [JSON.stringify(inserts)]);
  if (updates.length > 0) await tx.query(updateDocuments, [JSON.stringify(updates)]);
  if (bodies.documentIds.length > 0) await tx.query(upsertBodies, [bodies.documentIds, bodies.bodies, bodies.matches, bodies.lexemes, bodies.complete]);
  if (renamed.size > 0) {
    await tx.query(updateIssuers, [
      JSON.stringify([...renamed].map((id) => ({ unit_id: id, match_issuer: issuerOf(id).match, issuer_tsv: issuerOf(id).tsv }))),
    ]);
  }
}
