import type pg from 'pg';
import { refuse } from '../../src/domain/refusal.ts';
import { prepared } from './prepared.ts';

/**
 * Keyset (cursor) pagination shared by the read models. A cursor is the sort key of the last row
 * of a page, so the next page starts strictly after it: rows inserted or moved meanwhile never make
 * a page repeat or skip a row that stayed put, which an OFFSET would. The cursor names the list it
 * belongs to, so a cursor from one list handed to another is refused instead of silently misread.
 */

export type CursorValue = string | number;
export type CursorShape = readonly ('string' | 'number')[];

export interface Page<T> {
  items: T[];
  /** The cursor of the last item (pass it as `after` for the next page); null on an empty page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

export const MAX_PAGE_SIZE = 100;

export function encodeCursor(scope: string, values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([scope, ...values]), 'utf8').toString('base64url');
}

export function decodeCursor(scope: string, cursor: string, shape: CursorShape, argument: 'after' | 'before' = 'after'): CursorValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length === shape.length + 1 &&
    parsed[0] === scope &&
    shape.every((kind, i) => {
      const v: unknown = parsed[i + 1];
      return kind === 'number' ? Number.isSafeInteger(v) : typeof v === 'string';
    });
  if (!valid) invalidCursor(cursor, argument);
  return (parsed as CursorValue[]).slice(1);
}

function invalidCursor(cursor: string, argument: 'after' | 'before'): never {
  return refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor: use a cursor of a page of this same list)', { [argument]: cursor });
}

export function pageSize(first: number, argument: 'first' | 'last' = 'first'): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    refuse('VALIDATION_FAILED', `每页条数须为 1 至 ${MAX_PAGE_SIZE} 之间的整数 (${argument} must be an integer from 1 to ${MAX_PAGE_SIZE})`, { [argument]: first });
  }
  return first;
}

/** Turns `size + 1` fetched rows into a page: the extra row only tells that a next page exists. */
export function toPage<R, T>(rows: readonly R[], size: number, item: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const kept = rows.slice(0, size);
  const last = kept.at(-1);
  return { items: kept.map(item), endCursor: last === undefined ? null : cursorOf(last), hasNextPage: rows.length > size };
}

// ---- Relay connections in both directions ----

/** The page size when a list is asked without `first` or `last` (the SDL repeats it as the default of `first`). */
export const DEFAULT_PAGE_SIZE = 20;

/** Relay's page arguments: `first` rows after `after`, or the `last` rows before `before`. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A page as a Relay connection: every item with its own cursor, both ends, both directions, and the list's size. */
export interface Connection<T> {
  items: T[];
  cursors: string[];
  startCursor: string | null;
  endCursor: string | null;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Counted only when asked for (GraphQL calls it when the query selects totalCount). */
  totalCount: () => Promise<number>;
}

export type KeyType = 'smallint' | 'int' | 'bigint' | 'text' | 'uuid' | 'timestamptz';

/** One column of a sort key, in the order of the index that serves it, ascending. */
export interface KeyColumn {
  sql: string;
  type: KeyType;
}

export interface PageWindow {
  size: number;
  /** `last`: the page is read from the end, against the key order, and turned round. */
  backward: boolean;
  after: CursorValue[] | null;
  before: CursorValue[] | null;
}

const shapeOf = (key: readonly KeyColumn[]): CursorShape => key.map((k) => (k.type === 'text' || k.type === 'uuid' || k.type === 'timestamptz' ? 'string' : 'number'));

/**
 * Reads Relay's arguments: `first` and `last` together are refused (the answer would depend on an
 * order the client cannot see); neither means the first DEFAULT_PAGE_SIZE rows. `after` and
 * `before` may be given together (the rows between two cursors).
 */
export function pageWindow(scope: string, key: readonly KeyColumn[], args: PageArgs): PageWindow {
  if (args.first != null && args.last != null) {
    refuse('VALIDATION_FAILED', '不能同时指定 first 与 last：向后翻页用 first/after，向前翻页用 last/before (give first or last, not both)', { first: args.first, last: args.last });
  }
  const backward = args.last != null;
  const size = backward ? pageSize(args.last!, 'last') : pageSize(args.first ?? DEFAULT_PAGE_SIZE);
  const shape = shapeOf(key);
  const read = (cursor: string, argument: 'after' | 'before') => {
    const values = decodeCursor(scope, cursor, shape, argument);
    // A forged uuid or time would otherwise reach PostgreSQL as a cast error (an INTERNAL_ERROR).
    if (!values.every((v, i) => wellFormed(key[i]!.type, v))) invalidCursor(cursor, argument);
    return values;
  };
  return {
    size,
    backward,
    after: args.after != null ? read(args.after, 'after') : null,
    before: args.before != null ? read(args.before, 'before') : null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const wellFormed = (type: KeyType, v: CursorValue): boolean =>
  type === 'uuid' ? UUID.test(String(v)) : type === 'timestamptz' ? !Number.isNaN(Date.parse(String(v))) : true;

const tuple = (key: readonly KeyColumn[]) => `(${key.map((k) => k.sql).join(', ')})`;

/** `(k1, k2, …) op ($i::t1, $j::t2, …)`, its values appended to `params`. */
export function compare(key: readonly KeyColumn[], op: string, values: readonly CursorValue[], params: unknown[]): string {
  const placeholders = values.map((v, i) => {
    params.push(v);
    return `$${params.length}::${key[i]!.type}`;
  });
  return `${tuple(key)} ${op} (${placeholders.join(', ')})`;
}

export interface KeysetQuery<T> {
  scope: string;
  key: readonly KeyColumn[];
  /** The columns of an item (read with rowMode 'array'); the key columns are selected after them. */
  select: string;
  from: string;
  /** Conditions of the list itself, over `params`; the cursors' conditions are added to them. */
  where: readonly string[];
  params: readonly unknown[];
  item(row: any): T;
  /**
   * 'object': rows come as objects (the key columns must then be plain column names, read back by
   * name); 'array' (the default): positional, the key columns after the item's.
   */
  rowMode?: 'array' | 'object';
  /** The list runs against the key (the same index read backwards): a sort argument's other direction. */
  descending?: boolean;
  /**
   * The size of the list (without the cursors). Lists with a counter kept by their projection pass
   * it here; otherwise a count over the same conditions, an index range like the page itself.
   */
  count?: () => Promise<number>;
}

const keyValue = (v: unknown): CursorValue => (v instanceof Date ? v.toISOString() : (v as CursorValue));

/**
 * One page of a list ordered by an ascending key that an index serves, in either direction: the
 * page is a range scan from the cursor (never an OFFSET), `size + 1` rows telling whether more lie
 * that way. Whether rows lie the other way (before `after`, after `before`) is one more probe of a
 * single index entry, so pageInfo is exact in both directions.
 */
export async function keysetConnection<T>(db: pg.Pool | pg.ClientBase, q: KeysetQuery<T>, args: PageArgs): Promise<Connection<T>> {
  const w = pageWindow(q.scope, q.key, args);
  const params = [...q.params];
  const where = [...q.where];
  const down = q.descending === true;
  if (w.after) where.push(compare(q.key, down ? '<' : '>', w.after, params));
  if (w.before) where.push(compare(q.key, down ? '>' : '<', w.before, params));
  const direction = w.backward !== down ? ' DESC' : '';
  params.push(w.size + 1);
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const width = q.key.length;
  const objects = q.rowMode === 'object';
  const text = `SELECT ${q.select}, ${q.key.map((k) => k.sql).join(', ')} FROM ${q.from} ${whereSql}
      ORDER BY ${q.key.map((k) => k.sql + direction).join(', ')} LIMIT $${params.length}`;
  const { rows } = await db.query<any>({
    // Named columns only: a prepared `SELECT *` fails once its table gains a column.
    ...(q.select.includes('*') ? { text, values: params } : prepared(text, params)),
    ...(objects ? {} : { rowMode: 'array' as const }),
  });
  const more = rows.length > w.size;
  const kept = rows.slice(0, w.size);
  if (w.backward) kept.reverse();
  const keyOf = (r: any): unknown[] => (objects ? q.key.map((k) => r[k.sql]) : (r as unknown[]).slice(r.length - width));
  const cursors = kept.map((r: any) => encodeCursor(q.scope, keyOf(r).map(keyValue)));

  // The other way: is there a row at or before `after` (forward), at or after `before` (backward)?
  const beyond = w.backward ? w.before : w.after;
  let other = false;
  if (beyond) {
    const probeParams = [...q.params];
    const probe = [...q.where, compare(q.key, w.backward !== down ? '>=' : '<=', beyond, probeParams)];
    const { rowCount } = await db.query({ text: `SELECT 1 FROM ${q.from} WHERE ${probe.join(' AND ')} LIMIT 1`, values: probeParams });
    other = (rowCount ?? 0) > 0;
  }
  const totalCount =
    q.count ??
    (async () => {
      const { rows: n } = await db.query<{ n: number }>({ text: `SELECT count(*)::int AS n FROM ${q.from} ${q.where.length > 0 ? `WHERE ${q.where.join(' AND ')}` : ''}`, values: [...q.params] });
      return n[0]!.n;
    });
  return {
    items: kept.map((r: any) => q.item(r)),
    cursors,
    startCursor: cursors[0] ?? null,
    endCursor: cursors.at(-1) ?? null,
    hasNextPage: w.backward ? other : more,
    hasPreviousPage: w.backward ? more : other,
    totalCount,
  };
}
