import { refuse } from '../../src/domain/refusal.ts';

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

export function decodeCursor(scope: string, cursor: string, shape: CursorShape): CursorValue[] {
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
  if (!valid) {
    refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor: use the endCursor of a page of this same list)', { after: cursor });
  }
  return (parsed as CursorValue[]).slice(1);
}

export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    refuse('VALIDATION_FAILED', `每页条数须为 1 至 ${MAX_PAGE_SIZE} 之间的整数 (first must be an integer from 1 to ${MAX_PAGE_SIZE})`, { first });
  }
  return first;
}

/** Turns `size + 1` fetched rows into a page: the extra row only tells that a next page exists. */
export function toPage<R, T>(rows: readonly R[], size: number, item: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const kept = rows.slice(0, size);
  const last = kept.at(-1);
  return { items: kept.map(item), endCursor: last === undefined ? null : cursorOf(last), hasNextPage: rows.length > size };
}
