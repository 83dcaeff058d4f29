import type pg from 'pg';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
import type { IssuingRow } from './fold.ts';
import { ISSUING_COLUMNS, issuingFromArray } from './store.ts';

/** A document on a work list, as the API shows it. Times are ISO 8601 in UTC. */
export type IssuingItem = IssuingRow;

/**
 * The issuing work lists. Each is one range of a partial index of issuing_documents (indexes.sql):
 * - drafts: a drafter's own documents in drafting (起草中);
 * - awaitingSignOff: the unit's documents in drafting, which any of its leaders may sign (待签发);
 * - awaitingSealing: signed off, awaiting the unit's seal keeper (待盖章);
 * - awaitingSending: sealed, awaiting the clerk's sending (待核发).
 * The stage is written into the SQL (never a parameter) so the planner matches the partial index.
 */
export type IssuingList = 'drafts' | 'awaitingSignOff' | 'awaitingSealing' | 'awaitingSending';

const STAGE: Record<IssuingList, string> = { drafts: 'drafted', awaitingSignOff: 'drafted', awaitingSealing: 'signed_off', awaitingSending: 'sealed' };

/**
 * Order: urgency (特急 first), then the longest waiting in its stage first, then documentId (the
 * order is total, so a cursor lands on exactly one place).
 */
const KEY: readonly KeyColumn[] = [
  { sql: 'urgency_rank', type: 'smallint' },
  { sql: 'stage_rank', type: 'bigint' },
  { sql: 'document_id', type: 'text' },
];

export interface IssuingListOptions {
  list: IssuingList;
  unitId: string;
  /** drafts: whose drafts. */
  userId: string;
}

export function issuingWorkList(pool: pg.Pool, opts: IssuingListOptions, page: PageArgs): Promise<Connection<IssuingItem>> {
  const where = [`issuer_unit_id = $1`, `stage = '${STAGE[opts.list]}'`];
  const params: unknown[] = [opts.unitId];
  if (opts.list === 'drafts') {
    params.push(opts.userId);
    where.push(`drafted_by = $2`);
  }
  return keysetConnection(pool, { scope: `issuing:${opts.list}`, key: KEY, select: ISSUING_COLUMNS, from: 'issuing_documents', where, params, item: issuingFromArray }, page);
}

export interface IssuingCounts {
  drafts: number;
  awaitingSignOff: number;
  awaitingSealing: number;
  awaitingSending: number;
}

/** The issuing badge numbers of a unit (drafts: the user's own): one scan of the unit's open documents. */
export async function issuingCounts(pool: pg.Pool, unitId: string, userId: string): Promise<IssuingCounts> {
  const { rows } = await pool.query<IssuingCounts>(
    `SELECT count(*) FILTER (WHERE stage = 'drafted' AND drafted_by = $2)::int AS "drafts",
            count(*) FILTER (WHERE stage = 'drafted')::int AS "awaitingSignOff",
            count(*) FILTER (WHERE stage = 'signed_off')::int AS "awaitingSealing",
            count(*) FILTER (WHERE stage = 'sealed')::int AS "awaitingSending"
       FROM issuing_documents WHERE issuer_unit_id = $1 AND stage IN ('drafted', 'signed_off', 'sealed')`,
    [unitId, userId],
  );
  return rows[0]!;
}
