import { sm3Hex } from '../integrity/sm3.ts';
import { DEFAULT_FONT_MAP, loadFontSet, type FontMap, type FontSet } from './fonts.ts';
import { LAYOUT_VERSION, layoutDocument } from './layout.ts';
import { writeOfd } from './ofd.ts';
import { writePdf } from './pdf.ts';
import type { LayoutSettings, RenderInput } from './render-input.ts';
import type { Substitution } from './text.ts';

export type { RenderInput, LayoutSettings } from './render-input.ts';
export type { Substitution } from './text.ts';
export { DEFAULT_FONT_MAP, fontMapFrom, FontError, type FontMap } from './fonts.ts';
export { renderInputFromEvents, loadRenderInput, type RenderSources } from './load-input.ts';
export { RenderWorker } from './render-worker.ts';

/** Renderer and layout, as recorded with each rendering: a change of either changes the bytes. */
export const RENDERER_VERSION = `gongwen-render 1; ${LAYOUT_VERSION}`;

export interface RenderOptions {
  fonts?: FontMap;
  settings?: Partial<LayoutSettings>;
}

export interface Rendering {
  format: 'PDF/A-2b';
  pdf: Buffer;
  pageCount: number;
  /** SM3 of the PDF's bytes, lower-case hex. */
  sm3: string;
  byteLength: number;
  rendererVersion: string;
  /** SM3 over the font faces used (role, PostScript name, file SM3): same fonts, same bytes. */
  fontsDigest: string;
  /** Characters no font could draw, replaced by 〓 on the page. */
  substitutions: Substitution[];
}

/**
 * The 公文 as a fixed-layout PDF/A-2b per GB/T 9704-2012: a pure function of the input, the font
 * files and the settings (the same three give the same bytes).
 */
export async function renderDocument(input: RenderInput, options: RenderOptions = {}): Promise<Rendering> {
  const { fonts, layout } = laidOut(input, options);
  const pdf = await writePdf(layout, fonts, metadataOf(input));
  return { format: 'PDF/A-2b', pdf, ...factsOf(pdf, layout, fonts) };
}

/** The one layout both formats draw (layout.ts): the same marks in the same places. */
function laidOut(input: RenderInput, options: RenderOptions) {
  const fonts = loadFontSet(options.fonts ?? DEFAULT_FONT_MAP);
  const settings: LayoutSettings = { timeZone: 'Asia/Shanghai', ...options.settings };
  return { fonts, layout: layoutDocument(input, fonts, settings) };
}

/** The document properties both formats carry (the PDF's Info and XMP, the OFD's DocInfo). */
function metadataOf(input: RenderInput) {
  return {
    title: input.title,
    author: input.issuerName,
    subject: input.docNumber,
    keywords: `${input.docNumber} ${input.docType} sealed-content-sm3:${input.contentDigest}`,
    createdAt: new Date(input.printedAt),
  };
}

/** What a rendering records about its bytes, whichever format they are. */
function factsOf(bytes: Buffer, layout: ReturnType<typeof layoutDocument>, fonts: FontSet) {
  return {
    pageCount: layout.pages.length,
    sm3: sm3Hex(bytes),
    byteLength: bytes.length,
    rendererVersion: RENDERER_VERSION,
    fontsDigest: fontsDigest(fonts),
    substitutions: layout.substitutions,
  };
}

export interface OfdRendering extends Omit<Rendering, 'format' | 'pdf'> {
  format: 'OFD';
  /** The OFD package (GB/T 33190-2016), a zip. */
  ofd: Buffer;
}

/**
 * The 公文 as OFD (GB/T 33190-2016), drawn from the same layout as the PDF: same pages, same
 * marks in the same places. Deterministic like the PDF. Not recorded in the ledger: the recorded
 * rendering (its SM3 and 页数) is the PDF/A; the OFD is made on request.
 */
export async function renderDocumentOfd(input: RenderInput, options: RenderOptions = {}): Promise<OfdRendering> {
  const { fonts, layout } = laidOut(input, options);
  const ofd = await writeOfd(layout, fonts, { docId: input.contentDigest.slice(0, 32), ...metadataOf(input) });
  return { format: 'OFD', ofd, ...factsOf(ofd, layout, fonts) };
}

export function fontsDigest(fonts: FontSet): string {
  return sm3Hex(
    Object.entries(fonts)
      .map(([role, f]) => `${role}:${f.postscriptName}:${f.fileSm3}`)
      .sort()
      .join('\n'),
  );
}
