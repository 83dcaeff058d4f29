import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import yauzl from 'yauzl';
import { renderDocument, renderDocumentOfd, type RenderInput } from '../../src/render/index.ts';
import { sealPictureSvg } from '../../src/seal/seal-picture.ts';
import { sampleInput } from './sample.ts';

/**
 * The OFD (GB/T 33190-2016) read back as an OFD reader would: the zip's parts, each parsed with
 * fast-xml-parser, and the layout facts of GB/T 9704 measured from the parts' own coordinates
 * (millimetres from the page's top-left corner). No OFD viewer runs on Debian, so these facts, the
 * XML's well-formedness and the PDF's page count are what is checked.
 */

async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.fromBuffer(bytes, { lazyEntries: true }, (e, z) => (e ? fail(e) : ok(z!))));
  const parts = new Map<string, Buffer>();
  await new Promise<void>((ok, fail) => {
    zip.on('entry', (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (e, stream) => {
        if (e) return fail(e);
        const chunks: Buffer[] = [];
        stream!.on('data', (c: Buffer) => chunks.push(c));
        stream!.on('end', () => {
          parts.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      }),
    );
    zip.on('end', ok);
    zip.on('error', fail);
    zip.readEntry();
  });
  return parts;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, isArray: (name, jpath) => jpath === 'Document.Pages.Page' || ['TextObject', 'PathObject', 'Font'].includes(name) });
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const box = (o: Obj) => {
  const [x, y, w, h] = String(o.Boundary).split(' ').map(Number) as [number, number, number, number];
  return { x, y, w, h };
};
const textOf = (o: Obj) => String(o.TextCode['#text'] ?? o.TextCode);

async function readOfd(input: RenderInput) {
  const r = await renderDocumentOfd(input);
  const parts = await unzip(r.ofd);
  for (const [name, bytes] of parts) {
    if (name.endsWith('.xml')) assert.equal(XMLValidator.validate(bytes.toString('utf8')), true, `${name} is well-formed XML`);
  }
  const xml = (name: string) => {
    const bytes = parts.get(name);
    assert.ok(bytes, `${name} is in the package`);
    return parser.parse(bytes.toString('utf8')) as Obj;
  };
  const ofd = xml('OFD.xml').OFD;
  const doc = xml(`${ofd.DocBody.DocRoot}`).Document;
  const res = xml('Doc_0/PublicRes.xml').Res;
  const pages = (doc.Pages.Page as Obj[]).map((p) => {
    const layer = xml(`Doc_0/${p.BaseLoc}`).Page.Content.Layer as Obj;
    return { texts: (layer.TextObject ?? []) as Obj[], paths: (layer.PathObject ?? []) as Obj[] };
  });
  return { r, parts, ofd, doc, res, pages };
}

describe('OFD (GB/T 33190-2016) from the same layout as the PDF', async () => {
  const input = sampleInput({});
  const read = await readOfd(input);
  const { r, parts, ofd, doc, res, pages } = read;

  test('the package: OFD.xml entry, Document.xml, PublicRes.xml with embedded fonts, one Content.xml per page', () => {
    assert.equal(ofd.DocBody.DocRoot, 'Doc_0/Document.xml');
    assert.equal(ofd.DocBody.DocInfo.Title, input.title);
    assert.equal(doc.CommonData.PublicRes, 'PublicRes.xml');
    const fonts = res.Fonts.Font as Obj[];
    assert.ok(fonts.length >= 3, 'the faces of the layout');
    for (const f of fonts) {
      const file = parts.get(`Doc_0/${res.BaseLoc}/${f.FontFile}`);
      assert.ok(file && file.length > 100 && file.length < 2_000_000, `${f.FontName}: an embedded subset (${file?.length} bytes)`);
    }
    assert.deepEqual([...parts.keys()].filter((n) => n.includes('/Pages/')).sort(), pages.map((_, i) => `Doc_0/Pages/Page_${i}/Content.xml`).sort());
  });

  test('A4, and the same page count as the PDF', async () => {
    assert.equal(doc.CommonData.PageArea.PhysicalBox, '0 0 210 297');
    assert.equal(pages.length, r.pageCount);
    assert.equal(r.pageCount, (await renderDocument(input)).pageCount);
    const thirty = await readOfd(sampleInput({ body: '为推进电子公文交换工作现将有关事项通知如下'.repeat(300) }));
    assert.equal(thirty.pages.length, (await renderDocument(sampleInput({ body: '为推进电子公文交换工作现将有关事项通知如下'.repeat(300) }))).pageCount);
    assert.ok(thirty.pages.length > 5);
  });

  test('every text run lies inside the 版心 (28 mm from the left, 156 × 225 mm from 37 mm down), page numbers below it', () => {
    let runs = 0;
    for (const page of pages) {
      for (const t of page.texts) {
        const b = box(t);
        const baseline = b.y + Number(t.TextCode.Y);
        if (/^—\s*\d+\s*—$/.test(textOf(t))) {
          assert.ok(baseline > 37 + 225, `page number ${textOf(t)} below the 版心`);
          continue;
        }
        if (t.CTM && !/^[\d.]+ 0 0 1 /.test(t.CTM)) continue; // the seal's rotated name
        runs++;
        assert.ok(b.x >= 28 - 0.01 && b.x + b.w <= 28 + 156 + 0.5, `"${textOf(t)}" from ${b.x} to ${b.x + b.w} mm`);
        assert.ok(baseline > 37 && baseline < 37 + 225, `"${textOf(t)}" baseline ${baseline} mm`);
        // DeltaX: one advance per character but the last, all within a 3号 grid cell or two.
        const deltas = t.TextCode.DeltaX ? String(t.TextCode.DeltaX).split(' ').map(Number) : [];
        assert.equal(deltas.length, Array.from(textOf(t)).length - 1);
        assert.equal(Number(t.CGTransform.GlyphCount), Array.from(textOf(t)).length, 'a glyph for every character');
      }
    }
    assert.ok(runs > 20);
  });

  test('the red rules are red filled paths, and the seal (~42 mm, red) lies over the 成文日期', () => {
    const red = '215 0 15';
    const rules = pages[0]!.paths.filter((p) => p.Fill === 'true' && p.FillColor.Value === red && box(p).w > 150);
    assert.ok(rules.length >= 1, 'the red rule under the 发文机关标志');
    const last = pages.at(-1)!;
    const ring = last.paths.find((p) => p.Stroke === 'true' && p.StrokeColor.Value === red)!;
    assert.ok(ring, 'the seal ring on the last page');
    const s = box(ring);
    assert.ok(Math.abs(s.w - 42) < 1.5 && Math.abs(s.h - 42) < 1.5, `seal ${s.w} × ${s.h} mm`);
    const date = last.texts.find((t) => textOf(t) === '2025年1月10日')!;
    assert.ok(date, 'the 成文日期 on the last page');
    const d = box(date);
    const dateBaseline = d.y + Number(date.TextCode.Y);
    assert.ok(Math.abs(s.x + s.w / 2 - (d.x + d.w / 2)) < 2, 'seal centred on the date');
    assert.ok(s.y < dateBaseline - 5 && s.y + s.h > dateBaseline, 'the seal covers the date');
    const sealName = last.texts.filter((t) => t.FillColor?.Value === red && t.CTM && !/^[\d.]+ 0 0 1 /.test(t.CTM));
    assert.equal(sealName.map(textOf).join(''), '阜阳市人民政府办公室', 'the seal name in red, glyph by glyph along the arc');
  });

  test('deterministic: the same document gives the same bytes', async () => {
    assert.ok((await renderDocumentOfd(input)).ofd.equals(r.ofd));
    const other = await renderDocumentOfd(sampleInput({ seal: { svg: sealPictureSvg({ name: '阜阳市财政局', sealType: '单位公章' }), widthMm: 42, heightMm: 42 } }));
    assert.ok(!other.ofd.equals(r.ofd));
  });
});
