import { SYSTEM_ACTOR } from '../app/authorization.ts';
import type { CommandDeps } from '../app/commands/deps.ts';
import { streams } from '../domain/streams.ts';
import { ConcurrencyError, type RecordedEvent } from '../eventstore/port.ts';
import type { Supervision } from './supervision.ts';
import { beijingTime } from './calendar.ts';

export interface DailyCheck {
  day: string;
  unsignedByUnit: { unitId: string; unsigned: number; overdue: number }[];
  clerksWithoutSignIn: { userId: string; unitId: string }[];
}

/**
 * 每日检查 of one working day, as the read models show it now: the units with deliveries still
 * unsigned at the close (and how many of them past their deadline), and the active clerks with no
 * sign-in that day (「每个工作日及时登录系统查收电子公文」).
 */
export async function computeDailyCheck(deps: Pick<CommandDeps, 'pool' | 'now'> & { supervision: Supervision }, day: string): Promise<DailyCheck> {
  const close = new Date(Math.min(deps.now().getTime(), beijingTime(day, deps.supervision.calendar.spans.at(-1)!.end)));
  const unsigned = await deps.pool.query<{ unit_id: string; unsigned: number; overdue: number }>(
    `SELECT unit_id, count(*)::int AS unsigned, count(*) FILTER (WHERE sign_due_at < $1)::int AS overdue
       FROM supervision_deliveries
      WHERE delivered_at <= $1
        -- As the day closed: a check run late (a server down overnight) does not count later receipts.
        AND (received_at IS NULL OR received_at > $1) AND (returned_at IS NULL OR returned_at > $1) AND (withdrawn_at IS NULL OR withdrawn_at > $1)
      GROUP BY unit_id ORDER BY unit_id`,
    [close],
  );
  const clerks = await deps.pool.query<{ user_id: string; unit_id: string }>(
    `SELECT u.user_id, u.unit_id FROM directory_users u
      WHERE u.active AND 'CLERK' = ANY (u.roles) AND u.registered_at <= $2
        AND NOT EXISTS (SELECT 1 FROM supervision_sign_ins s WHERE s.user_id = u.user_id AND s.day = $1::date)
      ORDER BY u.unit_id, u.user_id`,
    [day, close],
  );
  return {
    day,
    unsignedByUnit: unsigned.rows.map((r) => ({ unitId: r.unit_id, unsigned: r.unsigned, overdue: r.overdue })),
    clerksWithoutSignIn: clerks.rows.map((r) => ({ userId: r.user_id, unitId: r.unit_id })),
  };
}

/** Records the day's check once (`dailycheck-<day>`): a second run, here or on another server, adds nothing. */
export async function recordDailyCheck(deps: CommandDeps & { supervision: Supervision }, day: string): Promise<RecordedEvent | null> {
  const existing = await deps.store.readStream(streams.dailyCheck(day));
  if (existing.revision !== null) return null;
  const check = await computeDailyCheck(deps, day);
  try {
    const result = await deps.store.append(
      streams.dailyCheck(day),
      [{ type: 'DailyCheckRecorded', data: { ...check, policyVersion: deps.supervision.policy.version, calendarVersion: deps.supervision.calendar.version, checkedAt: deps.now().toISOString() } }],
      { expectedRevision: 'no_stream', commandId: `daily-check:${day}`, actor: SYSTEM_ACTOR },
    );
    return result.duplicate ? null : result.events[0]!;
  } catch (error) {
    if (error instanceof ConcurrencyError) return null;
    throw error;
  }
}
