import type pg from 'pg';
import { SYSTEM_ACTOR } from '../app/authorization.ts';
import { loadState, retryPolicy, type CommandDeps } from '../app/commands/deps.ts';
import { handleCommand } from '../app/handle-command.ts';
import { deliveryDecider } from '../domain/delivery/index.ts';
import { streams } from '../domain/streams.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { clockStopped, nextCheckAt, supervisionDecider, type SupervisionContext } from './decide.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { subtractDuration } from './policy.ts';
import { createNotification, mobiles } from './reminders.ts';
import { escalateWarnings } from './escalate.ts';
import type { Supervision } from './supervision.ts';

/**
 * Reviews one delivery's deadlines (see decide.ts): reads its delivery and supervision streams,
 * appends what is missing, and notes in `supervision_reviews` what it saw and when to look again.
 * Safe to run any number of times, by any number of servers: the decision is taken on the
 * streams' current state and appended with the revision it was taken on.
 */
export async function reviewDelivery(deps: CommandDeps & { supervision: Supervision }, documentId: string, unitId: string, jobs?: JobQueue): Promise<{ events: RecordedEvent[]; nextCheckAt: string | null }> {
  const streamId = streams.supervision(documentId, unitId);
  const before = await deps.store.readStream(streamId);
  let delivery = (await loadState(deps.store, deliveryDecider, streams.delivery(documentId, unitId))).state;
  let deliveryRevision = -1;
  const outcome = await handleCommand(
    deps.store,
    {
      streamId,
      decider: supervisionDecider,
      async context(): Promise<SupervisionContext> {
        const read = await loadState(deps.store, deliveryDecider, streams.delivery(documentId, unitId));
        delivery = read.state;
        deliveryRevision = read.read.revision ?? -1;
        return { actor: SYSTEM_ACTOR, now: deps.now().toISOString(), delivery, policy: deps.supervision.policy, calendar: deps.supervision.calendar, people: await unitPeople(deps.pool, unitId) };
      },
    },
    {
      command: { type: 'ReviewDeadlines', data: { documentId, unitId } },
      // The same review of the same supervision revision, by a duplicate job or another server, is one command.
      commandId: `supervision-review:${documentId}.${unitId}:${before.revision ?? -1}`,
      fingerprint: { documentId, unitId, revision: before.revision ?? -1 },
      actor: SYSTEM_ACTOR,
    },
    retryPolicy(deps),
  );
  const after = await loadState(deps.store, supervisionDecider, streamId);
  // 催办 → 督办 on the document's side too, once per warning (see escalate.ts).
  const urges = await escalateWarnings(deps, after.read.events, after.state);
  // The urges just appended change no clock: when nothing else came between the delivery read and
  // them, the next scan need not review the delivery again for them.
  if (urges.length > 0 && urges.every((u, i) => u.revision === deliveryRevision + 1 + i)) deliveryRevision += urges.length;
  let next = nextCheckAt(after.state, delivery);
  // 临期提醒: a running clock close to its deadline reminds the people answerable for it, once per deadline.
  const nowMs = deps.now().getTime();
  for (const clock of ['sign', 'handle'] as const) {
    const c = after.state.clocks[clock];
    if (!c || c.paused || c.raised.has('yellow') || clockStopped(delivery, clock) || !delivery.delivery) continue;
    const remindAt = subtractDuration(deps.supervision.calendar, Date.parse(c.dueAt), deps.supervision.policy.reminders.beforeDeadline);
    if (remindAt > nowMs) {
      if (next === null || remindAt < Date.parse(next)) next = new Date(remindAt).toISOString();
      continue;
    }
    const people = await unitPeople(deps.pool, unitId);
    const assignee = clock === 'handle' ? delivery.assignment?.assigneeUserId : undefined;
    const h = delivery.delivery;
    const to = assignee ? [assignee] : people.clerks;
    const phones = await mobiles(deps.pool, to);
    for (const userId of to) {
      await createNotification(
        deps.pool,
        jobs,
        {
          notificationId: `approach:${documentId}.${unitId}:${clock}:${c.dueAt}:${userId}`,
          kind: 'approaching-deadline',
          userId,
          unitId,
          mobile: phones.get(userId) ?? null,
          text: `公文《${h.title}》（${h.docNumber}）${clock === 'sign' ? '签收' : '办理'}期限 ${c.dueAt} 将至，请及时处理。`,
          subject: { documentId, unitId, clock, dueAt: c.dueAt },
        },
        deps.now(),
      );
    }
  }
  await deps.pool.query(
    `INSERT INTO supervision_reviews (document_id, unit_id, delivery_revision, next_check_at, reviewed_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (document_id, unit_id) DO UPDATE SET delivery_revision = GREATEST(supervision_reviews.delivery_revision, EXCLUDED.delivery_revision),
       next_check_at = EXCLUDED.next_check_at, reviewed_at = EXCLUDED.reviewed_at`,
    [documentId, unitId, deliveryRevision, next, deps.now()],
  );
  return { events: outcome.duplicate ? [] : outcome.events, nextCheckAt: next };
}

/** The active clerks and leaders of a unit, from the directory read model. */
export async function unitPeople(pool: pg.Pool, unitId: string): Promise<SupervisionContext['people']> {
  const { rows } = await pool.query<{ user_id: string; roles: string[] }>(
    `SELECT user_id, roles FROM directory_users WHERE unit_id = $1 AND active ORDER BY user_id`,
    [unitId],
  );
  return { clerks: rows.filter((r) => r.roles.includes('CLERK')).map((r) => r.user_id), leaders: rows.filter((r) => r.roles.includes('LEADER')).map((r) => r.user_id) };
}

/**
 * The deliveries a scan must review: never reviewed, changed since the last review (the read
 * model has a later delivery revision), or with a warning moment that has come.
 */
export async function deliveriesToReview(pool: pg.Pool, now: Date, limit: number): Promise<{ documentId: string; unitId: string }[]> {
  const { rows } = await pool.query<{ document_id: string; unit_id: string }>(
    `SELECT d.document_id, d.unit_id FROM supervision_deliveries d
       LEFT JOIN supervision_reviews r ON r.document_id = d.document_id AND r.unit_id = d.unit_id
      WHERE r.document_id IS NULL OR d.delivery_revision > r.delivery_revision OR r.next_check_at <= $1
      ORDER BY d.delivered_at, d.document_id, d.unit_id LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => ({ documentId: r.document_id, unitId: r.unit_id }));
}
