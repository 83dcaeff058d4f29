/**
 * The picture of a round official seal (公章印模) as SVG, for display and for the fixed-layout
 * rendering of a sealed document, and as the picture inside the seal record (seal-record.ts).
 *
 * It follows the form the State Council's rules on seals prescribe for units (国发〔1999〕25号):
 * a circle, a five-pointed star in the centre, the unit's name in 宋体 along the upper arc from
 * lower left to lower right, and — for a special-purpose seal — its purpose written straight
 * below the star. 42 mm is the diameter for units below the provincial level.
 *
 * The glyph positions are computed here rather than left to <textPath>, which PDF converters and
 * several viewers lay out differently or not at all; the output is a pure function of the input,
 * byte for byte, because it is hashed and signed inside the seal record.
 */

export const SEAL_RED = '#d7000f';
export const DEFAULT_SEAL_DIAMETER_MM = 42;
/** The plain unit seal carries no purpose line. */
const PLAIN_UNIT_SEAL = '单位公章';
/** Degrees of arc the name occupies, centred on the top: starts at lower left, ends at lower right. */
const NAME_ARC_DEG = 230;
const FONT = "SimSun, 'Songti SC', STSong, 'Noto Serif CJK SC', 'Source Han Serif SC', serif";

/** Fixed-point text for coordinates: deterministic, short, and never "-0". */
function num(value: number): string {
  const text = value.toFixed(3).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

// XML 1.0 allows tab, LF, CR and U+0020 onwards except surrogates, U+FFFE and U+FFFF.
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;

/** Text content or attribute value, escaped; characters XML cannot carry at all become U+FFFD. */
function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&apos;';
        break;
      default:
        // A lone surrogate is one "character" of the iteration; a valid pair never matches.
        out += ch.length === 1 && XML_INVALID.test(ch) ? '\ufffd' : ch;
    }
  }
  return out;
}

/** The ten corners of a five-pointed star with its top point up, as a path. */
function starPath(cx: number, cy: number, outer: number): string {
  // Inner radius of a regular pentagram: outer · sin 18° / sin 126°.
  const inner = (outer * Math.sin(Math.PI / 10)) / Math.sin((7 * Math.PI) / 10);
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    points.push(`${num(cx + radius * Math.cos(angle))},${num(cy + radius * Math.sin(angle))}`);
  }
  return `M${points.join('L')}Z`;
}

export function sealPictureSvg(input: { name: string; sealType: string; diameterMm?: number }): string {
  const d = input.diameterMm ?? DEFAULT_SEAL_DIAMETER_MM;
  if (!Number.isFinite(d) || d < 10 || d > 100) throw new RangeError(`印章直径须在 10 至 100 毫米之间 (diameter ${d} mm)`);
  const c = d / 2;
  const ring = d * 0.03; // 1.26 mm at 42 mm
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(d)}mm" height="${num(d)}mm" viewBox="0 0 ${num(d)} ${num(d)}">`,
    `<title>${escapeXml(input.name)}${input.sealType && input.sealType !== PLAIN_UNIT_SEAL ? `（${escapeXml(input.sealType)}）` : ''}</title>`,
    `<g fill="${SEAL_RED}" stroke="none">`,
    `<circle cx="${num(c)}" cy="${num(c)}" r="${num(c - ring / 2)}" fill="none" stroke="${SEAL_RED}" stroke-width="${num(ring)}"/>`,
    `<path d="${starPath(c, c, d * 0.17)}"/>`,
  );

  // The name: one glyph per character, each centred in an equal slot of the arc and turned so its
  // foot points at the centre. Long names get narrower glyphs, as engravers compress 宋体.
  const chars = Array.from(input.name);
  if (chars.length > 0) {
    const baseSize = d * 0.155;
    const radius = c - ring - d * 0.02 - baseSize / 2;
    const slotDeg = NAME_ARC_DEG / chars.length;
    const slotLength = (2 * Math.PI * radius * slotDeg) / 360;
    let size = baseSize;
    let squeeze = Math.min(1, (slotLength * 0.92) / size);
    if (squeeze < 0.5) {
      size *= squeeze / 0.5;
      squeeze = 0.5;
    }
    const textRadius = c - ring - d * 0.02 - size / 2;
    out.push(`<g font-family="${FONT}" font-size="${num(size)}" font-weight="bold" text-anchor="middle" dominant-baseline="central">`);
    chars.forEach((ch, i) => {
      if (/^\s$/u.test(ch)) return; // a space keeps its slot but draws nothing
      const deg = -NAME_ARC_DEG / 2 + (i + 0.5) * slotDeg;
      const rad = (deg * Math.PI) / 180;
      const x = c + textRadius * Math.sin(rad);
      const y = c - textRadius * Math.cos(rad);
      const transform = `translate(${num(x)} ${num(y)}) rotate(${num(deg)})${squeeze < 1 ? ` scale(${num(squeeze)} 1)` : ''}`;
      out.push(`<text transform="${transform}">${escapeXml(ch)}</text>`);
    });
    out.push('</g>');
  }

  if (input.sealType && input.sealType !== PLAIN_UNIT_SEAL) {
    const typeChars = Array.from(input.sealType).length;
    const size = Math.min(d * 0.105, (d * 0.5) / Math.max(typeChars, 1));
    out.push(
      `<text x="${num(c)}" y="${num(c + d * 0.29)}" font-family="${FONT}" font-size="${num(size)}" font-weight="bold" text-anchor="middle" dominant-baseline="central">${escapeXml(input.sealType)}</text>`,
    );
  }
  out.push('</g>', '</svg>');
  return out.join('\n') + '\n';
}
