import type pg from 'pg';
import type { InboxRow, InboxStatus } from './inbox-row.ts';

/**
 * inbox_counts holds the number of copies per (unit, status), and per (unit, assignee, status) for
 * the 待办/已办 of each person. It is kept by deltas in apply rather than answered by a GROUP BY:
 * the badge numbers are read on every page a clerk opens, and the 已办 bucket only ever grows (a
 * busy unit files tens of thousands of copies a year), so counting it at read time gets slower
 * every year, while apply already holds each touched copy before and after the batch and gets the
 * delta for free. The runner applies batches one at a time per projection, so the counters are
 * never contended. Rows whose count falls to zero are deleted, so the table holds the same rows
 * however the events were batched (a rebuild equals the incremental build).
 */

/** `user_id` of the unit-wide counts: a real user id is never empty (schemas/common.ts Actor). */
export const WHOLE_UNIT = '';

export interface CountDelta {
  unitId: string;
  userId: string;
  status: InboxStatus;
  delta: number;
}

type Counted = Pick<InboxRow, 'unitId' | 'status' | 'assigneeUserId'>;

/** The net change of every counter between the rows before and after a batch; zero changes are left out. */
export function countDeltas(changes: Iterable<{ before: Counted | undefined; after: Counted }>): CountDelta[] {
  const deltas = new Map<string, CountDelta>();
  const add = (unitId: string, userId: string, status: InboxStatus, by: number) => {
    const key = JSON.stringify([unitId, userId, status]);
    const d = deltas.get(key);
    if (d) d.delta += by;
    else deltas.set(key, { unitId, userId, status, delta: by });
  };
  const count = (row: Counted, by: number) => {
    add(row.unitId, WHOLE_UNIT, row.status, by);
    if (row.assigneeUserId !== null) add(row.unitId, row.assigneeUserId, row.status, by);
  };
  for (const { before, after } of changes) {
    if (before) count(before, -1);
    count(after, +1);
  }
  return [...deltas.values()].filter((d) => d.delta !== 0);
}

// The deltas travel as positional arrays [unitId, userId, status, delta] (see shared/bulk-upsert.ts).
const ADD = `INSERT INTO inbox_counts (unit_id, user_id, status, n)
  SELECT e->>0, e->>1, e->>2, (e->>3)::int FROM jsonb_array_elements($1::jsonb) AS e
  ON CONFLICT (unit_id, user_id, status) DO UPDATE SET n = inbox_counts.n + EXCLUDED.n`;

const DROP_EMPTY = `DELETE FROM inbox_counts c
  USING jsonb_array_elements($1::jsonb) AS e
  WHERE c.unit_id = e->>0 AND c.user_id = e->>1 AND c.status = e->>2 AND c.n <= 0
  RETURNING c.unit_id, c.user_id, c.status, c.n`;

const positional = (deltas: readonly CountDelta[]) => JSON.stringify(deltas.map((d) => [d.unitId, d.userId, d.status, d.delta]));

export async function writeCountDeltas(tx: pg.ClientBase, deltas: readonly CountDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await tx.query(ADD, [positional(deltas)]);
  // Only a decrement can bring a counter to zero.
  const decremented = deltas.filter((d) => d.delta < 0);
  if (decremented.length === 0) return;
  const { rows } = await tx.query<{ unit_id: string; user_id: string; status: string; n: number }>(DROP_EMPTY, [positional(decremented)]);
  const negative = rows.filter((r) => r.n < 0);
  // A count below zero means a copy was counted out of a status it was never counted in: a bug in
  // the fold, to be seen at once (the batch rolls back) rather than shown as a badge.
  if (negative.length > 0) throw new Error(`inbox: negative counts ${JSON.stringify(negative)}`);
}
