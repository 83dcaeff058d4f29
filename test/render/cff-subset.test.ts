import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharingReturns } from '../../src/render/cff-subset.ts';
import { loadFontSet } from '../../src/render/fonts.ts';
import { renderDocument, renderDocumentOfd } from '../../src/render/index.ts';
import { sampleInput } from './sample.ts';

/**
 * The renderings' bytes are hashed into the ledger (DocumentRendered), so a faster subsetter must
 * write exactly what fontkit's own writes: compared here face by face, and for whole documents
 * against the digests the renderer gave before the change.
 */

type Subset = { includeGlyph(glyph: unknown): number; encode(): Uint8Array; subsetSubrs?: (subrs: unknown[], used: Record<number, boolean>) => Uint8Array[]; cff?: { globalSubrIndex: unknown[] } };

const TEXT = sampleInput().body + sampleInput().title + '〓（一）1.（1）—０１２３ABCxyz，。、；：？！“”《》';

const subsetOf = (font: ReturnType<typeof loadFontSet>['songti']['font'], shared: boolean): Subset => {
  const subset = font.createSubset() as unknown as Subset;
  if (shared) sharingReturns(subset);
  for (const ch of TEXT) subset.includeGlyph(font.glyphForCodePoint(ch.codePointAt(0)!));
  return subset;
};

test('each face’s subset has the same bytes with shared returns as with fontkit’s own, and fontkit’s class is left alone', () => {
  const fonts = loadFontSet();
  const faces = new Map(Object.values(fonts).map((f) => [f.source, f]));
  let cffFaces = 0;
  for (const face of faces.values()) {
    const own = subsetOf(face.font, false);
    const shared = subsetOf(face.font, true);
    assert.deepEqual(Buffer.from(shared.encode()), Buffer.from(own.encode()), face.postscriptName);
    if (!own.cff) continue; // the TrueType face (kaiti) has no subroutines: left as it is
    cffFaces++;
    assert.notEqual(shared.subsetSubrs, Object.getPrototypeOf(own).subsetSubrs, 'the subset has its own subsetSubrs');
    assert.equal(own.subsetSubrs, Object.getPrototypeOf(own).subsetSubrs, 'fontkit’s class is untouched');
    // The unused slots are one shared array, not one each (what the change is for).
    const slots = shared.subsetSubrs!(shared.cff!.globalSubrIndex, {});
    assert.ok(slots.length > 1000);
    assert.equal(new Set(slots).size, 1);
    assert.deepEqual([...slots[0]!], [11]);
  }
  assert.equal(cffFaces, 3, 'the three Noto faces are CFF');
});

test('a subset that is not a CFF one is returned untouched', () => {
  const odd = { subsetSubrs: 'not a function', cff: {} };
  assert.equal(sharingReturns(odd), odd);
  assert.equal(odd.subsetSubrs, 'not a function');
});

// SM3 of the PDF and the OFD of three documents as the renderer wrote them before the shared returns
// and without pdfkit's default Helvetica (commit 49aee56), with the font files .ci/run installs.
const FONTS_DIGEST = '96a93d5df62d3178e85bac5860d6f846984db7cedd1c41cb675f7901fdfc36b6';
const before = [
  { pages: 2, pdf: '69984cc88267f455d9beea40848f98e0fe2e6cffc00dc3a6cdabfa7635dcdd83', ofd: 'dc11f1ccf96bed37c4bdef440081bd05d9dd653aa4b7aa9754b1ce058b6af65f' },
  { pages: 6, pdf: '4724bc64742e3084a6a490b9ae8526a7861555f178c51cb8e70471c6015e40bc', ofd: '0f958f007ff307e47085698fa5defa853d1bf8cc46d364c5e659d8af73143548' },
  { pages: 2, pdf: '38dbe7926f6718c34bff9d9e648debb69ea6821fdadd782ad40e97947693f8fe', ofd: '17e20c293c175bdae5d64e56d95f327b01eb1b37034d4596e649788ed4d1e217' },
];

test('whole documents render to the same bytes as before the change (PDF and OFD)', async () => {
  const long = sampleInput().body.split('\n').concat(Array(40).fill('　　各地要严格落实安全生产责任制，加强隐患排查治理，坚决遏制重特大事故发生（含“两客一危”）。')).join('\n');
  const inputs = [
    sampleInput(),
    sampleInput({ body: long, docType: '请示', urgency: '特急', signerName: '李华' }),
    sampleInput({ signerName: null, attachments: [], ccRecipients: [], remarks: null, title: 'Ab𠀀〓\u200b测试' }),
  ];
  const first = await renderDocument(inputs[0]!);
  // Other font files give other bytes by design: then these digests are to be taken again (from the
  // commit before a renderer change), never skipped — a rendering's bytes are hashed into the ledger.
  assert.equal(first.fontsDigest, FONTS_DIGEST, 'the font files .ci/run installs (fonts-noto-cjk, fonts-arphic-gkai00mp) changed: take the digests below again');
  for (const [i, input] of inputs.entries()) {
    const pdf = await renderDocument(input);
    const ofd = await renderDocumentOfd(input);
    assert.deepEqual({ pages: pdf.pageCount, pdf: pdf.sm3, ofd: ofd.sm3 }, before[i], `document ${i}`);
    assert.ok(!pdf.pdf.includes('Helvetica'), 'no unused standard face in the file');
  }
});
