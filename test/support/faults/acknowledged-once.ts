import type pg from 'pg';

/** What a fault scenario's client was told: the command and the events its answer named. */
export interface Acknowledged {
  commandId: string;
  eventIds: string[];
}

/**
 * The ledger's promise under a fault: every acknowledged command is in the ledger once, with the
 * events its answer named, and no command of the scenario (`commandPrefix`) is there unacknowledged.
 * Returns the problems found, in words.
 */
export async function acknowledgedOnce(pool: pg.Pool, commandPrefix: string, outcomes: readonly Acknowledged[]): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await pool.query<{ command_id: string; event_ids: string[] }>(
    `SELECT command_id, array_agg(event_id::text ORDER BY global_position) AS event_ids FROM events WHERE command_id LIKE $1 GROUP BY command_id`,
    [`${commandPrefix}%`],
  );
  const stored = new Map(rows.map((r) => [r.command_id, r.event_ids]));
  const seen = new Set<string>();
  for (const out of outcomes) {
    if (seen.has(out.commandId)) problems.push(`${out.commandId} acknowledged twice`);
    seen.add(out.commandId);
    const ids = stored.get(out.commandId);
    if (!ids) problems.push(`${out.commandId} acknowledged but not in the ledger`);
    else if (ids.join() !== out.eventIds.join()) problems.push(`${out.commandId}: the answer named events ${out.eventIds.join()} but the ledger holds ${ids.join()}`);
  }
  for (const commandId of stored.keys()) if (!seen.has(commandId)) problems.push(`${commandId} is in the ledger but was never acknowledged`);
  return problems;
}
