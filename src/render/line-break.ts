/**
 * Chinese line breaking (禁则, GB/T 15834 and the composition rules of JIS X 4051 / W3C clreq that
 * Chinese typesetting follows): a line never begins with a closing mark (，。、；：？！ ）》」 …) and
 * never ends with an opening one (（《「 “). A line may break between any two Han characters; a run
 * of Latin letters or digits (an English word, "2025", "GB/T") is kept whole unless it is longer
 * than a line by itself. When a closing mark would start a line, the character before it moves down
 * with it (推出) and the shortened line is justified, as a composing room does; a line too short to
 * hold any unit (hostile text: one word of 10,000 letters) is cut by character.
 *
 * Pure: widths come from the caller (font metrics and the grid's spacing already applied).
 */

/** Marks that must not begin a line. */
const NO_START = new Set(Array.from('，。、；：？！）］｝〕〉》」』】〗〙〛”’»›…—·•%‰℃°′″ゝゞヽヾ々〻ー～,.;:?!)]}'));
/** Marks that must not end a line. */
const NO_END = new Set(Array.from('（［｛〔〈《「『【〖〘〚“‘«‹(['));
/** Characters of a word that is not broken inside (Latin, digits and the marks inside numbers and codes). */
const WORD = /^[A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff_\-./:#&@+='"`^|\\~<>*$]$/u;

export interface Glyph {
  ch: string;
  /** Advance on the line, in points, including the grid's character spacing. */
  width: number;
}

export interface Line<G extends Glyph> {
  glyphs: G[];
  /** x of each glyph from the line's start, after justification. */
  x: number[];
  /** Width available for the line (the first line of a paragraph is indented). */
  available: number;
}

/** Groups glyphs into unbreakable units: words, then marks glued to their neighbours. */
export function units<G extends Glyph>(glyphs: readonly G[]): G[][] {
  const raw: G[][] = [];
  for (const g of glyphs) {
    const last = raw.at(-1);
    // Inside a word, ASCII marks ("3.5", "GB/T", "e-mail") do not break it.
    if (last && WORD.test(g.ch) && WORD.test(last.at(-1)!.ch)) last.push(g);
    else raw.push([g]);
  }
  // Closing marks join the unit before them; opening marks join the unit after them.
  const glued: G[][] = [];
  let pendingOpen: G[] = [];
  for (const unit of raw) {
    const first = unit[0]!.ch;
    if (unit.length === 1 && NO_START.has(first) && glued.length > 0 && pendingOpen.length === 0) {
      glued.at(-1)!.push(...unit);
    } else if (unit.length === 1 && NO_END.has(first)) {
      pendingOpen.push(...unit);
    } else {
      glued.push([...pendingOpen, ...unit]);
      pendingOpen = [];
    }
  }
  if (pendingOpen.length > 0) glued.push(pendingOpen);
  return glued;
}

const sum = (gs: readonly Glyph[]) => gs.reduce((w, g) => w + g.width, 0);

/**
 * Breaks one paragraph into lines: `firstWidth` for the first line (after the indent), `width` for
 * the others. Every line but the last is justified to its full width.
 */
export function breakParagraph<G extends Glyph>(glyphs: readonly G[], firstWidth: number, width: number): Line<G>[] {
  const lines: G[][] = [];
  let current: G[] = [];
  let used = 0;
  const room = () => (lines.length === 0 ? firstWidth : width);
  const flush = () => {
    lines.push(current);
    current = [];
    used = 0;
  };
  for (const unit of units(glyphs)) {
    const w = sum(unit);
    if (used + w <= room() + EPSILON) {
      current.push(...unit);
      used += w;
      continue;
    }
    if (current.length > 0 && w <= width + EPSILON) {
      flush();
      // A space where the line breaks is not carried to the start of the next line.
      if (unit.length === 1 && unit[0]!.ch === ' ') continue;
      current.push(...unit);
      used = w;
      continue;
    }
    // Longer than a whole line: cut it by character wherever the line is full.
    for (const g of unit) {
      if (used + g.width > room() + EPSILON && current.length > 0) flush();
      current.push(g);
      used += g.width;
    }
  }
  if (current.length > 0 || lines.length === 0) lines.push(current);
  // A space that ends a line is not drawn, nor counted when the line is justified.
  const trimmed = lines.map((gs) => {
    let end = gs.length;
    while (end > 1 && gs[end - 1]!.ch === ' ') end--;
    return end === gs.length ? gs : gs.slice(0, end);
  });
  return trimmed.map((gs, i) => place(gs, i === 0 ? firstWidth : width, i < lines.length - 1));
}

const EPSILON = 0.01;

/** Positions the glyphs; a justified line spreads its slack evenly between the glyphs. */
function place<G extends Glyph>(glyphs: G[], available: number, justify: boolean): Line<G> {
  const used = sum(glyphs);
  const slack = available - used;
  // More than three characters' slack means a long word was carried over: leave the line ragged
  // rather than pulling its characters far apart.
  const gap = justify && glyphs.length > 1 && slack > 0 && slack <= (3 * used) / glyphs.length ? slack / (glyphs.length - 1) : 0;
  const x: number[] = [];
  let at = 0;
  for (const g of glyphs) {
    x.push(at);
    at += g.width + gap;
  }
  return { glyphs, x, available };
}

export const isNoStart = (ch: string) => NO_START.has(ch);
export const isNoEnd = (ch: string) => NO_END.has(ch);
