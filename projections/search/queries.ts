import type pg from 'pg';
import { refuse } from '../../src/domain/refusal.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { encodeCursor, pageWindow, type Connection, type CursorValue, type KeyColumn } from '../shared/keyset.ts';
import type { SearchStatus } from './fold.ts';
import { locate, parseQuery, rankQuery, termQuery, type QueryTerm, type Range } from './segment.ts';

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
   * more than all terms found in the issuer's name) and in the issuer's name. The fraction, in
   * [0, 1), is the mean of ts_rank_cd of the terms as phrases over those short fields (weights A,
   * B) and n/(n+1) for n occurrences of the terms in the body. So a title hit always ranks above a
   * hit in the body only, however often the body repeats the term.
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
/** $1 … $4 of the query; the terms' tsqueries follow, then the cursors' values. */
const FIXED_PARAMS = 4;

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
 * Each term's candidates come from the GIN indexes (short fields, or body); the candidates of all
 * terms are intersected; then each candidate's canonical texts decide exactly whether every term
 * occurs, in which field, and how often.
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
  const patterns = terms.map((t) => t.pattern);
  const params: unknown[] = [patterns, rankQuery(terms), args.visibleToUnitId ?? null, w.size + 1, ...terms.map(termQuery)];
  const candidates = terms
    .map(
      (_, i) =>
        `(SELECT document_id FROM search_documents WHERE ${HEAD_TSV} @@ $${FIXED_PARAMS + 1 + i}::tsquery
          UNION SELECT document_id FROM search_bodies WHERE body_tsv @@ $${FIXED_PARAMS + 1 + i}::tsquery
          UNION SELECT document_id FROM search_bodies WHERE NOT complete)`,
    )
    .join(' INTERSECT ');
  const filterSql = filterConditions(filters, params);
  // "Later in the list": past the cursor in the sort column, or level with it and past it in the id.
  const bound = (c: { value: string; documentId: string }, later: boolean) => {
    params.push(c.value, c.documentId);
    const [v, d] = [`$${params.length - 1}::${o.type}`, `$${params.length}::text`];
    const col = later === o.desc ? '<' : '>';
    const id = later === o.idDesc ? '<' : '>';
    return `(${o.column} ${col} ${v} OR (${o.column} = ${v} AND document_id ${id} ${d}))`;
  };
  const window = [...(after ? [bound(after, true)] : []), ...(before ? [bound(before, false)] : [])];
  // Whether hits lie the other way than the page is read: at or before `after`, at or after `before`.
  const beyond = w.backward ? before : after;
  const otherSide = beyond ? `NOT ${bound(beyond, !w.backward)}` : 'false';
  const dir = (desc: boolean) => (desc !== w.backward ? 'DESC' : 'ASC');
  const order = `${o.column} ${dir(o.desc)}, document_id ${dir(o.idDesc)}`;
  const { rows } = await withoutSequentialScans(pool, (db) => db.query<HitRow & { total: number; other_side: boolean }>(
    `WITH candidates AS (${candidates}),
     scored AS MATERIALIZED (
       SELECT d.document_id, d.sort_at,
              m.head_hits * (cardinality($1::text[]) + 1) + m.issuer_hits
              + (ts_rank_cd(d.title_tsv || d.number_tsv || d.issuer_tsv, $2::tsquery, 32)::float8 + m.body_hits / (m.body_hits + 1)) / 2 AS score
         FROM candidates c
         JOIN search_documents d USING (document_id)
         JOIN search_bodies b USING (document_id)
         -- The body's canonical text, read (detoasted) once per candidate however many terms use it.
         CROSS JOIN LATERAL (SELECT b.match_body || '' AS text OFFSET 0) body
         CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE t.in_head)::float8 AS head_hits,
                  count(*) FILTER (WHERE t.in_issuer)::float8 AS issuer_hits,
                  sum(t.in_body)::float8 AS body_hits,
                  bool_and(t.in_head OR t.in_issuer OR t.in_body > 0) AS all_found
             FROM (SELECT strpos(d.match_title, p) > 0 OR strpos(d.match_number, p) > 0 AS in_head,
                          strpos(d.match_issuer, p) > 0 AS in_issuer,
                          (octet_length(body.text) - octet_length(replace(body.text, p, ''))) / octet_length(p) AS in_body
                     FROM unnest($1::text[]) p) t
         ) m
        WHERE m.all_found
          AND ($3::text IS NULL OR d.issuer_unit_id = $3 OR d.recipient_unit_ids @> ARRAY[$3::text])
          ${filterSql.map((f) => `AND ${f}`).join(' ')}
     ), page AS (
       SELECT document_id, score, sort_at FROM scored
        ${window.length > 0 ? `WHERE ${window.join(' AND ')}` : ''}
        ORDER BY ${order}
        LIMIT $4
     )
     SELECT d.document_id, d.title, d.doc_number, d.doc_type, d.urgency, d.signed_off_at, d.issuer_unit_id, u.names[1] AS issuer_name, d.status, d.sent_at, p.score, p.sort_at, b.body,
            (SELECT count(*)::int FROM scored) AS total,
            EXISTS (SELECT 1 FROM scored WHERE ${otherSide}) AS other_side
       FROM page p
       JOIN search_documents d USING (document_id)
       JOIN search_bodies b USING (document_id)
       LEFT JOIN search_units u ON u.unit_id = d.issuer_unit_id
      ORDER BY ${order.replace(o.column, `p.${o.column}`).replace('document_id', 'p.document_id')}`,
    params,
  ));
  const more = rows.length > w.size;
  const kept = rows.slice(0, w.size);
  if (w.backward) kept.reverse();
  // An empty page carries no counts; the hits are counted apart only then.
  const total = rows[0]?.total ?? null;
  const other = rows[0]?.other_side ?? false;
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
    totalCount: async () => total ?? (w.after || w.before ? (await searchDocuments(pool, { ...args, after: null, before: null, last: null, first: 1 })).totalCount() : 0),
  };
}

/**
 * The search, in a read-only transaction of its own with sequential scans priced out. For a common
 * term (通知, in 60 % of the bench ledger's 9,090 bodies) the planner reads search_bodies
 * sequentially: its estimate takes a tsvector match as cheap, not the detoasting of every body's
 * tsvector that the match needs, and chose 430 ms of sequential scan over 8 ms through the GIN
 * index (EXPLAIN ANALYZE). Given a client (a caller's transaction), the search runs on it as is.
 */
async function withoutSequentialScans<T>(db: pg.Pool | pg.ClientBase, search: (db: pg.ClientBase) => Promise<T>): Promise<T> {
  return 'idleCount' in db ? inTransaction(db, search, 'BEGIN READ ONLY; SET LOCAL enable_seqscan = off') : search(db);
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
