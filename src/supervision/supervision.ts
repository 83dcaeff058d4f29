import type { Config } from '../config/config.ts';
import type { CommandDeps } from '../app/commands/deps.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { WorkingCalendar } from './calendar.ts';
import { loadPolicy, type DeadlinePolicy } from './policy.ts';
import { deliveriesToReview, reviewDeliveries, reviewDelivery } from './review.ts';
import { recordDailyCheck } from './daily-check.ts';
import { beijingDay } from './calendar.ts';
import { deliverNotification, NOTIFY_JOB, queuePending, type Notifier } from './reminders.ts';

/** The supervision rules in force: the working-day calendar and the deadline policy. */
export interface Supervision {
  calendar: WorkingCalendar;
  policy: DeadlinePolicy;
}

/** Loads the calendar and the policy file; a bad policy stops start-up with the field named. */
export function loadSupervision(config: Pick<Config, 'GONGWEN_OFFICE_HOURS' | 'GONGWEN_DEADLINE_POLICY'>): Supervision {
  return { calendar: new WorkingCalendar(config.GONGWEN_OFFICE_HOURS), policy: loadPolicy(config.GONGWEN_DEADLINE_POLICY) };
}

export const SCAN_JOB = 'supervision-scan';
export const REVIEW_JOB = 'supervision-review';
export const DAILY_CHECK_JOB = 'supervision-daily-check';
/** Deliveries a scan asks the read model for at a time. */
const SCAN_BATCH = 500;
/** Deliveries reviewed in one step (one append batch, one timer insert). */
const REVIEW_STEP = 100;
/**
 * How long the every-minute scan job reviews before it leaves the rest to the next minute's: a
 * backlog (a ledger opened on a year never reviewed) is worked through in steps that end before
 * the next scan is due, so scans neither run past pg-boss's expiry nor queue up behind each other.
 */
export const SCAN_JOB_BUDGET_MS = 45_000;

type Deps = CommandDeps & { supervision: Supervision };

/**
 * One scan: every delivery that changed or whose warning moment has come is reviewed, a step of
 * deliveries at a time (reviewDeliveries), and a per-item timer (a pg-boss job starting at that
 * moment, one per delivery and moment) is set for the next moment of each. Stops once nothing is
 * due, or after the first step that ends past `budgetMs`. Returns how many deliveries were reviewed.
 */
export async function scanDeadlines(deps: Deps, jobs?: JobQueue, budgetMs = Number.POSITIVE_INFINITY): Promise<number> {
  const started = performance.now();
  let reviewed = 0;
  for (;;) {
    const due = await deliveriesToReview(deps.pool, deps.now(), SCAN_BATCH);
    for (let i = 0; i < due.length; i += REVIEW_STEP) {
      const reviews = await reviewDeliveries(deps, due.slice(i, i + REVIEW_STEP), jobs);
      if (jobs?.started) {
        await jobs.sendMany(
          REVIEW_JOB,
          reviews
            .filter((r) => r.nextCheckAt !== null)
            .map(({ documentId, unitId, nextCheckAt }) => ({ data: { documentId, unitId }, startAfter: new Date(nextCheckAt!), singletonKey: `${documentId}.${unitId}@${nextCheckAt}` })),
        );
      }
      reviewed += reviews.length;
      if (performance.now() - started > budgetMs) return reviewed;
    }
    if (due.length < SCAN_BATCH) return reviewed;
  }
}

/** Attempts per reminder: the first and four retries, 2, 4, 8 and 16 s apart (pg-boss backoff). */
export const NOTIFY_ATTEMPTS = 5;

/**
 * The supervision jobs on pg-boss: a scan every minute (the safety net, and what picks up new
 * deliveries), per-delivery timers at the moments warnings fall due, and the daily check at the
 * close of every working day. Every handler is idempotent (see review.ts, daily-check.ts).
 */

export function registerSupervisionJobs(jobs: JobQueue, deps: Deps, notifier: Notifier, beforeScan: () => Promise<void>): void {
  jobs.register({
    name: SCAN_JOB,
    // One scan at a time across servers; a scan that is still running makes the next one wait.
    queue: { policy: 'singleton' },
    cron: { expression: '* * * * *' },
    handle: async () => {
      await beforeScan();
      await scanDeadlines(deps, jobs, SCAN_JOB_BUDGET_MS);
      await queuePending(deps.pool, jobs);
    },
  });
  jobs.register<{ notificationId: string }>({
    name: NOTIFY_JOB,
    // 'stately': at most one queued and one running per message (singletonKey = its id).
    queue: { policy: 'stately', retryLimit: NOTIFY_ATTEMPTS - 1, retryDelay: 2, retryBackoff: true },
    work: { pollingIntervalSeconds: 0.5 },
    handle: (job) => deliverNotification(deps.pool, notifier, job.data.notificationId, NOTIFY_ATTEMPTS, deps.now),
  });
  jobs.register<{ documentId: string; unitId: string }>({
    name: REVIEW_JOB,
    queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true },
    handle: async (job) => {
      await reviewDelivery(deps, job.data.documentId, job.data.unitId, jobs);
    },
  });
  const lastClose = deps.supervision.calendar.spans.at(-1)!.end + 10;
  jobs.register({
    name: DAILY_CHECK_JOB,
    queue: { retryLimit: 5, retryDelay: 30, retryBackoff: true },
    // Ten minutes after the office closes, Beijing time; the handler skips non-working days.
    cron: { expression: `${lastClose % 60} ${Math.floor(lastClose / 60)} * * *`, tz: 'Asia/Shanghai' },
    handle: async () => {
      const day = beijingDay(deps.now().getTime());
      if (deps.supervision.calendar.isWorkingDay(day)) await recordDailyCheck(deps, day);
    },
  });
}
