import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import iconv from 'iconv-lite';
import type { FrozenItem } from '../../schemas/events/dossier.ts';
import type { CatalogueField, Profile } from '../profiles/index.ts';
import { el, text, XML_DECLARATION } from '../../src/export/xml.ts';
import { RETENTION_WORDS } from '../dat48-eep/build.ts';
import { withFixedTimes } from './reproducible-zip.ts';

/**
 * 归档文件目录 (DA/T 22-2015): one catalogue per year and retention, with its cover (全宗号, 全宗名称,
 * 年度, 保管期限, 机构), as XML, CSV and XLSX, in the columns, order, date format and encodings the
 * profile names. README.md beside this file gives the rules.
 */

export interface CatalogueCover {
  fondsCode: string | null;
  fondsName: string;
  year: number;
  retention: FrozenItem['retention'];
  /** 机构: the organisations the catalogue's items belong to, or the fonds' name when none. */
  organisations: string[];
}

export interface CatalogueRow {
  seq: number;
  item: FrozenItem;
}

export function formatDate(yyyymmdd: string, format: Profile['dateFormat']): string {
  if (format === 'yyyymmdd') return yyyymmdd;
  const sep = format === 'yyyy-mm-dd' ? '-' : '.';
  return `${yyyymmdd.slice(0, 4)}${sep}${yyyymmdd.slice(4, 6)}${sep}${yyyymmdd.slice(6, 8)}`;
}

/** A cell's value: 题名 written by the archivist goes in [ ]; 密级 of a 非密 document stays blank. */
export function cell(row: CatalogueRow, field: CatalogueField, profile: Profile): string {
  const i = row.item;
  switch (field) {
    case 'seq':
      return String(row.seq);
    case 'archivalCode':
      return i.archivalCode;
    case 'docNumber':
      return i.docNumber;
    case 'responsible':
      return i.responsible;
    case 'title':
      return i.archivistTitle ? `[${i.title}]` : i.title;
    case 'date':
      return formatDate(i.date, profile.dateFormat);
    case 'secrecy':
      return i.classification === '非密' ? '' : i.classification;
    case 'pages':
      return i.pages === null ? '' : String(i.pages);
    case 'remarks':
      return i.remarks;
    case 'itemNo':
      return String(i.itemNo);
    case 'retention':
      return RETENTION_WORDS[i.retention];
    case 'organisation':
      return i.organisationCode ?? '';
  }
}

const coverFields = (c: CatalogueCover): [string, string][] => [
  ['全宗号', c.fondsCode ?? ''],
  ['全宗名称', c.fondsName],
  ['年度', String(c.year)],
  ['保管期限', RETENTION_WORDS[c.retention]],
  ['机构', c.organisations.join('、') || c.fondsName],
];

export function catalogueXml(cover: CatalogueCover, rows: readonly CatalogueRow[], profile: Profile): string {
  const head = coverFields(cover).map(([k, v]) => el(k, v)).join('');
  const body = rows
    .map((r) => `<条目>${profile.catalogue.columns.map((c) => `<${c.header}>${text(cell(r, c.field, profile), c.header)}</${c.header}>`).join('')}</条目>`)
    .join('\n');
  return `${XML_DECLARATION}<归档文件目录>\n<封面>${head}</封面>\n${body}\n</归档文件目录>\n`;
}

/** RFC 4180: fields with a comma, quote or line break are quoted; a leading = + - @ is defused for spreadsheets. */
function csvField(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function catalogueCsv(rows: readonly CatalogueRow[], profile: Profile): string {
  const lines = [profile.catalogue.columns.map((c) => csvField(c.header)).join(',')];
  for (const r of rows) lines.push(profile.catalogue.columns.map((c) => csvField(cell(r, c.field, profile))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function coverCsv(cover: CatalogueCover): string {
  return `${coverFields(cover).map(([k, v]) => `${csvField(k)},${csvField(v)}`).join('\r\n')}\r\n`;
}

/** UTF-8 (with a byte-order mark for CSV, which spreadsheet programs need to read it as UTF-8) or GB18030. */
export function encode(textValue: string, encoding: 'UTF-8' | 'GB18030', bom: boolean): Buffer {
  if (encoding === 'GB18030') {
    const bytes = iconv.encode(textValue, 'gb18030');
    // GB18030 encodes every Unicode character; a round trip that differs means the text had something unencodable.
    if (iconv.decode(bytes, 'gb18030') !== textValue) throw new Error('目录中有无法用 GB18030 表示的字符 (not encodable in GB18030)');
    return bytes;
  }
  return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(textValue, 'utf8')]);
}

/** XML in GB18030 says so in its declaration. */
export function encodeXml(xml: string, encoding: 'UTF-8' | 'GB18030'): Buffer {
  return encode(encoding === 'GB18030' ? xml.replace('encoding="UTF-8"', 'encoding="GB18030"') : xml, encoding, false);
}

/**
 * XLSX through exceljs: a cover sheet and the catalogue sheet; fixed document times for a
 * reproducible file. exceljs's streaming writer, row by row: its in-memory workbook held about
 * 9 KB of cell objects a row (90 MB for a 10,000-item year) at the end of an export meant to run
 * in flat memory; the streamed one holds only the zip it writes.
 */
export async function catalogueXlsx(cover: CatalogueCover, rows: readonly CatalogueRow[], profile: Profile, at: Date): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
  book.creator = 'Gongwen Ledger';
  book.lastModifiedBy = 'Gongwen Ledger';
  book.created = at;
  book.modified = at;
  const coverSheet = book.addWorksheet('封面');
  coverSheet.addRow(['归档文件目录']).commit();
  for (const [k, v] of coverFields(cover)) coverSheet.addRow([k, v]).commit();
  coverSheet.commit();
  const sheet = book.addWorksheet('目录');
  const header = sheet.addRow(profile.catalogue.columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  for (const r of rows) sheet.addRow(profile.catalogue.columns.map((c) => cell(r, c.field, profile))).commit();
  sheet.commit();
  await book.commit();
  await finished(sink);
  return withFixedTimes(Buffer.concat(chunks), at);
}
