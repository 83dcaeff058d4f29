import type pg from 'pg';
import { upsertRows, upsertStatement } from '../shared/bulk-upsert.ts';
import type { DocumentRow, ItemRow, PendingItem, UnitRow } from './fold.ts';
import { groupKeyOf } from './fold.ts';

/** Reading and writing the catalogue's tables: one statement per table per batch. */

export async function loadUnits(tx: pg.ClientBase, unitIds: readonly string[]): Promise<Map<string, UnitRow>> {
  const { rows } = await tx.query<{ unit_id: string; name: string; fonds_code: string | null; organisation_code: string | null }>(
    'SELECT unit_id, name, fonds_code, organisation_code FROM catalogue_units WHERE unit_id = ANY($1::text[])',
    [unitIds],
  );
  return new Map(rows.map((r) => [r.unit_id, { unitId: r.unit_id, name: r.name, fondsCode: r.fonds_code, organisationCode: r.organisation_code }]));
}

export async function loadDocuments(tx: pg.ClientBase, documentIds: readonly string[]): Promise<Map<string, DocumentRow>> {
  const { rows } = await tx.query<{
    document_id: string;
    issuer_unit_id: string;
    signed_off_at: Date | null;
    title: string | null;
    doc_number: string | null;
    issuer_name: string | null;
    rendered_pages: number | null;
  }>(
    `SELECT document_id, issuer_unit_id, signed_off_at, title, doc_number, issuer_name, rendered_pages
       FROM catalogue_documents WHERE document_id = ANY($1::text[])`,
    [documentIds],
  );
  return new Map(
    rows.map((r) => [
      r.document_id,
      { documentId: r.document_id, issuerUnitId: r.issuer_unit_id, signedOffAt: r.signed_off_at?.toISOString() ?? null, title: r.title, docNumber: r.doc_number, issuerName: r.issuer_name, renderedPages: r.rendered_pages },
    ]),
  );
}

/** The last 件号 of every group the pending items fall into. */
export async function loadCounters(tx: pg.ClientBase, pending: readonly PendingItem[]): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  if (pending.length === 0) return counters;
  const groups = new Map(pending.map((p) => [groupKeyOf(p), { fonds_key: p.fondsKey, year: p.year, retention: p.retention, group_org: p.groupOrg }]));
  const { rows } = await tx.query<{ fonds_key: string; year: number; retention: string; group_org: string; last_item: number }>(
    `SELECT g.fonds_key, g.year, g.retention, g.group_org, g.last_item
       FROM jsonb_to_recordset($1::jsonb) AS k(fonds_key text, year int, retention text, group_org text)
       JOIN catalogue_groups g USING (fonds_key, year, retention, group_org)`,
    [JSON.stringify([...groups.values()])],
  );
  for (const r of rows) counters.set(groupKeyOf({ fondsKey: r.fonds_key, year: r.year, retention: r.retention as PendingItem['retention'], groupOrg: r.group_org }), r.last_item);
  return counters;
}

const unitUpsert = upsertStatement(
  'catalogue_units',
  [
    { name: 'unit_id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'fonds_code', type: 'text' },
    { name: 'organisation_code', type: 'text' },
  ],
  ['unit_id'],
);

const documentUpsert = upsertStatement(
  'catalogue_documents',
  [
    { name: 'document_id', type: 'text' },
    { name: 'issuer_unit_id', type: 'text' },
    { name: 'signed_off_at', type: 'timestamptz' },
    { name: 'title', type: 'text' },
    { name: 'doc_number', type: 'text' },
    { name: 'issuer_name', type: 'text' },
    { name: 'rendered_pages', type: 'int' },
  ],
  ['document_id'],
);

const groupUpsert = upsertStatement(
  'catalogue_groups',
  [
    { name: 'fonds_key', type: 'text' },
    { name: 'year', type: 'int' },
    { name: 'retention', type: 'text' },
    { name: 'group_org', type: 'text' },
    { name: 'last_item', type: 'int' },
  ],
  ['fonds_key', 'year', 'retention', 'group_org'],
);

const ITEM_COLUMNS: readonly (readonly [string, string, keyof ItemRow])[] = [
  ['document_id', 'text', 'documentId'],
  ['unit_id', 'text', 'unitId'],
  ['side', 'text', 'side'],
  ['fonds_key', 'text', 'fondsKey'],
  ['fonds_code', 'text', 'fondsCode'],
  ['year', 'int', 'year'],
  ['retention', 'text', 'retention'],
  ['retention_rank', 'smallint', 'retentionRank'],
  ['organisation_code', 'text', 'organisationCode'],
  ['group_org', 'text', 'groupOrg'],
  ['item_no', 'int', 'itemNo'],
  ['archival_code', 'text', 'archivalCode'],
  ['doc_number', 'text', 'docNumber'],
  ['responsible', 'text', 'responsible'],
  ['title', 'text', 'title'],
  ['document_date', 'text', 'documentDate'],
  ['classification', 'text', 'classification'],
  ['pages', 'int', 'pages'],
  ['remarks', 'text', 'remarks'],
  ['recalled', 'boolean', 'recalled'],
  ['filed_by', 'text', 'filedBy'],
  ['filed_at', 'timestamptz', 'filedAt'],
];

// A plain INSERT: filing is terminal, so a second row for the same (document, unit) is a ledger
// fault that must stop the projection rather than silently renumber anything.
const itemInsert =
  `INSERT INTO catalogue_items (${ITEM_COLUMNS.map(([c]) => c).join(', ')}) ` +
  `SELECT ${ITEM_COLUMNS.map(([c]) => c).join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${ITEM_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})`;

export async function writeBatch(
  tx: pg.ClientBase,
  units: readonly UnitRow[],
  documents: readonly DocumentRow[],
  items: readonly ItemRow[],
  counters: ReadonlyMap<string, number>,
  rendered: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  await upsertRows(
    tx,
    unitUpsert,
    units.map((u) => ({ unit_id: u.unitId, name: u.name, fonds_code: u.fondsCode, organisation_code: u.organisationCode })),
  );
  await upsertRows(
    tx,
    documentUpsert,
    documents.map((d) => ({
      document_id: d.documentId,
      issuer_unit_id: d.issuerUnitId,
      signed_off_at: d.signedOffAt,
      title: d.title,
      doc_number: d.docNumber,
      issuer_name: d.issuerName,
      rendered_pages: d.renderedPages,
    })),
  );
  if (items.length > 0) {
    await tx.query(itemInsert, [JSON.stringify(items.map((i) => Object.fromEntries(ITEM_COLUMNS.map(([c, , f]) => [c, i[f]]))))]);
    const touched = new Set(items.map(groupKeyOf));
    await upsertRows(
      tx,
      groupUpsert,
      [...touched].map((key) => {
        const [fonds_key, year, retention, group_org] = JSON.parse(key) as [string, number, string, string];
        return { fonds_key, year, retention, group_org, last_item: counters.get(key) };
      }),
    );
  }
  if (rendered.size > 0) {
    // The documents also as an array the planner can count: joined to the function's rows alone
    // (estimated at 100), it chose a sequential scan of every item for each rendering recorded.
    await tx.query(
      `UPDATE catalogue_items i SET pages = r.pages FROM jsonb_to_recordset($1::jsonb) AS r(document_id text, pages int)
        WHERE i.document_id = ANY($2::text[]) AND i.document_id = r.document_id AND i.pages IS DISTINCT FROM r.pages`,
      [JSON.stringify([...rendered].map(([document_id, pages]) => ({ document_id, pages }))), [...rendered.keys()]],
    );
  }
}
