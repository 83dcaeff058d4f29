import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SEAL_RED, sealPictureSvg } from '../../src/seal/seal-picture.ts';

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: false });

function tagOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ':@')!;
}

/** Every element in document order, with its attributes and its own text. */
function elements(svg: string): { tag: string; attrs: Record<string, string>; text: string; depth: number }[] {
  const out: { tag: string; attrs: Record<string, string>; text: string; depth: number }[] = [];
  const walk = (nodes: Node[], depth: number) => {
    for (const node of nodes) {
      const tag = tagOf(node);
      if (tag === '#text') continue;
      const children = node[tag] as Node[];
      const text = children
        .filter((c) => tagOf(c) === '#text')
        .map((c) => String(c['#text']))
        .join('');
      out.push({ tag, attrs: node[':@'] ?? {}, text, depth });
      walk(children, depth + 1);
    }
  };
  walk(parser.parse(svg) as Node[], 0);
  return out;
}

/** The glyphs of the name: <text> elements placed by transform. */
const nameGlyphs = (svg: string) => elements(svg).filter((e) => e.tag === 'text' && e.attrs.transform !== undefined);
/** The straight line below the star. */
const typeLines = (svg: string) => elements(svg).filter((e) => e.tag === 'text' && e.attrs.transform === undefined);

function placement(transform: string): { x: number; y: number; deg: number } {
  const m = /^translate\((\S+) (\S+)\) rotate\((\S+)\)/.exec(transform);
  assert.ok(m, transform);
  return { x: Number(m[1]), y: Number(m[2]), deg: Number(m[3]) };
}

describe('the seal picture (SVG)', () => {
  const name = '阜阳市人民政府办公室';

  test('is well-formed XML, an <svg> of 42 mm with a matching viewBox by default', () => {
    const svg = sealPictureSvg({ name, sealType: '公文专用章' });
    assert.equal(XMLValidator.validate(svg), true);
    const root = elements(svg)[0]!;
    assert.equal(root.tag, 'svg');
    assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
    assert.equal(root.attrs.width, '42mm');
    assert.equal(root.attrs.height, '42mm');
    assert.equal(root.attrs.viewBox, '0 0 42 42');
    const other = elements(sealPictureSvg({ name, sealType: '公文专用章', diameterMm: 45 }))[0]!;
    assert.deepEqual([other.attrs.width, other.attrs.height, other.attrs.viewBox], ['45mm', '45mm', '0 0 45 45']);
  });

  test('red ring and a five-pointed star in the centre', () => {
    const svg = sealPictureSvg({ name, sealType: '单位公章' });
    const all = elements(svg);
    const ring = all.find((e) => e.tag === 'circle')!;
    assert.equal(ring.attrs.stroke, SEAL_RED);
    assert.equal(ring.attrs.fill, 'none');
    assert.equal(Number(ring.attrs.cx), 21);
    assert.equal(Number(ring.attrs.cy), 21);
    assert.ok(Number(ring.attrs.r) + Number(ring.attrs['stroke-width']) / 2 <= 21, 'the ring stays inside the picture');
    assert.match(SEAL_RED, /^#d7000f$/i);

    const star = all.find((e) => e.tag === 'path')!;
    const corners = star.attrs.d!.replace(/^M|Z$/g, '').split('L').map((p) => p.split(',').map(Number) as [number, number]);
    assert.equal(corners.length, 10);
    const distances = corners.map(([x, y]) => Math.hypot(x - 21, y - 21));
    const outer = distances.filter((_, i) => i % 2 === 0);
    const inner = distances.filter((_, i) => i % 2 === 1);
    for (const r of outer) assert.ok(Math.abs(r - outer[0]!) < 0.01);
    for (const r of inner) assert.ok(Math.abs(r - inner[0]!) < 0.01);
    assert.ok(Math.abs(inner[0]! / outer[0]! - 0.382) < 0.01, 'a regular pentagram');
    assert.deepEqual(corners[0], [21, 21 - outer[0]!], 'top point up, centred');
    // The red of everything drawn comes from the enclosing group.
    assert.ok(all.some((e) => e.tag === 'g' && e.attrs.fill === SEAL_RED));
  });

  test('every character of the name is its own glyph, once, in order', () => {
    for (const n of [name, '中共阜阳市委员会办公室', '阜南县王家坝镇人民政府', '某局', '市', 'Ünit № 7 😀 公司']) {
      const svg = sealPictureSvg({ name: n, sealType: '单位公章' });
      assert.equal(XMLValidator.validate(svg), true, n);
      const glyphs = nameGlyphs(svg);
      assert.deepEqual(
        glyphs.map((g) => g.text),
        Array.from(n).filter((ch) => ch !== ' '),
        n,
      );
    }
  });

  test('glyphs sit on one arc from lower left to lower right, evenly spaced, each facing the centre', () => {
    for (const n of [name, '阜阳市财政局', '中国共产党阜阳市颍州区纪律检查委员会']) {
      const glyphs = nameGlyphs(sealPictureSvg({ name: n, sealType: '公文专用章' })).map((g) => placement(g.attrs.transform!));
      const radii = glyphs.map((p) => Math.hypot(p.x - 21, p.y - 21));
      for (const r of radii) assert.ok(Math.abs(r - radii[0]!) < 0.01, 'one radius');
      assert.ok(radii[0]! < 21 - 1.26, 'inside the ring');
      for (const p of glyphs) {
        // Angle of the position measured clockwise from the top, which is the glyph's own rotation.
        const at = (Math.atan2(p.x - 21, -(p.y - 21)) * 180) / Math.PI;
        assert.ok(Math.abs(at - p.deg) < 0.05, `glyph at ${at}° turned ${p.deg}°`);
      }
      const steps = glyphs.slice(1).map((p, i) => p.deg - glyphs[i]!.deg);
      for (const s of steps) assert.ok(Math.abs(s - steps[0]!) < 0.01, 'even spacing');
      // The slots cover 230° of arc: from 115° left of the top to 115° right.
      const span = glyphs.at(-1)!.deg - glyphs[0]!.deg + steps[0]!;
      assert.ok(span >= 210 && span <= 240, `span ${span}`);
      assert.ok(Math.abs(glyphs[0]!.deg + glyphs.at(-1)!.deg) < 0.01, 'symmetric about the top');
      assert.ok(glyphs[0]!.y > 21 && glyphs.at(-1)!.y > 21, 'starts and ends below the centre line');
    }
  });

  test('long names are squeezed, not pushed off the arc', () => {
    const long = '阜阳市人民政府国有资产监督管理委员会机关党委纪律检查委员会';
    const svg = sealPictureSvg({ name: long, sealType: '单位公章' });
    const glyphs = nameGlyphs(svg);
    assert.equal(glyphs.length, Array.from(long).length);
    assert.match(glyphs[0]!.attrs.transform!, /scale\(0\.\d+ 1\)$/);
    const short = nameGlyphs(sealPictureSvg({ name: '某局', sealType: '单位公章' }));
    assert.doesNotMatch(short[0]!.attrs.transform!, /scale/);
  });

  test('the purpose is written below the star, except on the plain unit seal', () => {
    for (const sealType of ['公文专用章', '业务专用章', '财务专用章', '合同专用章']) {
      const svg = sealPictureSvg({ name, sealType });
      const lines = typeLines(svg);
      assert.equal(lines.length, 1, sealType);
      assert.equal(lines[0]!.text, sealType);
      assert.equal(Number(lines[0]!.attrs.x), 21, 'centred');
      assert.ok(Number(lines[0]!.attrs.y) > 21 + 42 * 0.17, 'below the star');
      assert.ok(Number(lines[0]!.attrs.y) < 42 - 1.26, 'inside the ring');
    }
    const plain = sealPictureSvg({ name, sealType: '单位公章' });
    assert.equal(typeLines(plain).length, 0);
    assert.ok(!plain.includes('单位公章'), 'not even in the title');
  });

  test('names and types with XML specials are escaped and read back exactly', () => {
    const tricky = `A&B <Unit> "Q" 'S' ]]> &amp;`;
    const svg = sealPictureSvg({ name: tricky, sealType: '业务<专用>&章' });
    assert.equal(XMLValidator.validate(svg), true);
    assert.ok(!svg.includes('<Unit>') && !svg.includes('<专用>') && !svg.includes(']]>'));
    assert.deepEqual(
      nameGlyphs(svg).map((g) => g.text),
      Array.from(tricky).filter((ch) => ch !== ' '),
    );
    assert.equal(typeLines(svg)[0]!.text, '业务<专用>&章');
    const title = elements(svg).find((e) => e.tag === 'title')!;
    assert.equal(title.text, `${tricky}（业务<专用>&章）`);
  });

  test('characters XML cannot carry become U+FFFD instead of breaking the document', () => {
    const svg = sealPictureSvg({ name: 'a\u0001b\ud800c\uffff', sealType: '单位公章' });
    assert.equal(XMLValidator.validate(svg), true);
    assert.deepEqual(
      nameGlyphs(svg).map((g) => g.text),
      ['a', '\ufffd', 'b', '\ufffd', 'c', '\ufffd'],
    );
  });

  test('deterministic: the same input gives the same bytes', () => {
    const a = sealPictureSvg({ name, sealType: '公文专用章' });
    const b = sealPictureSvg({ name: `${name}`, sealType: '公文专用章', diameterMm: 42 });
    assert.equal(a, b);
    assert.notEqual(a, sealPictureSvg({ name, sealType: '财务专用章' }));
    assert.ok(!/-0[^.\d]/.test(a) && !/e[-+]\d/.test(a), 'no "-0" and no exponent notation');
  });

  test('an impossible diameter is refused', () => {
    for (const diameterMm of [0, -42, 5, 1000, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => sealPictureSvg({ name, sealType: '单位公章', diameterMm }), RangeError, String(diameterMm));
    }
  });
});
