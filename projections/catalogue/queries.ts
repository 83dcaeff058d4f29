import type pg from 'pg';
import type { RetentionCode } from '../../archive-formats/archival-code/index.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
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

export interface CatalogueArgs extends PageArgs {
  fondsCode?: string;
  unitId?: string;
  year: number;
  retention?: RetentionCode;
}

const CURSOR_SCOPE = 'catalogue';
/** The printed catalogue's order, served by the UNIQUE (fonds_key, year, retention_rank, group_org, item_no) index. */
const CATALOGUE_KEY: readonly KeyColumn[] = [
  { sql: 'i.retention_rank', type: 'smallint' },
  { sql: 'i.group_org', type: 'text' },
  { sql: 'i.item_no', type: 'int' },
];

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

const ITEM_COLUMNS = [
  'i.fonds_code', 'u.name', 'i.year', 'i.retention', 'i.organisation_code', 'i.item_no', 'i.archival_code', 'i.doc_number',
  'i.responsible', 'i.title', 'i.document_date', 'i.classification', 'i.pages', 'i.remarks', 'i.side', 'i.document_id',
  'i.unit_id', 'i.recalled', 'i.filed_at',
] as const;

/** A row as read (rowMode 'array', ITEM_COLUMNS in order); `fondsName` is the fonds owner's current name, when it has one. */
const toItem = (r: any[], fondsName: string | null): CatalogueItem => {
  const [fondsCode, unitName, year, retention, organisationCode, itemNo, archivalCode, docNumber, responsible, title, date, classification, pages, remarks, side, documentId, unitId, recalled, filedAt] = r;
  return {
    fondsCode,
    fondsName: fondsName ?? unitName,
    year,
    retention,
    organisationCode,
    itemNo,
    archivalCode,
    docNumber: docNumber ?? '',
    responsible,
    title,
    date,
    secrecy: classification === '非密' ? '' : classification,
    classification,
    pages,
    remarks: remarks ?? '',
    side,
    documentId,
    unitId,
    recalled,
    filedAt: (filedAt as Date).toISOString(),
  };
};

/**
 * The catalogue of one fonds and year (optionally one retention), in the order of the printed
 * catalogue: 永久, 定期30年, 定期10年; within each, by organisation, then 件号. A Relay page either
 * way (keyset.ts), each row with its cursor.
 */
export async function catalogue(pool: pg.Pool | pg.ClientBase, args: CatalogueArgs): Promise<Connection<CatalogueItem>> {
  const fonds = fondsKey(args);
  checkYear(args.year);
  if (args.retention !== undefined && !(args.retention in RETENTION_RANK)) {
    refuse('VALIDATION_FAILED', '保管期限须为 Y(永久)、D30(定期30年) 或 D10(定期10年)', { retention: args.retention });
  }
  // 全宗名称: the name of the unit that holds the 全宗号 (a fonds may gather units); else each row's unit.
  const owner = fonds.code === null ? null : ((await pool.query<{ name: string }>('SELECT name FROM catalogue_units WHERE fonds_code = $1 ORDER BY unit_id LIMIT 1', [fonds.code])).rows[0]?.name ?? null);
  const where = ['i.fonds_key = $1', 'i.year = $2'];
  const params: unknown[] = [fonds.key, args.year];
  if (args.retention !== undefined) {
    params.push(RETENTION_RANK[args.retention]);
    where.push(`i.retention_rank = $${params.length}::smallint`);
  }
  return keysetConnection(
    pool,
    {
      // The scope names the list: a cursor of another fonds, year or retention is refused.
      scope: `${CURSOR_SCOPE} ${JSON.stringify([fonds.key, args.year, args.retention ?? null])}`,
      key: CATALOGUE_KEY,
      select: ITEM_COLUMNS.join(', '),
      from: 'catalogue_items i JOIN catalogue_units u ON u.unit_id = i.unit_id',
      where,
      params,
      item: (r: any[]) => toItem(r, owner),
    },
    args,
  );
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
