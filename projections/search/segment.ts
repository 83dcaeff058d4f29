/**
 * Chinese full-text segmentation for PostgreSQL, which has no Chinese parser of its own.
 *
 * Text is normalised (NFKC, so full-width ２０２６ and Ａ are 2026 and a; lower case) and cut into
 * runs: Han runs and word runs (letters and digits of other scripts, e.g. 2026, gb, 12); anything
 * else separates runs. A Han run is indexed as its character bigrams plus its last character
 * alone, so every character of the text begins some lexeme: a one-character query c is the prefix
 * query c:* (the bigrams starting with c, or c at the end of a run). A word run is one whole
 * token. In the short fields (title, 发文字号, issuer) every character and word takes one position
 * and carries the field's weight, for ts_rank_cd; a body's tsvector holds its lexemes only, since
 * it serves to find candidates (positions would double its size and its cost to write).
 *
 * Dictionary segmentation (Intl.Segmenter('zh'), available in Node 20 with full ICU) is not used to
 * index: it cuts 电子印章 into 电子|印章 and 专网 into 专|网, and whether a query matches would then
 * depend on how the dictionary happened to cut the document. Bigrams match any substring.
 *
 * Precision comes from a second representation, the canonical text: the runs joined by one space,
 * with a space at both ends. A query term (a stretch of the query without white space) matches a
 * document exactly when its pattern is a substring of the document's canonical text: Han
 * characters must be contiguous within one run (电子印章 does not match 电子，印章 or 电子……印章), and
 * a word must be a whole word (12 does not match 112).
 */

export type RunKind = 'han' | 'word';

export interface Run {
  kind: RunKind;
  /** Normalised text of the run. */
  text: string;
}

/** tsvector positions stop at 16383 (PostgreSQL clamps larger ones). */
export const MAX_POSITION = 16383;
/**
 * Positions kept per lexeme of a short field. Positions only rank (the canonical text decides
 * what matches), and a few occurrences rank as well as hundreds.
 */
const MAX_POSITIONS_PER_LEXEME = 16;
/** A long word (a digest, a URL) is indexed by its first 64 characters, in documents and queries alike. */
const MAX_WORD_LEXEME = 64;
/**
 * PostgreSQL refuses a tsvector over 1 MB. Estimated with its storage layout and kept well below;
 * past it, the rest of the text is left out of the tsvector and it is marked incomplete. Only a
 * body of well over 100,000 characters gets there; the query then checks such rows by their
 * canonical text alone (see queries.ts).
 */
const TSVECTOR_BUDGET_BYTES = 900_000;

// ---- character classes ----

const SEP = 1;
const HAN = 2;
const WORD = 3;
/** The character changes under normalisation: see NORMALISED. */
const CHANGES = 4;

/** Class of every BMP code point, filled on first sight (0 = not seen yet). */
const BMP = new Uint8Array(0x10000);
const ASTRAL = new Map<number, number>();
/** What a CHANGES code point normalises to. */
const NORMALISED = new Map<number, string>();

const HAN_RE = /^\p{Script=Han}$/u;
const WORD_RE = /^[\p{L}\p{N}\p{M}]$/u;

/** The class of an already normalised character. */
function baseClass(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a) ? WORD : SEP;
  if ((cp >= 0x4e00 && cp <= 0x9fff) || HAN_RE.test(ch)) return HAN;
  return WORD_RE.test(ch) ? WORD : SEP;
}

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  // NFKC, then lower case: full-width forms become ASCII, compatibility ideographs unified ones.
  const norm = ch.normalize('NFKC').toLowerCase();
  if (norm !== ch) {
    NORMALISED.set(cp, norm);
    return CHANGES;
  }
  return baseClass(ch);
}

function classOf(cp: number): number {
  if (cp < 0x10000) {
    let c = BMP[cp]!;
    if (c === 0) BMP[cp] = c = classify(cp);
    return c;
  }
  let c = ASTRAL.get(cp);
  if (c === undefined) ASTRAL.set(cp, (c = classify(cp)));
  return c;
}

/**
 * Calls `emit` for every normalised character with its kind (null = separator) and the UTF-16
 * range of the source character it came from. The slow path, for queries and highlighting; runsOf
 * is the same walk, made fast for indexing.
 */
function scan(raw: string, emit: (kind: RunKind | null, ch: string, start: number, end: number) => void): void {
  for (let i = 0; i < raw.length; ) {
    const cp = raw.codePointAt(i)!;
    const end = i + (cp > 0xffff ? 2 : 1);
    const c = classOf(cp);
    if (c === CHANGES) {
      for (const ch of NORMALISED.get(cp)!) {
        const k = baseClass(ch);
        emit(k === HAN ? 'han' : k === WORD ? 'word' : null, ch, i, end);
      }
    } else {
      emit(c === HAN ? 'han' : c === WORD ? 'word' : null, raw.slice(i, end), i, end);
    }
    i = end;
  }
}

export function runsOf(raw: string): Run[] {
  const runs: Run[] = [];
  let kind = 0;
  let text = '';
  /** Start of the not yet copied stretch of unchanged characters of the current run (-1: none). */
  let from = -1;
  const close = (at: number) => {
    if (kind !== 0) {
      if (from >= 0) text += raw.slice(from, at);
      runs.push({ kind: kind === HAN ? 'han' : 'word', text });
    }
    kind = 0;
    text = '';
    from = -1;
  };
  for (let i = 0; i < raw.length; ) {
    let cp = raw.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < raw.length) {
      const lo = raw.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const c = classOf(cp);
    if (c === SEP) {
      close(i);
    } else if (c === HAN || c === WORD) {
      if (c !== kind) {
        close(i);
        kind = c;
      }
      if (from < 0) from = i;
    } else {
      // A character that normalises to others (Ａ → a, ① → 1, ㈠ → (一)): copy them one by one.
      for (const ch of NORMALISED.get(cp)!) {
        const k = baseClass(ch);
        if (k === SEP) {
          close(i);
          continue;
        }
        if (k !== kind) {
          close(i);
          kind = k;
        }
        if (from >= 0) {
          text += raw.slice(from, i);
          from = -1;
        }
        text += ch;
      }
    }
    i += width;
  }
  close(raw.length);
  return runs;
}

/** The canonical text: runs joined by one space, a space at both ends. */
export function canonical(runs: readonly Run[]): string {
  return runs.length === 0 ? ' ' : ` ${runs.map((r) => r.text).join(' ')} `;
}

export const canonicalText = (raw: string): string => canonical(runsOf(raw));

const wordLexeme = (text: string): string => {
  if (text.length <= MAX_WORD_LEXEME) return text;
  return Array.from(text).slice(0, MAX_WORD_LEXEME).join('');
};

const hasSurrogates = (s: string) => /[\ud800-\udfff]/.test(s);

/**
 * Calls `token` for every lexeme of the runs with its position (from `start`): a word whole, a Han
 * run as its bigrams and its last character. Returns the next free position.
 */
function tokens(runs: readonly Run[], start: number, token: (lexeme: string, position: number) => void): number {
  let pos = start;
  for (const run of runs) {
    if (run.kind === 'word') {
      token(wordLexeme(run.text), pos);
      pos += 1;
      continue;
    }
    const t = run.text;
    if (!hasSurrogates(t)) {
      for (let i = 0; i + 1 < t.length; i++) token(t.slice(i, i + 2), pos + i);
      token(t[t.length - 1]!, pos + t.length - 1);
      pos += t.length;
      continue;
    }
    const chars = Array.from(t);
    for (let i = 0; i + 1 < chars.length; i++) token(chars[i]! + chars[i + 1]!, pos + i);
    token(chars[chars.length - 1]!, pos + chars.length - 1);
    pos += chars.length;
  }
  return pos;
}

export type Weight = 'A' | 'B' | 'C' | 'D';

export interface IndexedField {
  runs: readonly Run[];
  weight: Weight;
}

export interface DocumentVector {
  /** tsvector in PostgreSQL's text form, to be cast with ::tsvector. */
  tsvector: string;
  /** False when the budget cut the body short (the row is then matched by canonical text alone). */
  complete: boolean;
}

const quoteLexeme = (lexeme: string): string => (/['\\]/.test(lexeme) ? `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${lexeme}'`);

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/**
 * The tsvector of short fields (title, 发文字号, the issuer's names), with positions and weights for
 * ts_rank_cd. Fields are one position apart so no phrase spans two of them.
 */
export function documentVector(fields: readonly IndexedField[]): DocumentVector {
  /** Per lexeme: its positions as text (`12A`), and the last position number to skip repeats. */
  const entries = new Map<string, string[]>();
  const lastPosition = new Map<string, number>();
  let bytes = 8;
  let complete = true;
  let pos = 1;
  for (const field of fields) {
    if (!complete) break;
    const mark = field.weight === 'D' ? '' : field.weight;
    pos =
      tokens(field.runs, pos, (lexeme, p) => {
        if (!complete) return;
        const position = p > MAX_POSITION ? MAX_POSITION : p;
        const list = entries.get(lexeme);
        if (list === undefined) {
          // WordEntry (4) + lexeme + alignment + position count (2) + one position (2)
          const cost = 4 + utf8Length(lexeme) + 1 + 2 + 2;
          if (bytes + cost > TSVECTOR_BUDGET_BYTES) {
            complete = false;
            return;
          }
          bytes += cost;
          entries.set(lexeme, [position + mark]);
          lastPosition.set(lexeme, position);
          return;
        }
        if (list.length >= MAX_POSITIONS_PER_LEXEME || lastPosition.get(lexeme) === position) return;
        bytes += 2;
        list.push(position + mark);
        lastPosition.set(lexeme, position);
      }) + 1;
  }
  const parts: string[] = [];
  for (const [lexeme, positions] of entries) parts.push(`${quoteLexeme(lexeme)}:${positions.join(',')}`);
  return { tsvector: parts.join(' '), complete };
}

/** A body's lexemes, for array_to_tsvector on the server (see lexemeVector). */
export interface BodyLexemes {
  /**
   * The distinct lexemes joined by single spaces, unquoted: no lexeme holds white space (runs are
   * split at it), so the server splits them back with string_to_array.
   */
  lexemes: string;
  /** False when the budget cut the body short (the row is then matched by canonical text alone). */
  complete: boolean;
}

/**
 * A body's tsvector, as its distinct lexemes without positions: the same tsvector as their text
 * form, but PostgreSQL builds it from a split array in a fraction of the time tsvector input and
 * its quoting take (measured on the bench ledger's bodies). Past the size budget the rest is left
 * out and `complete` is false.
 */
export function lexemeVector(runs: readonly Run[]): BodyLexemes {
  // Lexemes of the main CJK block are keyed by one small integer, which a Set compares far faster
  // than new two-character strings; anything else by its text.
  const seenHan = new Set<number>();
  const seenWords = new Set<string>();
  const parts: string[] = [];
  let bytes = 8;
  let complete = true;
  const fits = (cost: number) => {
    if (bytes + cost > TSVECTOR_BUDGET_BYTES) return (complete = false);
    bytes += cost;
    return true;
  };
  const unitBytes = (c: number) => (c < 0x80 ? 1 : c < 0x800 ? 2 : 3);
  for (const run of runs) {
    if (!complete) break;
    const t = run.text;
    if (run.kind === 'word') {
      const w = wordLexeme(t);
      // WordEntry (4) + lexeme
      if (!seenWords.has(w) && fits(4 + utf8Length(w))) {
        seenWords.add(w);
        parts.push(w);
      }
      continue;
    }
    if (hasSurrogates(t)) {
      const chars = Array.from(t);
      for (let i = 0; i < chars.length && complete; i++) {
        const w = i + 1 < chars.length ? chars[i]! + chars[i + 1]! : chars[i]!;
        if (!seenWords.has(w) && fits(4 + utf8Length(w))) {
          seenWords.add(w);
          parts.push(w);
        }
      }
      continue;
    }
    for (let i = 0; i < t.length && complete; i++) {
      const a = t.charCodeAt(i);
      const b = i + 1 < t.length ? t.charCodeAt(i + 1) : -1;
      if (a >= 0x4e00 && a <= 0x9fff && (b === -1 || (b >= 0x4e00 && b <= 0x9fff))) {
        // Both in the main block: a small integer key (a bigram, or a lone last character).
        const key = (a - 0x4e00) * 0x5201 + (b === -1 ? 0x5200 : b - 0x4e00);
        if (seenHan.has(key)) continue;
        if (!fits(b === -1 ? 7 : 10)) break;
        seenHan.add(key);
      } else {
        const w = b === -1 ? t[i]! : t.slice(i, i + 2);
        if (seenWords.has(w)) continue;
        if (!fits(4 + unitBytes(a) + (b === -1 ? 0 : unitBytes(b)))) break;
        seenWords.add(w);
      }
      parts.push(b === -1 ? t[i]! : t.slice(i, i + 2));
    }
  }
  return { lexemes: parts.join(' '), complete };
}

// ---- queries ----

export interface QueryTerm {
  /** The term as normalised runs joined by spaces (for display). */
  text: string;
  /**
   * What the document's canonical text must contain: a leading/trailing space when the term
   * starts/ends with a word, so that words match whole.
   */
  pattern: string;
  /** tsquery operands every document containing the term has (lexemes, or c:* for a lone character). */
  operands: string[];
  /**
   * Whether the index alone decides a match: one operand (one run of one or two Han characters, or
   * one word short of the lexeme's cut) is present exactly where the pattern is. Otherwise the
   * operands are a superset and the canonical text decides.
   */
  exact: boolean;
}

/**
 * Cuts a query into terms at white space; a document must contain every term. Within a term,
 * punctuation only separates runs, so a pasted 发文字号 such as 阜政办〔2026〕12号 is one term
 * (runs 阜政办, 2026, 12, 号 in this order with nothing but separators between them) and finds
 * 阜政办〔2026〕12号 but neither 阜政办〔2026〕112号 nor a text that has the pieces apart.
 */
export function parseQuery(query: string): QueryTerm[] {
  const terms: Run[][] = [];
  let current: Run[] | null = null;
  let run: Run | null = null;
  scan(query, (kind, ch) => {
    if (kind === null) {
      if (/\s/u.test(ch)) current = null;
      run = null;
      return;
    }
    if (!current) terms.push((current = []));
    if (run && run.kind === kind) {
      run.text += ch;
    } else {
      run = { kind, text: ch };
      current.push(run);
    }
  });
  const seen = new Set<string>();
  const out: QueryTerm[] = [];
  for (const runs of terms) {
    const text = runs.map((r) => r.text).join(' ');
    const pattern = `${runs[0]!.kind === 'word' ? ' ' : ''}${text}${runs.at(-1)!.kind === 'word' ? ' ' : ''}`;
    if (seen.has(pattern)) continue;
    seen.add(pattern);
    const operands: string[] = [];
    for (const r of runs) {
      if (r.kind === 'word') {
        operands.push(quoteLexeme(wordLexeme(r.text)));
        continue;
      }
      const chars = Array.from(r.text);
      // A lone character begins a bigram, or stands alone at the end of a run: c:* finds both.
      if (chars.length === 1) operands.push(`${quoteLexeme(chars[0]!)}:*`);
      for (let i = 0; i + 1 < chars.length; i++) operands.push(quoteLexeme(chars[i]! + chars[i + 1]!));
    }
    const exact = operands.length === 1 && (runs[0]!.kind !== 'word' || Array.from(runs[0]!.text).length < MAX_WORD_LEXEME);
    out.push({ text, pattern, operands: [...new Set(operands)], exact });
  }
  return out;
}

/** A term's index condition: all its operands (a superset of its matches, narrowed by its pattern). */
export const termQuery = (term: QueryTerm): string => term.operands.join(' & ');

// ---- locating matches in the original text (highlights and snippets) ----

export interface Range {
  /** UTF-16 offsets into the original text, end exclusive. */
  start: number;
  end: number;
}

/** Where each term occurs in `raw`, as ranges of the original text, sorted and merged. */
export function locate(raw: string, terms: readonly Pick<QueryTerm, 'pattern'>[]): Range[] {
  // The canonical text again, this time remembering each character's source range.
  let text = ' ';
  const starts: number[] = [0];
  const ends: number[] = [0];
  let lastKind: RunKind | null = null;
  let separated = true;
  let any = false;
  scan(raw, (kind, ch, start, end) => {
    if (kind === null) {
      separated = true;
      return;
    }
    if (any && (separated || kind !== lastKind)) {
      text += ' ';
      starts.push(start);
      ends.push(start);
    }
    text += ch;
    for (let i = 0; i < ch.length; i++) {
      starts.push(start);
      ends.push(end);
    }
    any = true;
    separated = false;
    lastKind = kind;
  });
  if (any) {
    text += ' ';
    starts.push(raw.length);
    ends.push(raw.length);
  }
  const ranges: Range[] = [];
  for (const { pattern } of terms) {
    const lead = pattern.startsWith(' ') ? 1 : 0;
    const trail = pattern.endsWith(' ') ? 1 : 0;
    for (let i = text.indexOf(pattern); i >= 0; i = text.indexOf(pattern, i + 1)) {
      ranges.push({ start: starts[i + lead]!, end: ends[i + pattern.length - trail - 1]! });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Range[] = [];
  for (const r of ranges) {
    const prev = merged.at(-1);
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}
