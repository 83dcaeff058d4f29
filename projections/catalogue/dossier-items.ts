import type pg from 'pg';
import type { RetentionCode } from '../../archive-formats/archival-code/index.ts';
import type { FiledItem } from '../../src/domain/dossier/arrangement.ts';
import type { Side } from './fold.ts';

/**
 * What closing a dossier reads from the catalogue: every item filed into a fonds in a year, with
 * the fields that are frozen with it (the domain's FiledItem). The catalogue's own 件号 and 档号
 * are provisional until then.
 */
export async function filedItems(pool: pg.Pool | pg.ClientBase, fonds: string, year: number): Promise<FiledItem[]> {
  const { rows } = await pool.query<{
    document_id: string;
    unit_id: string;
    side: Side;
    fonds_code: string | null;
    retention: RetentionCode;
    organisation_code: string | null;
    title: string;
    doc_number: string | null;
    responsible: string;
    document_date: string;
    classification: string;
    pages: number | null;
    rendered_pages: number | null;
    remarks: string | null;
    filed_at: Date;
  }>(
    `SELECT i.document_id, i.unit_id, i.side, i.fonds_code, i.retention, i.organisation_code, i.title, i.doc_number, i.responsible,
            i.document_date, i.classification, i.pages, d.rendered_pages, i.remarks, i.filed_at
       FROM catalogue_items i LEFT JOIN catalogue_documents d ON d.document_id = i.document_id
      WHERE i.fonds_key = $1 AND i.year = $2
      ORDER BY i.retention_rank, i.group_org, i.item_no`,
    [fonds, year],
  );
  return rows.map((r) => ({
    documentId: r.document_id,
    unitId: r.unit_id,
    side: r.side,
    fondsCode: r.fonds_code,
    retention: r.retention,
    organisationCode: r.organisation_code,
    title: r.title,
    docNumber: r.doc_number ?? '',
    responsible: r.responsible,
    date: r.document_date,
    classification: r.classification,
    pages: r.pages,
    renderedPages: r.rendered_pages,
    remarks: r.remarks ?? '',
    filedAt: r.filed_at.toISOString(),
  }));
}

/** The name a fonds bears: its (first) unit's current name. */
export async function fondsName(pool: pg.Pool | pg.ClientBase, fonds: string): Promise<string | null> {
  const { rows } = await pool.query<{ name: string }>(
    fonds.startsWith('unit:')
      ? 'SELECT name FROM catalogue_units WHERE unit_id = $1'
      : 'SELECT name FROM catalogue_units WHERE fonds_code = $1 ORDER BY unit_id LIMIT 1',
    [fonds.startsWith('unit:') ? fonds.slice(5) : fonds],
  );
  return rows[0]?.name ?? null;
}

/** Every fonds with items filed in the year (the CLI's default: every fonds of the ledger). */
export async function fondsOfYear(pool: pg.Pool | pg.ClientBase, year: number): Promise<string[]> {
  const { rows } = await pool.query<{ fonds_key: string }>('SELECT DISTINCT fonds_key FROM catalogue_items WHERE year = $1 ORDER BY fonds_key', [year]);
  return rows.map((r) => r.fonds_key);
}
