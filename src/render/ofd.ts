import { ZipArchive } from 'archiver';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { FONT_ROLES, type FontSet, type LoadedFont } from './fonts.ts';
import { MM, PAGE, type DrawItem, type Layout } from './layout.ts';
import { sharingReturns } from './cff-subset.ts';

/**
 * Draws a layout as OFD (GB/T 33190-2016, 电子文件存储与交换格式 版式文档): a zip of XML parts —
 * `OFD.xml` (the entry), `Doc_0/Document.xml` (pages), `Doc_0/PublicRes.xml` (fonts),
 * `Doc_0/Pages/Page_N/Content.xml` (the page's objects) and the embedded font files under
 * `Doc_0/Res/`. It draws the SAME layout the PDF is drawn from (layout.ts): each text run is a
 * TextObject whose TextCode carries its characters with their advances (DeltaX), each red rule a
 * filled PathObject, and the seal impression its circle and star as red paths and its name as red
 * rotated text. Units are millimetres from the page's top-left corner, as OFD's are.
 *
 * Fonts are embedded as subsets (fontkit), holding only the glyphs the document uses; since a
 * subset loses the character map, every TextCode says which glyph draws each character
 * (CGTransform), as the standard provides for embedded subsets. Deterministic: fixed part order,
 * fixed zip times (the 印发 time), fixed ids.
 */
export interface OfdMetadata {
  docId: string;
  title: string;
  author: string;
  subject: string;
  keywords: string;
  createdAt: Date;
}

export const OFD_CREATOR = 'Gongwen Ledger';
const NS = 'http://www.ofdspec.org/2016';

const mm = (pt: number) => pt / MM;
/** Millimetres as OFD text: 3 decimals (a micrometre), no trailing zeros, never "-0". */
function n(value: number): string {
  const text = value.toFixed(3).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(' ');

type Node = Record<string, unknown>;

/** One embedded face: its OFD id and the subset it is building. */
interface EmbeddedFace {
  id: number;
  face: LoadedFont;
  subset: { includeGlyph(glyph: unknown): number; encode(): Uint8Array };
  /** Original glyph id → subset glyph id. */
  glyphs: Map<number, number>;
}

class Ids {
  #next = 1;
  take(): number {
    return this.#next++;
  }
  get max(): number {
    return this.#next - 1;
  }
}

export async function writeOfd(layout: Layout, fonts: FontSet, meta: OfdMetadata): Promise<Buffer> {
  const ids = new Ids();
  // One embedded face per distinct file face, shared by the roles that use it (as in the PDF).
  const faces = new Map<string, EmbeddedFace>();
  const faceOf = (role: (typeof FONT_ROLES)[number]): EmbeddedFace => {
    const face = fonts[role];
    let e = faces.get(face.source);
    if (!e) {
      e = { id: ids.take(), face, subset: sharingReturns(face.font.createSubset()) as unknown as EmbeddedFace['subset'], glyphs: new Map() };
      faces.set(face.source, e);
    }
    return e;
  };
  for (const role of FONT_ROLES) faceOf(role);

  const glyphIds = (e: EmbeddedFace, text: string): number[] =>
    Array.from(text, (ch) => {
      const glyph = e.face.font.glyphForCodePoint(ch.codePointAt(0)!);
      let id = e.glyphs.get(glyph.id);
      if (id === undefined) {
        id = e.subset.includeGlyph(glyph);
        e.glyphs.set(glyph.id, id);
      }
      return id;
    });

  const textObject = (item: Extract<DrawItem, { kind: 'text' }>): Node => {
    const e = faceOf(item.font);
    const chars = Array.from(item.text);
    const advances = chars.map((ch) => (e.face.advance(ch) ?? 1) * item.size + item.spacing);
    const width = advances.reduce((a, b) => a + b, 0);
    // The boundary is the run's line box; X/Y inside it are the first glyph's origin on the baseline.
    const top = item.baseline - item.size;
    const boundary = { x: mm(item.x), y: mm(top), w: mm(width), h: mm(item.size * 1.25) };
    const node: Node = {
      '@_ID': ids.take(),
      '@_Boundary': `${n(boundary.x)} ${n(boundary.y)} ${n(boundary.w)} ${n(boundary.h)}`,
      '@_Font': e.id,
      '@_Size': n(mm(item.size)),
      'ofd:FillColor': { '@_Value': rgb(item.color) },
      'ofd:CGTransform': {
        '@_CodePosition': 0,
        '@_CodeCount': chars.length,
        '@_GlyphCount': chars.length,
        'ofd:Glyphs': glyphIds(e, item.text).join(' '),
      },
      'ofd:TextCode': {
        '@_X': '0',
        '@_Y': n(mm(item.size)),
        ...(chars.length > 1 ? { '@_DeltaX': advances.slice(0, -1).map((a) => n(mm(a))).join(' ') } : {}),
        '#text': item.text,
      },
    };
    // A narrowed run (a long 发文机关标志) is scaled about its own left edge, as the PDF does about originX.
    if (item.scaleX !== 1) {
      const shift = mm((item.originX - item.x) * (1 - item.scaleX));
      node['@_CTM'] = `${n(item.scaleX)} 0 0 1 ${n(shift)} 0`;
      // The box holds the narrowed run (its unscaled width would reach past the 版心).
      node['@_Boundary'] = `${n(boundary.x)} ${n(boundary.y)} ${n(Math.max(0, shift) + boundary.w * item.scaleX)} ${n(boundary.h)}`;
    }
    return node;
  };

  const pathObject = (x: number, y: number, w: number, h: number, data: string, o: { fill?: string; stroke?: string; lineWidth?: number }): Node => ({
    '@_ID': ids.take(),
    '@_Boundary': `${n(x)} ${n(y)} ${n(w)} ${n(h)}`,
    '@_Fill': o.fill ? 'true' : 'false',
    '@_Stroke': o.stroke ? 'true' : 'false',
    ...(o.lineWidth ? { '@_LineWidth': n(o.lineWidth) } : {}),
    ...(o.stroke ? { 'ofd:StrokeColor': { '@_Value': rgb(o.stroke) } } : {}),
    ...(o.fill ? { 'ofd:FillColor': { '@_Value': rgb(o.fill) } } : {}),
    'ofd:AbbreviatedData': data,
  });

  const pages = layout.pages.map((page) => {
    const texts: Node[] = [];
    const paths: Node[] = [];
    for (const item of page.items) {
      if (item.kind === 'text') texts.push(textObject(item));
      else if (item.kind === 'rule') {
        const w = mm(item.width);
        const h = mm(item.thickness);
        paths.push(pathObject(mm(item.x), mm(item.y - item.thickness / 2), w, h, `M 0 0 L ${n(w)} 0 L ${n(w)} ${n(h)} L 0 ${n(h)} C`, { fill: item.color }));
      } else {
        const seal = sealObjects(item, (role) => faceOf(role), glyphIds, ids);
        paths.push(...seal.paths);
        texts.push(...seal.texts);
      }
    }
    // Text first, the seal's red over it (as a stamp lies over the 署名 and date): paths last.
    return { id: ids.take(), texts, paths };
  });

  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false, format: false });
  const xml = (root: Node) => `<?xml version="1.0" encoding="UTF-8"?>${builder.build(root)}`;
  const parts: [string, Buffer | string][] = [];

  const documentXml: Node = {
    'ofd:Document': {
      '@_xmlns:ofd': NS,
      'ofd:CommonData': {
        'ofd:MaxUnitID': 0, // set below, once every id is taken
        'ofd:PageArea': { 'ofd:PhysicalBox': `0 0 ${n(mm(PAGE.width))} ${n(mm(PAGE.height))}` },
        'ofd:PublicRes': 'PublicRes.xml',
      },
      'ofd:Pages': { 'ofd:Page': pages.map((p, i) => ({ '@_ID': p.id, '@_BaseLoc': `Pages/Page_${i}/Content.xml` })) },
    },
  };
  const pageParts = pages.map((p, i): [string, string] => {
    const layer: Node = { '@_ID': ids.take() };
    if (p.texts.length) layer['ofd:TextObject'] = p.texts;
    if (p.paths.length) layer['ofd:PathObject'] = p.paths;
    return [
      `Doc_0/Pages/Page_${i}/Content.xml`,
      xml({ 'ofd:Page': { '@_xmlns:ofd': NS, 'ofd:Content': { 'ofd:Layer': layer } } }),
    ];
  });
  const fontFiles: [string, Buffer][] = [];
  const publicRes: Node = {
    'ofd:Res': {
      '@_xmlns:ofd': NS,
      '@_BaseLoc': 'Res',
      'ofd:Fonts': {
        'ofd:Font': [...faces.values()].map((e) => {
          const bytes = Buffer.from(e.subset.encode());
          // fontkit writes TrueType outlines as a TrueType file, PostScript (CFF) outlines as bare CFF.
          const file = `font_${e.id}.${bytes.subarray(0, 4).toString('latin1') === 'true' || bytes.readUInt32BE(0) === 0x00010000 ? 'ttf' : 'cff'}`;
          fontFiles.push([`Doc_0/Res/${file}`, bytes]);
          return { '@_ID': e.id, '@_FontName': e.face.postscriptName, '@_FamilyName': e.face.font.familyName, 'ofd:FontFile': file };
        }),
      },
    },
  };
  (documentXml['ofd:Document'] as Node)['ofd:CommonData'] = { ...((documentXml['ofd:Document'] as Node)['ofd:CommonData'] as Node), 'ofd:MaxUnitID': ids.max };

  const created = meta.createdAt.toISOString().slice(0, 10);
  parts.push([
    'OFD.xml',
    xml({
      'ofd:OFD': {
        '@_xmlns:ofd': NS,
        '@_Version': '1.0',
        '@_DocType': 'OFD',
        'ofd:DocBody': {
          'ofd:DocInfo': {
            'ofd:DocID': meta.docId,
            'ofd:Title': meta.title,
            'ofd:Author': meta.author,
            'ofd:Subject': meta.subject,
            'ofd:Abstract': meta.keywords,
            'ofd:CreationDate': created,
            'ofd:Creator': OFD_CREATOR,
            'ofd:CreatorVersion': '1',
          },
          'ofd:DocRoot': 'Doc_0/Document.xml',
        },
      },
    }),
  ]);
  parts.push(['Doc_0/Document.xml', xml(documentXml)], ['Doc_0/PublicRes.xml', xml(publicRes)], ...pageParts, ...fontFiles);
  return zip(parts, meta.createdAt);
}

/** The seal's SVG (seal-picture.ts: a circle, a star path, rotated name glyphs) as OFD objects. */
function sealObjects(
  item: Extract<DrawItem, { kind: 'seal' }>,
  faceOf: (role: 'xiaobiaosong') => EmbeddedFace,
  glyphIds: (e: EmbeddedFace, text: string) => number[],
  ids: Ids,
): { paths: Node[]; texts: Node[] } {
  const svg = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['g', 'text', 'circle', 'path'].includes(name) }).parse(item.svg).svg as Node;
  const [, , vw, vh] = String(svg.viewBox).split(/\s+/).map(Number) as [number, number, number, number];
  // The picture's own units scaled to the seal's box on the page (mm).
  const sx = mm(item.width) / vw;
  const sy = mm(item.height) / vh;
  const x0 = mm(item.x);
  const y0 = mm(item.y);
  const paths: Node[] = [];
  const texts: Node[] = [];
  const face = faceOf('xiaobiaosong');
  const walk = (g: Node, inherited: { fill: string; size: number }) => {
    const fill = typeof g.fill === 'string' && g.fill !== 'none' ? g.fill : inherited.fill;
    const size = g['font-size'] ? Number(g['font-size']) : inherited.size;
    for (const c of (g.circle as Node[] | undefined) ?? []) {
      const [cx, cy, r, w] = [c.cx, c.cy, c.r, c['stroke-width']].map(Number) as [number, number, number, number];
      const R = r * sx;
      const box = (r + w) * sx;
      const mx = box;
      // Two half-circle arcs, in the boundary's own coordinates.
      paths.push({
        '@_ID': ids.take(),
        '@_Boundary': `${n(x0 + (cx - r - w) * sx)} ${n(y0 + (cy - r - w) * sy)} ${n(2 * box)} ${n(2 * box)}`,
        '@_Fill': 'false',
        '@_Stroke': 'true',
        '@_LineWidth': n(w * sx),
        'ofd:StrokeColor': { '@_Value': rgb(String(c.stroke ?? fill)) },
        'ofd:AbbreviatedData': `M ${n(mx + R)} ${n(mx)} A ${n(R)} ${n(R)} 0 1 0 ${n(mx - R)} ${n(mx)} A ${n(R)} ${n(R)} 0 1 0 ${n(mx + R)} ${n(mx)} C`,
      });
    }
    for (const p of (g.path as Node[] | undefined) ?? []) {
      const data = String(p.d)
        .replace(/([MLZ])/g, ' $1 ')
        .replace(/,/g, ' ')
        .trim()
        .split(/\s+/)
        .map((t) => (/^[MLZ]$/.test(t) ? t : t))
        .join(' ');
      const tokens = data.split(' ');
      const out: string[] = [];
      for (let i = 0; i < tokens.length; ) {
        const t = tokens[i]!;
        if (t === 'Z') {
          out.push('C');
          i++;
        } else if (t === 'M' || t === 'L') {
          out.push(t, n(Number(tokens[i + 1]) * sx), n(Number(tokens[i + 2]) * sy));
          i += 3;
        } else throw new Error(`seal picture path: unsupported ${t}`);
      }
      paths.push({
        '@_ID': ids.take(),
        '@_Boundary': `${n(x0)} ${n(y0)} ${n(vw * sx)} ${n(vh * sy)}`,
        '@_Fill': 'true',
        '@_Stroke': 'false',
        'ofd:FillColor': { '@_Value': rgb(String(p.fill ?? fill)) },
        'ofd:AbbreviatedData': out.join(' '),
      });
    }
    for (const t of (g.text as Node[] | undefined) ?? []) {
      const ch = String(t['#text'] ?? '');
      if (!ch || face.face.advance(ch) === null) continue;
      const s = (t['font-size'] ? Number(t['font-size']) : size) * sx;
      // translate(x y) rotate(deg) [scale(k 1)], or x/y: the glyph centred on its point.
      const m = /translate\(([-\d.]+) ([-\d.]+)\) rotate\(([-\d.]+)\)(?: scale\(([-\d.]+) 1\))?/.exec(String(t.transform ?? ''));
      const [px, py, deg, k] = m ? [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 1)] : [Number(t.x), Number(t.y), 0, 1];
      const chars = Array.from(ch);
      const advances = chars.map((c) => (face.face.advance(c) ?? 1) * s);
      const width = advances.reduce((a, b) => a + b, 0);
      const rad = (deg * Math.PI) / 180;
      const [cos, sin] = [Math.cos(rad), Math.sin(rad)];
      // The box is centred on the glyph's point; the CTM turns (and narrows) the run about that centre.
      const half = Math.max(width, s);
      const cxBox = half;
      const cyBox = half;
      const a = cos * k;
      const b = sin * k;
      const c2 = -sin;
      const d = cos;
      const e = cxBox - a * cxBox - c2 * cyBox;
      const f = cyBox - b * cxBox - d * cyBox;
      texts.push({
        '@_ID': ids.take(),
        '@_Boundary': `${n(x0 + px * sx - half)} ${n(y0 + py * sy - half)} ${n(2 * half)} ${n(2 * half)}`,
        '@_Font': face.id,
        '@_Size': n(s),
        '@_CTM': `${n(a)} ${n(b)} ${n(c2)} ${n(d)} ${n(e)} ${n(f)}`,
        'ofd:FillColor': { '@_Value': rgb(fill) },
        'ofd:CGTransform': { '@_CodePosition': 0, '@_CodeCount': chars.length, '@_GlyphCount': chars.length, 'ofd:Glyphs': glyphIds(face, ch).join(' ') },
        'ofd:TextCode': {
          '@_X': n(cxBox - width / 2),
          // dominant-baseline central: the em box's middle on the point (0.88 em above the baseline, 0.12 below).
          '@_Y': n(cyBox + s * 0.38),
          ...(chars.length > 1 ? { '@_DeltaX': advances.slice(0, -1).map(n).join(' ') } : {}),
          '#text': ch,
        },
      });
    }
    for (const child of (g.g as Node[] | undefined) ?? []) walk(child, { fill, size });
  };
  walk(svg, { fill: '#d7000f', size: 1 });
  return { paths, texts };
}

/** The parts zipped in the order given, each dated `at` (no clock, no file system): the same parts, the same bytes. */
async function zip(parts: [string, Buffer | string][], at: Date): Promise<Buffer> {
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const chunks: Buffer[] = [];
  archive.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const [name, data] of parts) archive.append(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { name, date: at, mode: 0o644 });
  await archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}
