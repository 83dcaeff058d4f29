/**
 * Text as the page can show it. Whatever reaches the renderer — a body the schema let through, a
 * title, a unit's name — is turned into characters some configured font can draw. What cannot be
 * drawn is never left to a viewer's silent "tofu" box: it becomes 〓 (U+3013 GETA MARK, the
 * typesetter's sign for a missing character in Chinese and Japanese composition) and is counted,
 * so the rendering says how many characters it replaced and which ones.
 */

export const SUBSTITUTE = '\u3013';

/** One replaced character: what it was (U+XXXX) and how often. */
export interface Substitution {
  codePoint: string;
  count: number;
}

export class SubstitutionLog {
  private readonly counts = new Map<string, number>();

  add(ch: string): void {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    const key = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Sorted by code point, so the record is the same for the same text. */
  list(): Substitution[] {
    const value = (s: Substitution) => parseInt(s.codePoint.slice(2), 16);
    return [...this.counts].map(([codePoint, count]) => ({ codePoint, count })).sort((a, b) => value(a) - value(b));
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

// Controls (other than the line feed handled by the caller), format characters (zero-width and
// bidirectional controls, which could hide or reorder text on the page), lone surrogates,
// private-use and unassigned code points: none has a trustworthy glyph.
const UNDRAWABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u;

/**
 * Splits text into paragraphs (CR LF, CR and LF end a paragraph) and makes each character
 * drawable: a tab becomes a space, anything undrawable or absent from every font becomes 〓.
 */
export function drawableParagraphs(text: string, hasGlyph: (ch: string) => boolean, log: SubstitutionLog): string[] {
  return text.split(/\r\n|\r|\n/).map((line) => drawableLine(line, hasGlyph, log));
}

export function drawableLine(text: string, hasGlyph: (ch: string) => boolean, log: SubstitutionLog): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\t') out += ' ';
    else if (ch === '\n' || ch === '\r') out += ' ';
    else if (UNDRAWABLE.test(ch) || !hasGlyph(ch)) {
      log.add(ch);
      out += SUBSTITUTE;
    } else out += ch;
  }
  return out;
}

/** A paragraph's own leading indent (ASCII or full-width spaces): the layout indents by rule. */
export const withoutIndent = (paragraph: string): string => paragraph.replace(/^[\s\u3000]+/u, '').replace(/[\s\u3000]+$/u, '');
