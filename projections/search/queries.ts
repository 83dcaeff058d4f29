import type pg from 'pg';
import { refuse } from '../../src/domain/refusal.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { encodeCursor, pageWindow, type Connection, type CursorValue, type KeyColumn } from '../shared/keyset.ts';
import type { SearchStatus } from './fold.ts';
import { locate, parseQuery, termQuery, type QueryTerm, type Range } from './segment.ts';

export interface SearchHit {
  documentId: string;
  title: string;
  docNumber: string | null;
  docType: string;
  urgency: string;
  issuerUnitId: string;
  /** The issuer's current name. */
  issuerName: string;
  status: SearchStatus;
  sentAt: string | null;
  /** 成文日期: when it was signed off (null for a draft not yet signed off). */
  writtenAt: string | null;
  /**
   * Higher first. The whole part counts the query terms found in the title or 发文字号 (each worth
   * more than all terms found in the issuer's name) and in the issuer's name; it is 0 for a hit in
   * the body only. The fraction, in [0, 1), is the document's date (sent, else signed off, else
   * drafted) scaled, so among equal counts the newest comes first. So a title hit always ranks above
   * a hit in the body only, however often the body repeats the term.
   */
  score: number;
  /** Where the terms occur in `title`. */
  titleHighlights: Range[];
  /** A stretch of the body around the first hit (whitespace folded), or its beginning when only the title or issuer matched. */
  snippet: string;
  snippetHighlights: Range[];
}

export type SearchSort = 'RELEVANCE' | 'NEWEST' | 'OLDEST';

/** Narrowing a search; every filter is served by an index of the projection (indexes.sql, schema.sql). */
export interface SearchFilters {
  docType?: string;
  urgency?: string;
  classification?: string;
  /** Relative to `unitId`: documents it issued (SENT) or was sent (RECEIVED). */
  direction?: { unitId: string; side: 'SENT' | 'RECEIVED' };
  issuerUnitId?: string;
  /** A range of the 成文日期 (WRITTEN) or the sending time (SENT): from inclusive, to exclusive. */
  dates?: { field: 'WRITTEN' | 'SENT'; from?: string; to?: string };
}

export interface SearchArgs extends SearchFilters {
  query: string;
  /** Only documents this unit issued or was sent (the caller's unit); absent = every document (inspectors). */
  visibleToUnitId?: string | null;
  /** RELEVANCE (the default): best first; NEWEST / OLDEST: by the document's date (sent, else signed off, else drafted). */
  sort?: SearchSort;
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

const CURSOR_SCOPE = 'search';
/** The cursor's shape: the sort value (the score or the date, as text, see below) and the documentId. */
const CURSOR_KEY: readonly KeyColumn[] = [
  { sql: 'score', type: 'text' },
  { sql: 'document_id', type: 'text' },
];

/**
 * Each order as (column, its SQL type, direction of the column, direction of the documentId that
 * breaks ties): RELEVANCE is score descending then id ascending; the dates run both the same way.
 */
const ORDERS: Record<SearchSort, { column: 'score' | 'sort_at'; type: string; desc: boolean; idDesc: boolean }> = {
  RELEVANCE: { column: 'score', type: 'float8', desc: true, idDesc: false },
  NEWEST: { column: 'sort_at', type: 'timestamptz', desc: true, idDesc: true },
  OLDEST: { column: 'sort_at', type: 'timestamptz', desc: false, idDesc: false },
};

const DATE_COLUMNS = { WRITTEN: 'signed_off_at', SENT: 'sent_at' } as const;
/** The short fields' tsvector: the very expression search_documents_head indexes (schema.sql). */
const HEAD_TSV = '(title_tsv || number_tsv || issuer_tsv)';
const MAX_QUERY_LENGTH = 100;
const MAX_TERMS = 10;
const SNIPPET_LENGTH = 100;
const SNIPPET_LEAD = 30;
/** Seconds since 1970 over this are a score's fraction: below 1 until the year 2286. */
const RECENCY_SCALE = 1e10;

export function searchTerms(query: string): QueryTerm[] {
  if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) {
    refuse('VALIDATION_FAILED', `检索词不能超过 ${MAX_QUERY_LENGTH} 个字符 (query too long)`, { length: query?.length });
  }
  const terms = parseQuery(query);
  if (terms.length === 0) refuse('VALIDATION_FAILED', '请输入检索词：至少一个汉字、字母或数字 (query has no searchable characters)', { query });
  if (terms.length > MAX_TERMS) refuse('VALIDATION_FAILED', `检索词至多 ${MAX_TERMS} 个（以空格分隔）(too many terms)`, { terms: terms.length });
  return terms;
}

interface HitRow {
  document_id: string;
  title: string;
  doc_number: string | null;
  doc_type: string;
  urgency: string;
  signed_off_at: Date | null;
  sort_at: Date;
  issuer_unit_id: string;
  issuer_name: string | null;
  status: SearchStatus;
  sent_at: Date | null;
  score: number;
  body: string;
}

/**
 * Documents containing every term of the query, best first. A term is a stretch of the query
 * without white space (segment.ts): 电子印章 finds documents where those four characters stand
 * together, not documents that merely contain them scattered.
 *
 * The hits fall in two parts (hitParts): those with a term in the short fields (title, 发文字号,
 * issuer), found through their GIN index and scored by those fields alone, and those whose terms
 * are all in the body only, found through the bodies' index and ordered by date. In RELEVANCE order
 * every hit of the first part comes before every hit of the second, so the second is read only when
 * the first does not fill the page: for a term most documents hold, a page reads no body but its own.
 */
export async function searchDocuments(pool: pg.Pool | pg.ClientBase, args: SearchArgs): Promise<Connection<SearchHit>> {
  const terms = searchTerms(args.query);
  const sort = args.sort ?? 'RELEVANCE';
  const o = ORDERS[sort];
  if (!o) refuse('VALIDATION_FAILED', '排序须为 RELEVANCE、NEWEST 或 OLDEST (sort)', { sort });
  const filters = filterOf(args);
  // A cursor belongs to one query, order and set of filters as one unit sees it; handed to another it is refused.
  const scope = `${CURSOR_SCOPE} ${JSON.stringify([terms.map((t) => t.pattern), args.visibleToUnitId ?? null, sort, filters])}`;
  const w = pageWindow(scope, CURSOR_KEY, args);
  const cursorValue = (c: CursorValue[] | null, name: 'after' | 'before') => {
    if (c === null) return null;
    const value = String(c[0]);
    const valid = o.column === 'score' ? Number.isFinite(Number(value)) : !Number.isNaN(Date.parse(value));
    if (!valid) refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor)', { [name]: args[name] });
    return { value, documentId: String(c[1]) };
  };
  const after = cursorValue(w.after, 'after');
  const before = cursorValue(w.before, 'before');
  const dir = (desc: boolean) => (desc !== w.backward ? 'DESC' : 'ASC');
  const order = `${o.column} ${dir(o.desc)}, document_id ${dir(o.idDesc)}`;
  // "Later in the list": past the cursor in the sort column, or level with it and past it in the id.
  const bound = (params: unknown[], c: { value: string; documentId: string }, later: boolean) => {
    params.push(c.value, c.documentId);
    const [v, d] = [`$${params.length - 1}::${o.type}`, `$${params.length}::text`];
    const col = later === o.desc ? '<' : '>';
    const id = later === o.idDesc ? '<' : '>';
    return `(${o.column} ${col} ${v} OR (${o.column} = ${v} AND document_id ${id} ${d}))`;
  };
  const { head, body } = hitParts(terms, args.visibleToUnitId ?? null, filters);
  /** The hits of `parts` within the cursors, in the page's order, at most `limit`, with what the page shows. */
  const pageOf = async (db: pg.ClientBase, parts: readonly HitPart[], limit: number) => {
    const params: unknown[] = [];
    const union = parts.map((part) => `(${part(params)})`).join(' UNION ALL ');
    const window = [...(after ? [bound(params, after, true)] : []), ...(before ? [bound(params, before, false)] : [])];
    params.push(limit);
    const { rows } = await db.query<HitRow>(
      `WITH page AS (
         SELECT document_id, score, sort_at FROM (${union}) hits
          ${window.length > 0 ? `WHERE ${window.join(' AND ')}` : ''}
          ORDER BY ${order}
          LIMIT $${params.length}
       )
       SELECT d.document_id, d.title, d.doc_number, d.doc_type, d.urgency, d.signed_off_at, d.issuer_unit_id, u.names[1] AS issuer_name, d.status, d.sent_at, p.score, p.sort_at, b.body
         FROM page p
         JOIN search_documents d USING (document_id)
         JOIN search_bodies b USING (document_id)
         LEFT JOIN search_units u ON u.unit_id = d.issuer_unit_id
        ORDER BY ${order.replace(o.column, `p.${o.column}`).replace('document_id', 'p.document_id')}`,
      params,
    );
    return rows;
  };
  const { rows, other } = await withoutSequentialScans(pool, async (db) => {
    let rows: HitRow[];
    if (sort === 'RELEVANCE') {
      // Every short-field hit scores 1 or more, every body-only hit less than 1: the part nearer the
      // page's start is read first, the other only for the rest of the page.
      const [near, far] = w.backward ? [body, head] : [head, body];
      rows = await pageOf(db, [near], w.size + 1);
      if (rows.length <= w.size) rows = rows.concat(await pageOf(db, [far], w.size + 1 - rows.length));
    } else {
      rows = await pageOf(db, [head, body], w.size + 1);
    }
    // Whether hits lie the other way than the page is read: at or before `after`, at or after `before`.
    const beyond = w.backward ? before : after;
    let other = false;
    if (beyond) {
      const params: unknown[] = [];
      const union = `(${head(params)}) UNION ALL (${body(params)})`;
      const { rows: found } = await db.query(`SELECT 1 FROM (${union}) hits WHERE NOT ${bound(params, beyond, !w.backward)} LIMIT 1`, params);
      other = found.length > 0;
    }
    return { rows, other };
  });
  const more = rows.length > w.size;
  const kept = rows.slice(0, w.size);
  if (w.backward) kept.reverse();
  // The score goes as text: a JavaScript number prints as the shortest string that reads back to the
  // same float8. A date goes as its ISO text (the events' times carry milliseconds, as JavaScript does).
  const cursors = kept.map((r) => encodeCursor(scope, [o.column === 'score' ? String(r.score) : r.sort_at.toISOString(), r.document_id]));
  return {
    items: kept.map((r) => ({
      documentId: r.document_id,
      title: r.title,
      docNumber: r.doc_number,
      docType: r.doc_type,
      urgency: r.urgency,
      issuerUnitId: r.issuer_unit_id,
      issuerName: r.issuer_name ?? '',
      status: r.status,
      sentAt: r.sent_at?.toISOString() ?? null,
      writtenAt: r.signed_off_at?.toISOString() ?? null,
      score: r.score,
      titleHighlights: locate(r.title, terms),
      ...snippet(r.body, terms),
    })),
    cursors,
    startCursor: cursors[0] ?? null,
    endCursor: cursors.at(-1) ?? null,
    hasNextPage: w.backward ? other : more,
    hasPreviousPage: w.backward ? more : other,
    // Counted only when asked for (it reads every hit of both parts, which a page never needs).
    totalCount: () =>
      withoutSequentialScans(pool, async (db) => {
        const params: unknown[] = [];
        const { rows: n } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ((${head(params)}) UNION ALL (${body(params)})) hits`, params);
        return n[0]!.n;
      }),
  };
}

/** A part of the hits as a SELECT of (document_id, sort_at, score), its values appended to `params`. */
type HitPart = (params: unknown[]) => string;

/**
 * The hits' two parts, disjoint. `head`: some term occurs in the title, 发文字号 or issuer's name
 * (found through search_documents_head); the score's whole part counts the terms found in the title
 * or 发文字号 (each worth more than all terms found in the issuer's name) and in the issuer's name,
 * so it is at least 1. `body`: every term occurs in the body only (found through search_bodies_tsv);
 * the score has no whole part. The fraction, in [0, 1), is the document's date (sort_at) scaled: among
 * equal counts the newest comes first. Neither reads a body's text to score it.
 *
 * A term the index decides exactly (QueryTerm.exact) needs no canonical text where the tsvector is
 * complete; any other is checked by the canonical text, a body's only where the short fields miss.
 */
function hitParts(terms: readonly QueryTerm[], visibleToUnitId: string | null, filters: SearchFilters): { head: HitPart; body: HitPart } {
  const common = (params: unknown[]) => {
    const p = (v: unknown, type: string) => {
      params.push(v);
      return `$${params.length}::${type}`;
    };
    const each = terms.map((t) => ({ term: t, pattern: p(t.pattern, 'text') }));
    const inHead = each.map((e) => `(strpos(d.match_title, ${e.pattern}) > 0 OR strpos(d.match_number, ${e.pattern}) > 0)`);
    const inIssuer = each.map((e) => `strpos(d.match_issuer, ${e.pattern}) > 0`);
    const unit = visibleToUnitId === null ? null : p(visibleToUnitId, 'text');
    const visible = unit === null ? [] : [`(d.issuer_unit_id = ${unit} OR d.recipient_unit_ids @> ARRAY[${unit}])`];
    return { each, inHead, inIssuer, conditions: [...visible, ...filterConditions(filters, params)], p };
  };
  const recency = `(extract(epoch FROM d.sort_at)::float8 / ${RECENCY_SCALE})`;
  const count = (hits: string[]) => hits.map((h) => `(${h})::int`).join(' + ');
  const head: HitPart = (params) => {
    const { each, inHead, inIssuer, conditions, p } = common(params);
    const anyTerm = p(terms.map((t) => `(${termQuery(t)})`).join(' | '), 'tsquery');
    // A term missing from the short fields must be in the body, read by primary key for these rows
    // only: a scalar subquery, which PostgreSQL never turns into a hashed one over every body (an
    // EXISTS here became a sequential scan detoasting all 9,148 bodies of the bench ledger).
    const found = each.map((e, i) => {
      const inBody = e.term.exact ? `b.body_tsv @@ ${p(termQuery(e.term), 'tsquery')} OR (NOT b.complete AND strpos(b.match_body, ${e.pattern}) > 0)` : `strpos(b.match_body, ${e.pattern}) > 0`;
      return `(${inHead[i]} OR ${inIssuer[i]} OR COALESCE((SELECT ${inBody} FROM search_bodies b WHERE b.document_id = d.document_id), false))`;
    });
    return `SELECT d.document_id, d.sort_at, (${count(inHead)}) * ${terms.length + 1} + (${count(inIssuer)}) + ${recency} AS score
      FROM search_documents d
     WHERE ${HEAD_TSV} @@ ${anyTerm}
       AND (${[...inHead, ...inIssuer].join(' OR ')})
       AND ${[...found, ...conditions].join(' AND ')}`;
  };
  const body: HitPart = (params) => {
    const { each, inHead, inIssuer, conditions, p } = common(params);
    const allTerms = p(terms.map((t) => `(${termQuery(t)})`).join(' & '), 'tsquery');
    // A complete body's tsvector decides an exact term; anything else, the canonical text.
    const inBody = each.map((e) => (e.term.exact ? `(b.complete OR strpos(b.match_body, ${e.pattern}) > 0)` : `strpos(b.match_body, ${e.pattern}) > 0`));
    return `SELECT d.document_id, d.sort_at, ${recency} AS score
      FROM search_bodies b
      JOIN search_documents d USING (document_id)
     WHERE b.document_id IN (SELECT document_id FROM search_bodies WHERE body_tsv @@ ${allTerms} UNION ALL SELECT document_id FROM search_bodies WHERE NOT complete)
       AND NOT (${[...inHead, ...inIssuer].join(' OR ')})
       AND ${[...inBody, ...conditions].join(' AND ')}`;
  };
  return { head, body };
}

/**
 * The search, in a read-only transaction of its own with sequential scans priced out. For a common
 * term (通知, in 60 % of the bench ledger's 9,090 bodies) the planner reads search_bodies
 * sequentially: its estimate takes a tsvector match as cheap, not the detoasting of every body's
 * tsvector that the match needs, and chose 430 ms of sequential scan over 8 ms through the GIN
 * index (EXPLAIN ANALYZE). Repeatable read: a page's two parts and its probe see one state of the
 * projection. Given a client (a caller's transaction), the search runs on it as is.
 */
async function withoutSequentialScans<T>(db: pg.Pool | pg.ClientBase, search: (db: pg.ClientBase) => Promise<T>): Promise<T> {
  return 'idleCount' in db ? inTransaction(db, search, 'BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ; SET LOCAL enable_seqscan = off') : search(db);
}

/** The filters as given, checked: a date that does not parse, or a range that ends before it starts, is refused. */
function filterOf(args: SearchFilters): SearchFilters {
  const f: SearchFilters = {};
  if (args.docType !== undefined) f.docType = args.docType;
  if (args.urgency !== undefined) f.urgency = args.urgency;
  if (args.classification !== undefined) f.classification = args.classification;
  if (args.direction !== undefined) f.direction = args.direction;
  if (args.issuerUnitId !== undefined) f.issuerUnitId = args.issuerUnitId;
  if (args.dates && (args.dates.from !== undefined || args.dates.to !== undefined)) {
    const { from, to } = args.dates;
    for (const [name, t] of [['from', from], ['to', to]] as const) {
      if (t !== undefined && Number.isNaN(Date.parse(t))) refuse('VALIDATION_FAILED', `日期范围的${name === 'from' ? '起点' : '终点'}不是有效时间 (${name} is not a time)`, { [name]: t });
    }
    if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to)) {
      refuse('VALIDATION_FAILED', '日期范围的终点须晚于起点 (to must be later than from)', { from, to });
    }
    f.dates = { field: args.dates.field, ...(from !== undefined && { from: new Date(from).toISOString() }), ...(to !== undefined && { to: new Date(to).toISOString() }) };
  }
  return f;
}

/** Each filter as a condition over `d` (search_documents), its values appended to `params`. */
function filterConditions(f: SearchFilters, params: unknown[]): string[] {
  const out: string[] = [];
  const param = (v: unknown, type: string) => {
    params.push(v);
    return `$${params.length}::${type}`;
  };
  if (f.docType !== undefined) out.push(`d.doc_type = ${param(f.docType, 'text')}`);
  if (f.urgency !== undefined) out.push(`d.urgency = ${param(f.urgency, 'text')}`);
  if (f.classification !== undefined) out.push(`d.classification = ${param(f.classification, 'text')}`);
  if (f.issuerUnitId !== undefined) out.push(`d.issuer_unit_id = ${param(f.issuerUnitId, 'text')}`);
  if (f.direction) {
    const unit = param(f.direction.unitId, 'text');
    out.push(f.direction.side === 'SENT' ? `d.issuer_unit_id = ${unit}` : `d.recipient_unit_ids @> ARRAY[${unit}]`);
  }
  if (f.dates) {
    const column = `d.${DATE_COLUMNS[f.dates.field]}`;
    if (f.dates.from !== undefined) out.push(`${column} >= ${param(f.dates.from, 'timestamptz')}`);
    if (f.dates.to !== undefined) out.push(`${column} < ${param(f.dates.to, 'timestamptz')}`);
  }
  return out;
}

const isSpace = (ch: string) => /\s/u.test(ch);

/**
 * A window of the body around the first hit, with every hit inside it highlighted. ts_headline
 * cannot do this for bigram vectors (it re-parses the text with a parser that knows no Chinese).
 */
export function snippet(body: string, terms: readonly Pick<QueryTerm, 'pattern'>[]): { snippet: string; snippetHighlights: Range[] } {
  const hits = locate(body, terms);
  const first = hits[0];
  let start = first ? Math.max(0, first.start - SNIPPET_LEAD) : 0;
  let end = Math.min(body.length, Math.max(start + SNIPPET_LENGTH, first?.end ?? 0));
  // Never cut a surrogate pair in two.
  if (start > 0 && /[\udc00-\udfff]/.test(body[start]!)) start--;
  if (end < body.length && /[\udc00-\udfff]/.test(body[end]!)) end++;
  // Copy the window with whitespace runs (line breaks, 　　 indents) folded into one space,
  // carrying each highlight's boundaries into the folded text.
  const inWindow = hits.filter((h) => h.end > start && h.start < end).map((h) => ({ start: Math.max(h.start, start), end: Math.min(h.end, end) }));
  const mapped: Range[] = inWindow.map(() => ({ start: -1, end: -1 }));
  let out = start > 0 ? '…' : '';
  let pendingSpace = false;
  for (let i = start; i <= end; i++) {
    for (let k = 0; k < inWindow.length; k++) {
      if (inWindow[k]!.start === i) {
        if (pendingSpace && out !== '' && out !== '…') out += ' ';
        pendingSpace = false;
        mapped[k]!.start = out.length;
      }
      if (inWindow[k]!.end === i) mapped[k]!.end = out.length;
    }
    if (i === end) break;
    const ch = body[i]!;
    if (isSpace(ch)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace && out !== '' && out !== '…') out += ' ';
    pendingSpace = false;
    out += ch;
  }
  if (end < body.length) out += '…';
  return { snippet: out, snippetHighlights: mapped };
}
