import { chineseDate } from './dates.ts';
import type { FontRole, FontSet } from './fonts.ts';
import { breakParagraph, type Glyph, type Line } from './line-break.ts';
import type { LayoutSettings, RenderInput } from './render-input.ts';
import { drawableLine, drawableParagraphs, SubstitutionLog, withoutIndent, type Substitution } from './text.ts';

/**
 * The page of GB/T 9704-2012 (党政机关公文格式), in points from the top-left corner of an A4 sheet:
 * 版心 156 mm × 225 mm, 天头 37 mm, 订口 28 mm (5.2, 5.2.1); 22 lines of 28 characters of 3号
 * type (5.2.2), so a character cell is 156/28 mm wide and a line 225/22 mm high. Every element is
 * placed as clause 7 places it; the clause is named beside the code that follows it.
 */
export const MM = 72 / 25.4;
export const PAGE = { width: 210 * MM, height: 297 * MM } as const;
export const BLOCK = { left: 28 * MM, top: 37 * MM, width: 156 * MM, height: 225 * MM } as const;
export const LINES_PER_PAGE = 22;
export const CHARS_PER_LINE = 28;
export const PITCH = BLOCK.height / LINES_PER_PAGE;
export const CELL = BLOCK.width / CHARS_PER_LINE;
/** 号 sizes in points: 2号 22, 3号 16, 4号 14. */
export const SIZE = { er: 22, san: 16, si: 14 } as const;
export const RED = '#d7000f';
export const BLACK = '#000000';
/** Changes to anything that moves a mark on the page bump this (recorded with each rendering). */
export const LAYOUT_VERSION = 'GB/T 9704-2012 layout 1';

export type DrawItem =
  /**
   * A run of one face: glyph i+1 starts at glyph i's advance plus `spacing` (PDF Tc). `scaleX` < 1
   * narrows the run horizontally about `originX` (a long 发文机关标志).
   */
  | { kind: 'text'; font: FontRole; size: number; color: string; x: number; baseline: number; text: string; spacing: number; scaleX: number; originX: number }
  | { kind: 'rule'; x: number; y: number; width: number; thickness: number; color: string }
  | { kind: 'seal'; svg: string; x: number; y: number; width: number; height: number };

export interface Page {
  items: DrawItem[];
}

export interface Layout {
  pages: Page[];
  substitutions: Substitution[];
}

interface PlacedGlyph extends Glyph {
  font: FontRole;
  /** The grid's spacing included in `width` (cell minus type size). */
  spacing: number;
}

/** One grid line's worth of content: text runs with x relative to the 版心's left edge. */
interface Row {
  glyphs: PlacedGlyph[];
  x: number[];
  size: number;
  color: string;
  /** An empty line (空一行): dropped when it would open a page. */
  blank?: boolean;
}

const FALLBACK_ORDER: FontRole[] = ['fangsong', 'songti', 'heiti', 'xiaobiaosong', 'kaiti'];

/** The em box of CJK faces sits from 0.88 em above the baseline to 0.12 em below it. */
const EM_ABOVE_BASELINE = 0.88;
/** Baseline of grid line `line`: the em box of `size` centred in the line's band. */
const baselineOf = (line: number, size: number) => BLOCK.top + line * PITCH + (PITCH - size) / 2 + size * EM_ABOVE_BASELINE;

class Typesetter {
  readonly log = new SubstitutionLog();
  constructor(private readonly fonts: FontSet) {}

  readonly hasGlyph = (ch: string) => FALLBACK_ORDER.some((r) => this.fonts[r].advance(ch) !== null);

  /** The face that draws `ch` for `role`: the role's own, else the first fallback that has it. */
  private faceFor(ch: string, role: FontRole): { font: FontRole; advance: number } {
    const own = this.fonts[role].advance(ch);
    if (own !== null) return { font: role, advance: own };
    for (const r of FALLBACK_ORDER) {
      const a = this.fonts[r].advance(ch);
      if (a !== null) return { font: r, advance: a };
    }
    throw new Error(`no face draws ${ch}: drawableLine should have replaced it`);
  }

  /** Glyphs of already drawable text; `pitch` is the cell a full-width character takes (the grid). */
  glyphs(text: string, role: FontRole, size: number, pitch = size): PlacedGlyph[] {
    const spacing = pitch - size;
    return Array.from(text, (ch) => {
      const face = this.faceFor(ch, role);
      return { ch, font: face.font, width: face.advance * size + spacing, spacing };
    });
  }

  clean(text: string): string {
    return drawableLine(text, this.hasGlyph, this.log);
  }

  paragraphs(text: string): string[] {
    return drawableParagraphs(text, this.hasGlyph, this.log);
  }
}

const widthOf = (glyphs: readonly Glyph[]) => glyphs.reduce((w, g) => w + g.width, 0);

function rowsOf(lines: Line<PlacedGlyph>[], size: number, color: string, firstLeft: number, left: number): Row[] {
  return lines.map((line, i) => ({ glyphs: line.glyphs, x: line.x.map((x) => x + (i === 0 ? firstLeft : left)), size, color }));
}

function centredRow(glyphs: PlacedGlyph[], size: number, color: string): Row {
  const start = (BLOCK.width - widthOf(glyphs)) / 2;
  let at = start;
  return { glyphs, x: glyphs.map((g) => ((at += g.width), at - g.width)), size, color };
}

function naturalRow(glyphs: PlacedGlyph[], left: number, size: number, color: string): Row {
  let at = left;
  return { glyphs, x: glyphs.map((g) => ((at += g.width), at - g.width)), size, color };
}

const BLANK: Row = { glyphs: [], x: [], size: SIZE.san, color: BLACK, blank: true };

/** Level headings (7.3.3): 一、 in 黑体, （一） in 楷体; 1. and （1） stay in the body face. */
const LEVEL_ONE = /^[一二三四五六七八九十百]+、/u;
const LEVEL_TWO = /^[（(][一二三四五六七八九十百]+[）)]/u;

function bodyGlyphs(t: Typesetter, paragraph: string): PlacedGlyph[] {
  const headingFont: FontRole | null = LEVEL_ONE.test(paragraph) ? 'heiti' : LEVEL_TWO.test(paragraph) ? 'kaiti' : null;
  if (!headingFont) return t.glyphs(paragraph, 'fangsong', SIZE.san, CELL);
  // The heading is its first sentence (up to and including 。), or the whole paragraph.
  const end = paragraph.indexOf('。');
  const heading = end < 0 ? paragraph : paragraph.slice(0, end + 1);
  return [...t.glyphs(heading, headingFont, SIZE.san, CELL), ...t.glyphs(paragraph.slice(heading.length), 'fangsong', SIZE.san, CELL)];
}

/** A paragraph of 3号 text indented by `indentCells` on its first line and `hangCells` after. */
function paragraphRows(glyphs: PlacedGlyph[], indentCells: number, hangCells: number): Row[] {
  const lines = breakParagraph(glyphs, BLOCK.width - indentCells * CELL, BLOCK.width - hangCells * CELL);
  return rowsOf(lines, SIZE.san, BLACK, indentCells * CELL, hangCells * CELL);
}

/** Lays the document out: pages of draw items, and the characters that had to be replaced. */
export function layoutDocument(input: RenderInput, fonts: FontSet, settings: LayoutSettings): Layout {
  const t = new Typesetter(fonts);
  const first: DrawItem[] = [];

  // 7.2.3 紧急程度: 3号黑体, top left of the 版心.
  if (input.urgency === '特急' || input.urgency === '加急') {
    const g = t.glyphs(input.urgency, 'heiti', SIZE.san, CELL);
    first.push(...drawRow(naturalRow(g, 0, SIZE.san, BLACK), baselineOf(0, SIZE.san)));
  }

  // 7.2.4 发文机关标志: 小标宋, red, centred, its top edge 35 mm below the 版心's. Its size is
  // the unit's choice; 15 mm type, narrowed to the 版心's width when the name is long.
  const markSize = 15 * MM;
  const markTop = BLOCK.top + 35 * MM;
  const markGlyphs = t.glyphs(t.clean(`${input.issuerName}文件`), 'xiaobiaosong', markSize);
  const markWidth = widthOf(markGlyphs);
  const scaleX = Math.min(1, BLOCK.width / markWidth);
  const markRow = naturalRow(markGlyphs, (BLOCK.width - markWidth * scaleX) / 2, markSize, RED);
  first.push(...runs(markRow, markTop + markSize * EM_ABOVE_BASELINE, scaleX));
  const markBottom = markTop + markSize;

  // 7.2.5 发文字号: two lines below the mark, centred; on 上行文 it moves left (one character
  // in) and 签发人 (3号仿宋, the name in 3号楷体) stands on the right, one character in (7.2.6).
  const numberLine = firstLineBelow(markBottom) + 2;
  const numberGlyphs = t.glyphs(t.clean(input.docNumber), 'fangsong', SIZE.san, CELL);
  const upward = (input.docType === '请示' || input.docType === '报告') && input.signerName;
  if (upward) {
    first.push(...drawRow(naturalRow(numberGlyphs, CELL, SIZE.san, BLACK), baselineOf(numberLine, SIZE.san)));
    const signer = [...t.glyphs('签发人：', 'fangsong', SIZE.san, CELL), ...t.glyphs(t.clean(input.signerName!), 'kaiti', SIZE.san, CELL)];
    first.push(...drawRow(naturalRow(signer, BLOCK.width - CELL - widthOf(signer), SIZE.san, BLACK), baselineOf(numberLine, SIZE.san)));
  } else {
    first.push(...drawRow(centredRow(numberGlyphs, SIZE.san, BLACK), baselineOf(numberLine, SIZE.san)));
  }

  // 7.2.7 版头中的分隔线: red, as wide as the 版心, 4 mm below the 发文字号.
  const ruleY = baselineOf(numberLine, SIZE.san) + SIZE.san * (1 - EM_ABOVE_BASELINE) + 4 * MM;
  first.push({ kind: 'rule', x: BLOCK.left, y: ruleY, width: BLOCK.width, thickness: 0.5 * MM, color: RED });

  // 7.3.1 标题: 2号小标宋, two lines below the rule, centred over as many lines as it needs,
  // the lines balanced (梯形/菱形 rather than one full line and a stub).
  const rows: Row[] = [];
  const titleGlyphs = t.glyphs(t.clean(withoutIndent(input.title.replace(/\s+/gu, ' '))), 'xiaobiaosong', SIZE.er);
  const titleWidth = widthOf(titleGlyphs);
  const titleLines = Math.max(1, Math.ceil(titleWidth / BLOCK.width));
  // The narrowest measure that still takes no more lines than needed: lines of nearly equal length.
  let measure = Math.min(BLOCK.width, titleWidth / titleLines);
  let titleBroken = breakParagraph(titleGlyphs, measure, measure);
  while (titleBroken.length > titleLines && measure < BLOCK.width) {
    measure = Math.min(BLOCK.width, measure + SIZE.er / 2);
    titleBroken = breakParagraph(titleGlyphs, measure, measure);
  }
  for (const line of titleBroken) rows.push(centredRow(line.glyphs, SIZE.er, BLACK));

  // 7.3.2 主送机关: one line below the title, flush left, ending with a full-width colon.
  if (input.mainRecipients.length > 0) {
    rows.push(BLANK);
    rows.push(...paragraphRows(t.glyphs(t.clean(`${input.mainRecipients.join('，')}：`), 'fangsong', SIZE.san, CELL), 0, 0));
  } else rows.push(BLANK);

  // 7.3.3 正文: every paragraph indented two characters, following lines flush left.
  for (const raw of t.paragraphs(input.body)) {
    const paragraph = withoutIndent(raw);
    if (paragraph === '') continue;
    rows.push(...paragraphRows(bodyGlyphs(t, paragraph), 2, 0));
  }

  // 7.3.4 附件说明: one line below the body, two characters in: 附件：1. name; a long name
  // wraps under its own first character; no punctuation after a name.
  if (input.attachments.length > 0) {
    rows.push(BLANK);
    const many = input.attachments.length > 1;
    input.attachments.forEach((name, i) => {
      const label = i === 0 ? '附件：' : '';
      const number = many ? `${i + 1}.` : '';
      const head = t.glyphs(`${label}${number}`, 'fangsong', SIZE.san, CELL);
      const hang = 2 + 3 + (many ? number.length / 2 : 0);
      const lead = i === 0 ? 2 : 5;
      const nameGlyphs = t.glyphs(t.clean(attachmentTitle(name)), 'fangsong', SIZE.san, CELL);
      const lines = breakParagraph([...head, ...nameGlyphs], BLOCK.width - lead * CELL, BLOCK.width - hang * CELL);
      rows.push(...rowsOf(lines, SIZE.san, BLACK, lead * CELL, hang * CELL));
    });
  }

  const pages: DrawItem[][] = [first];
  let page = 0;
  let line = firstLineBelow(ruleY) + 2;
  const placed: { page: number; line: number; row: Row }[] = [];
  const place = (row: Row) => {
    if (line >= LINES_PER_PAGE) {
      pages.push([]);
      page++;
      line = 0;
    }
    if (row.blank && line === 0) return;
    placed.push({ page, line, row });
    line++;
  };
  rows.forEach(place);

  // 7.3.5.1 署名, 成文日期 and the seal: the date four characters in from the right, the 署名
  // centred over it, the seal red and upright over both, centred on them with them a little below
  // its centre, its top within one line of the body. Two blank lines leave it that room. The block
  // never stands on a page without body text (不得采取"此页无正文"): when it does not fit, the
  // last lines of the body move over with it. The date line must leave the seal inside the 版心.
  const LAST_DATE_LINE = LINES_PER_PAGE - 2;
  if (line + 3 > LAST_DATE_LINE || line >= LINES_PER_PAGE) {
    const moving = placed.filter((p) => p.page === page && !p.row.blank).slice(-2);
    const keep = placed.length - moving.length;
    const carried = placed.splice(keep).filter((p) => !p.row.blank);
    pages.push([]);
    page++;
    line = 0;
    carried.forEach((p) => place(p.row));
  }
  const signatureLine = line + 2;
  const dateLine = signatureLine + 1;
  const dateGlyphs = t.glyphs(chineseDate(input.documentDate, settings.timeZone), 'fangsong', SIZE.san, CELL);
  const dateRight = BLOCK.width - 4 * CELL;
  const dateRow = naturalRow(dateGlyphs, dateRight - widthOf(dateGlyphs), SIZE.san, BLACK);
  const dateCentre = dateRight - widthOf(dateGlyphs) / 2;
  const issuerGlyphs = t.glyphs(t.clean(input.issuerName), 'fangsong', SIZE.san, CELL);
  const issuerLeft = Math.max(0, Math.min(BLOCK.width - widthOf(issuerGlyphs), dateCentre - widthOf(issuerGlyphs) / 2));
  placed.push({ page, line: signatureLine, row: naturalRow(issuerGlyphs, issuerLeft, SIZE.san, BLACK) });
  placed.push({ page, line: dateLine, row: dateRow });
  const signPage = page;
  let sealBottomLine = dateLine;
  let sealItem: DrawItem | undefined;
  if (input.seal) {
    const width = input.seal.widthMm * MM;
    const height = input.seal.heightMm * MM;
    const centreY = BLOCK.top + (dateLine - 0.25) * PITCH;
    sealItem = { kind: 'seal', svg: input.seal.svg, x: BLOCK.left + dateCentre - width / 2, y: centreY - height / 2, width, height };
    sealBottomLine = Math.ceil((centreY + height / 2 - BLOCK.top) / PITCH) - 1;
  }
  line = dateLine + 1;

  // 7.3.6 附注: the line below the date, two characters in, in parentheses.
  if (input.remarks) {
    const text = withoutIndent(input.remarks);
    const note = /^[（(].*[）)]$/su.test(text) ? text : `（${text}）`;
    t.paragraphs(note).forEach((p) => paragraphRows(t.glyphs(p, 'fangsong', SIZE.san, CELL), 2, 0).forEach(place));
  }

  // 7.4 版记 at the foot of the last page, its last element on the last line: 抄送机关 (4号仿宋,
  // one character in at both sides, wrapped lines under the first name, a full stop at the end)
  // and 印发机关 with the 印发日期, between a thick first and last rule and a thin one between.
  const edge = SIZE.si;
  const imprintRows: Row[] = [];
  if (input.ccRecipients.length > 0) {
    const label = t.glyphs('抄送：', 'fangsong', SIZE.si);
    const names = t.glyphs(t.clean(`${input.ccRecipients.join('，')}。`), 'fangsong', SIZE.si);
    const lines = breakParagraph([...label, ...names], BLOCK.width - 2 * edge, BLOCK.width - 2 * edge - widthOf(label));
    imprintRows.push(...rowsOf(lines, SIZE.si, BLACK, edge, edge + widthOf(label)));
  }
  const printer = t.glyphs(t.clean(input.issuerName), 'fangsong', SIZE.si);
  const printed = t.glyphs(`${chineseDate(input.printedAt, settings.timeZone)}印发`, 'fangsong', SIZE.si);
  const printerRow = naturalRow(printer, edge, SIZE.si, BLACK);
  const printedRow = naturalRow(printed, BLOCK.width - edge - widthOf(printed), SIZE.si, BLACK);
  // A 印发机关 too long to share its line with the date takes the line above it.
  const printerAbove = widthOf(printer) + widthOf(printed) + 3 * edge > BLOCK.width;
  if (printerAbove) imprintRows.push(printerRow);
  const used = Math.max(line, page === signPage ? sealBottomLine + 1 : 0);
  const imprintLines = imprintRows.length + 1;
  if (used + imprintLines > LINES_PER_PAGE || imprintLines > LINES_PER_PAGE) {
    pages.push([]);
    page++;
  }
  const imprintTop = Math.max(0, LINES_PER_PAGE - imprintLines);
  const imprint = pages[page]!;
  imprintRows.forEach((row, i) => placed.push({ page, line: imprintTop + i, row }));
  placed.push({ page, line: LINES_PER_PAGE - 1, row: printedRow });
  if (!printerAbove) placed.push({ page, line: LINES_PER_PAGE - 1, row: printerRow });
  const thick = 0.35 * MM;
  const thin = 0.25 * MM;
  const ruleAt = (l: number, thickness: number) => imprint.push({ kind: 'rule', x: BLOCK.left, y: BLOCK.top + l * PITCH, width: BLOCK.width, thickness, color: BLACK });
  ruleAt(imprintTop, thick);
  const ccLines = imprintRows.length - (printerAbove ? 1 : 0);
  if (ccLines > 0) ruleAt(imprintTop + ccLines, thin);
  ruleAt(LINES_PER_PAGE, thick);

  for (const p of placed) pages[p.page]!.push(...drawRow(p.row, baselineOf(p.line, p.row.size)));
  // The seal is pressed on last, over the 署名 and the date (印章下压).
  if (sealItem) pages[signPage]!.push(sealItem);

  // 7.5 页码: 4号半角宋体 Arabic numerals between one-character dashes (— 1 —), 7 mm below the
  // 版心; odd pages on the right one character in, even pages on the left one character in.
  pages.forEach((items, i) => {
    const glyphs = t.glyphs(`— ${i + 1} —`, 'songti', SIZE.si);
    const odd = (i + 1) % 2 === 1;
    const left = odd ? BLOCK.width - SIZE.si - widthOf(glyphs) : SIZE.si;
    items.push(...drawRow(naturalRow(glyphs, left, SIZE.si, BLACK), BLOCK.top + BLOCK.height + 7 * MM + SIZE.si * EM_ABOVE_BASELINE));
  });

  return { pages: pages.map((items) => ({ items })), substitutions: t.log.list() };
}

/** The first grid line whose band starts at or below y. */
function firstLineBelow(y: number): number {
  return Math.max(0, Math.ceil((y - BLOCK.top) / PITCH - 1e-6));
}

/** An attachment's title: its file name without the extension. */
function attachmentTitle(name: string): string {
  return name.replace(/\.[A-Za-z0-9]{1,5}$/u, '');
}

/** A row as text runs: consecutive glyphs of one face and one spacing become one run. */
function drawRow(row: Row, baseline: number): DrawItem[] {
  return runs(row, baseline, 1);
}

function runs(row: Row, baseline: number, scaleX: number): DrawItem[] {
  const { glyphs, x, size, color } = row;
  const originX = BLOCK.left + (x[0] ?? 0);
  const items: DrawItem[] = [];
  let i = 0;
  while (i < glyphs.length) {
    let j = i + 1;
    // A run keeps one face and one spacing (the gap between its glyphs' starts minus their widths).
    const spacingAt = (k: number) => x[k + 1]! - x[k]! - glyphs[k]!.width;
    const same = (k: number) => glyphs[k]!.font === glyphs[i]!.font && glyphs[k]!.spacing === glyphs[i]!.spacing;
    while (j < glyphs.length && same(j) && (j === i + 1 || Math.abs(spacingAt(j - 1) - spacingAt(i)) < 1e-6)) j++;
    const first = glyphs[i]!;
    // Glyph widths hold the grid spacing; a justified line adds its gap to it.
    const gap = j - i > 1 ? spacingAt(i) : 0;
    items.push({
      kind: 'text',
      font: first.font,
      size,
      color,
      x: BLOCK.left + x[i]!,
      baseline,
      text: glyphs.slice(i, j).map((g) => g.ch).join(''),
      spacing: first.spacing + gap,
      scaleX,
      originX,
    });
    i = j;
  }
  return items;
}
