import type pg from 'pg';
import type { z } from 'zod';
import type { DocumentDelivered } from '../../schemas/events/delivery.ts';
import type { WarningIssued } from '../../schemas/events/supervision.ts';
import type { Reactor } from '../app/reactors/reactor-runner.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { unitPeople } from './review.ts';
import type { EventStore } from '../eventstore/port.ts';
import { loadState } from '../app/commands/deps.ts';
import { streams } from '../domain/streams.ts';
import { supervisionDecider } from './decide.ts';
import { addDuration } from './policy.ts';
import type { Supervision } from './supervision.ts';

/**
 * Reminders (提醒): a notification port with two adapters — the log, and an HTTP webhook (SMS
 * gateways and messaging bots are reached that way) — fed by the ledger's events and sent through
 * pg-boss with retries and backoff. Every message is a row of `supervision_notifications` (its id
 * says what it is about and to whom, so it is created once however often its cause is seen), and
 * every attempt to deliver it a row of `supervision_notification_attempts`, with its outcome.
 */
export interface Notification {
  notificationId: string;
  kind: 'urgent-delivery' | 'approaching-deadline' | 'warning';
  userId: string;
  unitId: string;
  mobile: string | null;
  text: string;
  subject: Record<string, unknown>;
}

export interface Notifier {
  readonly channel: string;
  /** Delivers or throws; a throw is recorded and retried. */
  send(n: Notification): Promise<void>;
}

export class LogNotifier implements Notifier {
  readonly channel = 'log';
  constructor(private readonly log: (line: string) => void = (line) => console.info(line)) {}
  async send(n: Notification): Promise<void> {
    this.log(`[提醒] ${n.mobile ?? n.userId}: ${n.text}`);
  }
}

export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}
  async send(n: Notification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': n.notificationId },
      body: JSON.stringify(n),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}

export const NOTIFY_JOB = 'supervision-notify';

/** Creates the message once (by id) and queues its delivery; returns whether it was new. */
export async function createNotification(pool: pg.Pool, jobs: JobQueue | undefined, n: Notification, at: Date): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO supervision_notifications (notification_id, kind, user_id, unit_id, mobile, text, subject, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notification_id) DO NOTHING`,
    [n.notificationId, n.kind, n.userId, n.unitId, n.mobile, n.text, n.subject, at],
  );
  if (jobs?.started) await jobs.send(NOTIFY_JOB, { notificationId: n.notificationId }, { singletonKey: n.notificationId });
  return (rowCount ?? 0) > 0;
}

/** Queues every message not yet delivered nor given up (after a restart, or when jobs were not running). */
export async function queuePending(pool: pg.Pool, jobs: JobQueue): Promise<number> {
  const { rows } = await pool.query<{ notification_id: string }>(`SELECT notification_id FROM supervision_notifications WHERE delivered_at IS NULL AND failed_at IS NULL ORDER BY created_at LIMIT 1000`);
  for (const r of rows) await jobs.send(NOTIFY_JOB, { notificationId: r.notification_id }, { singletonKey: r.notification_id });
  return rows.length;
}

/**
 * One delivery attempt of one message, recorded with its outcome. Throws on failure so that
 * pg-boss retries it (with backoff); a message already delivered is not sent again.
 */
export async function deliverNotification(pool: pg.Pool, notifier: Notifier, notificationId: string, maxAttempts: number, now: () => Date): Promise<void> {
  const { rows } = await pool.query(`SELECT * FROM supervision_notifications WHERE notification_id = $1`, [notificationId]);
  const row = rows[0];
  if (!row || row.delivered_at || row.failed_at) return;
  const { rows: counted } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM supervision_notification_attempts WHERE notification_id = $1`, [notificationId]);
  const attempt = counted[0]!.n + 1;
  const n: Notification = { notificationId, kind: row.kind, userId: row.user_id, unitId: row.unit_id, mobile: row.mobile, text: row.text, subject: row.subject };
  try {
    await notifier.send(n);
  } catch (error) {
    await pool.query(`INSERT INTO supervision_notification_attempts VALUES ($1, $2, $3, $4, false, $5)`, [notificationId, attempt, notifier.channel, now(), (error as Error).message]);
    if (attempt >= maxAttempts) await pool.query(`UPDATE supervision_notifications SET failed_at = $2 WHERE notification_id = $1`, [notificationId, now()]);
    throw error;
  }
  await pool.query(`INSERT INTO supervision_notification_attempts VALUES ($1, $2, $3, $4, true, null)`, [notificationId, attempt, notifier.channel, now()]);
  await pool.query(`UPDATE supervision_notifications SET delivered_at = $2 WHERE notification_id = $1`, [notificationId, now()]);
}

export async function mobiles(pool: pg.Pool, userIds: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await pool.query<{ user_id: string; mobile: string | null }>(`SELECT user_id, mobile FROM supervision_contacts WHERE user_id = ANY ($1)`, [userIds]);
  return new Map(rows.map((r) => [r.user_id, r.mobile]));
}

/**
 * Follows the feed (a process manager with its own checkpoint, so nothing is missed across a
 * restart): a 特急 delivery reminds the unit's clerks and leaders at once (急事急办, outside office
 * hours too); a warning reminds the people it names.
 */
export function reminderReactor(pool: pg.Pool, store: EventStore, jobs: JobQueue, supervision: Supervision, now: () => Date): Reactor {
  return {
    name: 'supervision-reminders',
    handles: new Set(['DocumentDelivered', 'WarningIssued']),
    async handle(event: RecordedEvent) {
      const notes: Omit<Notification, 'mobile'>[] = [];
      if (event.type === 'DocumentDelivered') {
        const d = event.data as z.infer<typeof DocumentDelivered.data>;
        if (d.urgency !== '特急') return;
        // Replaying an old delivery (a first start on an existing ledger) reminds nobody: once its
        // deadline has passed, the warnings speak for it.
        if (addDuration(supervision.calendar, Date.parse(d.deliveredAt), supervision.policy.signFor.特急) < now().getTime()) return;
        const people = await unitPeople(pool, d.unitId);
        for (const userId of new Set([...people.clerks, ...people.leaders])) {
          notes.push({ notificationId: `urgent:${event.eventId}:${userId}`, kind: 'urgent-delivery', userId, unitId: d.unitId, text: `特急公文《${d.title}》（${d.docNumber}）已送达，请立即签收办理。`, subject: { documentId: d.documentId, unitId: d.unitId } });
        }
      } else {
        const w = event.data as z.infer<typeof WarningIssued.data>;
        // A warning already cleared (raised late, for a clock stopped meanwhile) calls for no reminder.
        const state = (await loadState(store, supervisionDecider, streams.supervision(w.documentId, w.unitId))).state;
        if (!state.clocks[w.clock]?.active.has(w.level)) return;
        const what = w.clock === 'sign' ? '签收' : '办理';
        for (const userId of w.responsibleUserIds) {
          notes.push({
            notificationId: `warning:${event.eventId}:${userId}`,
            kind: 'warning',
            userId,
            unitId: w.unitId,
            text: `【${w.level === 'red' ? '红牌' : '黄牌'}·${w.escalation}】公文《${w.title}》（${w.docNumber}）${what}已超期（期限 ${w.dueAt}），请立即处理。`,
            subject: { documentId: w.documentId, unitId: w.unitId, clock: w.clock, level: w.level },
          });
        }
      }
      const phones = await mobiles(pool, notes.map((n) => n.userId));
      for (const n of notes) await createNotification(pool, jobs, { ...n, mobile: phones.get(n.userId) ?? null }, now());
    },
  };
}
