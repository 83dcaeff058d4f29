import type pg from 'pg';
import type { RetentionCode } from '../../archive-formats/archival-code/index.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../shared/keyset.ts';
import { RETENTION_RANK, fondsKeyOf, type Side } from './fold.ts';

/** One row of the 归档文件目录 (DA/T 22-2015), with the fields an exporter needs beside it. */
export interface CatalogueItem {
  /** 全宗号; null for a unit the archives bureau has not given one. */
  fondsCode: string | null;
  /** 全宗名称: the current name of the unit the fonds belongs to (a renamed unit's fonds bears its latest name). */
  fondsName: string;
  /** 年度: the year of the 成文日期 (projections/catalogue/fold.ts explains the rule). */
  year: number;
  retention: RetentionCode;
  organisationCode: string | null;
  /** 件号 */
  itemNo: number;
  /** 档号 */
  archivalCode: string;
  /** 文号; '' when the document has none. */
  docNumber: string;
  /** 责任者: the issuing unit's name as it stood when the document was sent. */
  responsible: string;
  /** 题名 */
  title: string;
  /** 日期: the 成文日期 as 8 digits, yyyymmdd. */
  date: string;
  /**
   * 密级 as the catalogue prints it: blank for a 非密 document. DA/T 22 fills the column from the
   * mark the document bears, and GB/T 9704 marks only classified documents, so a 非密 document
   * has nothing to copy ("empty 密级 stays blank"); the recorded value is in `classification`.
   */
  secrecy: string;
  /** The classification the ledger recorded (always 非密: classified documents never enter it). */
  classification: string;
  /** 页数, when the archivist gave it. */
  pages: number | null;
  /** 备注; '' for none. */
  remarks: string;
  side: Side;
  documentId: string;
  /** The unit that filed it. */
  unitId: string;
  /** The sender withdrew the document before anyone signed for it; it was filed all the same. */
  recalled: boolean;
  filedAt: string;
}

/** A fonds is named by its 全宗号, or, for a unit without one, by the unit. */
export type FondsRef = { fondsCode: string; unitId?: undefined } | { unitId: string; fondsCode?: undefined };

export interface CatalogueArgs {
  fondsCode?: string;
  unitId?: string;
  year: number;
  retention?: RetentionCode;
  first: number;
  after?: string | null;
}

const CURSOR_SCOPE = 'catalogue';

function fondsKey(args: { fondsCode?: string | undefined; unitId?: string | undefined }): { key: string; code: string | null } {
  const { fondsCode, unitId } = args;
  if ((fondsCode === undefined) === (unitId === undefined)) {
    refuse('VALIDATION_FAILED', '请指定全宗号（fondsCode），或未编全宗号单位的单位标识（unitId），二者选一 (give either fondsCode or unitId)');
  }
  if (fondsCode !== undefined) return { key: fondsKeyOf(fondsCode, ''), code: fondsCode };
  return { key: fondsKeyOf(null, unitId!), code: null };
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 1900 || year > 2999) refuse('VALIDATION_FAILED', '年度须为 1900 至 2999 之间的四位年份 (year)', { year });
}

interface ItemDbRow {
  fonds_code: string | null;
  fonds_name: string;
  year: number;
  retention: RetentionCode;
  retention_rank: number;
  organisation_code: string | null;
  group_org: string;
  item_no: number;
  archival_code: string;
  doc_number: string | null;
  responsible: string;
  title: string;
  document_date: string;
  classification: string;
  pages: number | null;
  remarks: string | null;
  side: Side;
  document_id: string;
  unit_id: string;
  recalled: boolean;
  filed_at: Date;
}

const toItem = (r: ItemDbRow): CatalogueItem => ({
  fondsCode: r.fonds_code,
  fondsName: r.fonds_name,
  year: r.year,
  retention: r.retention,
  organisationCode: r.organisation_code,
  itemNo: r.item_no,
  archivalCode: r.archival_code,
  docNumber: r.doc_number ?? '',
  responsible: r.responsible,
  title: r.title,
  date: r.document_date,
  secrecy: r.classification === '非密' ? '' : r.classification,
  classification: r.classification,
  pages: r.pages,
  remarks: r.remarks ?? '',
  side: r.side,
  documentId: r.document_id,
  unitId: r.unit_id,
  recalled: r.recalled,
  filedAt: r.filed_at.toISOString(),
});

/**
 * The catalogue of one fonds and year (optionally one retention), in the order of the printed
 * catalogue: 永久, 定期30年, 定期10年; within each, by organisation, then 件号.
 */
export async function catalogue(pool: pg.Pool | pg.ClientBase, args: CatalogueArgs): Promise<Page<CatalogueItem>> {
  const fonds = fondsKey(args);
  checkYear(args.year);
  if (args.retention !== undefined && !(args.retention in RETENTION_RANK)) {
    refuse('VALIDATION_FAILED', '保管期限须为 Y(永久)、D30(定期30年) 或 D10(定期10年)', { retention: args.retention });
  }
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(CURSOR_SCOPE, args.after, ['number', 'string', 'number']) : null;
  const { rows } = await pool.query<ItemDbRow>(
    `WITH owner AS (SELECT name FROM catalogue_units WHERE fonds_code = $2 ORDER BY unit_id LIMIT 1)
     SELECT i.fonds_code, COALESCE((SELECT name FROM owner), u.name) AS fonds_name, i.year, i.retention, i.retention_rank,
            i.organisation_code, i.group_org, i.item_no, i.archival_code, i.doc_number, i.responsible, i.title,
            i.document_date, i.classification, i.pages, i.remarks, i.side, i.document_id, i.unit_id, i.recalled, i.filed_at
       FROM catalogue_items i
       JOIN catalogue_units u ON u.unit_id = i.unit_id
      WHERE i.fonds_key = $1 AND i.year = $3
        AND ($4::smallint IS NULL OR i.retention_rank = $4)
        AND ($5::smallint IS NULL OR (i.retention_rank, i.group_org, i.item_no) > ($5::smallint, $6::text, $7::int))
      ORDER BY i.retention_rank, i.group_org, i.item_no
      LIMIT $8`,
    [
      fonds.key,
      fonds.code,
      args.year,
      args.retention === undefined ? null : RETENTION_RANK[args.retention],
      after?.[0] ?? null,
      after?.[1] ?? null,
      after?.[2] ?? null,
      size + 1,
    ],
  );
  return toPage(rows, size, toItem, (r) => encodeCursor(CURSOR_SCOPE, [r.retention_rank, r.group_org, r.item_no]));
}

export interface CatalogueYear {
  year: number;
  items: number;
  byRetention: Record<RetentionCode, number>;
}

/** The years a fonds has filed items in, newest first, with the item count per retention. */
export async function catalogueYears(pool: pg.Pool | pg.ClientBase, fonds: string | FondsRef): Promise<CatalogueYear[]> {
  const key = fondsKey(typeof fonds === 'string' ? { fondsCode: fonds } : fonds).key;
  const { rows } = await pool.query<{ year: number; retention: RetentionCode; n: number }>(
    `SELECT year, retention, count(*)::int AS n FROM catalogue_items WHERE fonds_key = $1 GROUP BY year, retention ORDER BY year DESC`,
    [key],
  );
  const years = new Map<number, CatalogueYear>();
  for (const r of rows) {
    let y = years.get(r.year);
    if (!y) years.set(r.year, (y = { year: r.year, items: 0, byRetention: { Y: 0, D30: 0, D10: 0 } }));
    y.byRetention[r.retention] = r.n;
    y.items += r.n;
  }
  return [...years.values()];
}
