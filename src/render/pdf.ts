import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { sharingReturns } from './cff-subset.ts';
import { FONT_ROLES, type FontRole, type FontSet } from './fonts.ts';
import { PAGE, type Layout } from './layout.ts';

/**
 * Draws a layout as PDF/A-2b with pdfkit: every face embedded as a subset, the sRGB output intent
 * and XMP metadata pdfkit writes for PDF/A, and nothing that changes between two runs — the
 * creation date is the 印发 time and the file ID and subset tags derive from it — so the same
 * document always gives the same bytes, and the bytes can be hashed into the ledger.
 */
export interface PdfMetadata {
  title: string;
  author: string;
  subject: string;
  keywords: string;
  createdAt: Date;
}

export const PDF_CREATOR = 'Gongwen Ledger';

// pdfkit opens a font from a file's bytes for every document, and parsing a CJK collection costs
// ~0.3 s; its EmbeddedFont class is not exported, so it is taken from a probe document once and
// then given the fontkit faces already parsed (one per process, see fonts.ts).
type EmbeddedFontClass = new (doc: PDFKit.PDFDocument, font: unknown, id: string) => unknown;
let embeddedFont: EmbeddedFontClass | undefined;
function embeddedFontClass(fonts: FontSet): EmbeddedFontClass {
  if (!embeddedFont) {
    const probe = new PDFDocument({ autoFirstPage: false });
    probe.font(fonts.kaiti.buffer);
    embeddedFont = (probe as unknown as { _font: { constructor: EmbeddedFontClass } })._font.constructor;
  }
  return embeddedFont;
}

interface PdfKitInternals {
  _fontFamilies: Record<string, unknown>;
  _fontCount: number;
  _addInfo(): void;
  appendXML(xml: string): void;
  info: Record<string, unknown>;
}

export async function writePdf(layout: Layout, fonts: FontSet, meta: PdfMetadata): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: 0,
    autoFirstPage: false,
    pdfVersion: '1.7',
    // No default face: pdfkit would read and parse Helvetica's metrics for every document, and no
    // text is drawn before one of the document's own faces is chosen (an unused face writes nothing).
    font: null as unknown as string,
    subset: 'PDF/A-2b',
    lang: 'zh-CN',
    tagged: false,
    displayTitle: true,
    info: { CreationDate: meta.createdAt, Title: meta.title, Author: meta.author, Subject: meta.subject, Keywords: meta.keywords, Creator: PDF_CREATOR, Producer: PDF_CREATOR },
  });
  const internals = doc as unknown as PdfKitInternals;
  const Embedded = embeddedFontClass(fonts);
  // One embedded font per distinct file face, shared by the roles that use it.
  const bySource = new Map<string, unknown>();
  FONT_ROLES.forEach((role) => {
    const f = fonts[role];
    let embedded = bySource.get(f.source);
    if (!embedded) {
      embedded = withoutShaping(new Embedded(doc, f.font, `F${bySource.size + 1}`) as ShapedFont);
      const shaped = embedded as { subset: unknown };
      shaped.subset = sharingReturns(shaped.subset);
      bySource.set(f.source, embedded);
    }
    internals._fontFamilies[role] = embedded;
  });
  internals._fontCount = bySource.size;
  // pdfkit writes the title into the XMP packet without escaping it; write that part ourselves.
  internals._addInfo = () => internals.appendXML(xmpInfo(meta));

  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  for (const page of layout.pages) {
    doc.addPage({ size: [PAGE.width, PAGE.height], margin: 0 });
    for (const item of page.items) {
      if (item.kind === 'rule') {
        doc.save().rect(item.x, item.y - item.thickness / 2, item.width, item.thickness).fill(item.color).restore();
      } else if (item.kind === 'text') {
        doc.save();
        if (item.scaleX !== 1) doc.transform(item.scaleX, 0, 0, 1, item.originX * (1 - item.scaleX), 0);
        const font = fonts[item.font];
        // pdfkit places text by the top of the line box (the font's ascent above the baseline).
        doc
          .font(item.font)
          .fontSize(item.size)
          .fillColor(item.color)
          .text(item.text, item.x, item.baseline - font.ascent * item.size, {
            lineBreak: false,
            characterSpacing: item.spacing,
          });
        doc.restore();
      } else {
        doc.save();
        SVGtoPDF(doc, item.svg, item.x, item.y, {
          width: item.width,
          height: item.height,
          assumePt: false,
          fontCallback: (_family, bold) => (bold ? 'xiaobiaosong' : 'songti') satisfies FontRole,
        });
        doc.restore();
      }
    }
  }
  doc.end();
  await finished;
  return Buffer.concat(chunks);
}

interface ShapedFont {
  font: { glyphsForString(text: string): { id: number; advanceWidth: number; codePoints: number[] }[] };
  scale: number;
  layoutRun(text: string): unknown;
}

/**
 * Glyphs by the character map alone, each advancing by its own width: the layout placed every
 * character from those widths, and OpenType shaping (kerning, ligatures, contextual forms) would
 * move them — besides costing most of the rendering time in fontkit for CJK faces.
 */
function withoutShaping(embedded: ShapedFont): ShapedFont {
  embedded.layoutRun = (text: string) => {
    const glyphs = embedded.font.glyphsForString(text);
    let advanceWidth = 0;
    const positions = glyphs.map((g) => {
      const advance = g.advanceWidth * embedded.scale;
      advanceWidth += advance;
      return { xAdvance: advance, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: advance };
    });
    return { glyphs, positions, advanceWidth };
  };
  return embedded;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The XMP equivalents of the Info dictionary, as PDF/A requires them to match. */
function xmpInfo(meta: PdfMetadata): string {
  const created = meta.createdAt.toISOString().split('.')[0] + 'Z';
  return `
        <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
            <xmp:CreateDate>${created}</xmp:CreateDate>
            <xmp:CreatorTool>${PDF_CREATOR}</xmp:CreatorTool>
        </rdf:Description>
        <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
            <pdf:Producer>${PDF_CREATOR}</pdf:Producer>
            <pdf:Keywords>${escapeXml(meta.keywords)}</pdf:Keywords>
        </rdf:Description>
        <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <dc:format>application/pdf</dc:format>
            <dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.title)}</rdf:li></rdf:Alt></dc:title>
            <dc:creator><rdf:Seq><rdf:li>${escapeXml(meta.author)}</rdf:li></rdf:Seq></dc:creator>
            <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.subject)}</rdf:li></rdf:Alt></dc:description>
        </rdf:Description>
        `;
}
