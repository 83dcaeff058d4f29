import type pg from 'pg';
import { SYSTEM_ACTOR } from '../app/authorization.ts';
import { loadState, retryPolicy, type CommandDeps } from '../app/commands/deps.ts';
import { appendOptions, envelopeHash, handleCommand, type CommandEnvelope } from '../app/handle-command.ts';
import { inParallel } from '../app/in-parallel.ts';
import { fold } from '../domain/decider.ts';
import { deliveryDecider } from '../domain/delivery/index.ts';
import type { DeliveryState } from '../domain/delivery/state.ts';
import { streams } from '../domain/streams.ts';
import { appendEach, ConcurrencyError, type AppendResult, type BatchAppend, type RecordedEvent, type StreamRead } from '../eventstore/port.ts';
import { clockStopped, nextCheckAt, supervisionDecider, type SupervisionCommand, type SupervisionContext, type SupervisionState } from './decide.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { subtractDuration } from './policy.ts';
import { createNotification, mobiles } from './reminders.ts';
import { escalateWarnings, escalationDecider, urgeEnvelope, warningsToUrge } from './escalate.ts';
import type { Supervision } from './supervision.ts';

type Deps = CommandDeps & { supervision: Supervision };
type People = SupervisionContext['people'];

/** One delivery under supervision: a document's copy at one recipient unit. */
export interface Subject {
  documentId: string;
  unitId: string;
}

export interface Review extends Subject {
  /** The supervision events this review appended (none when it found nothing missing, or repeated an earlier review). */
  events: RecordedEvent[];
  /** When to look at the delivery again (a warning or a reminder falling due), or null. */
  nextCheckAt: string | null;
}

/** Deliveries read side by side in a batch: their round trips overlap, and the pool keeps room for requests. */
const READS_IN_FLIGHT = 8;

/** The review of one delivery as a command: its id names the supervision revision it was decided on. */
function reviewEnvelope({ documentId, unitId }: Subject, revision: number | null): CommandEnvelope<SupervisionCommand> {
  return {
    command: { type: 'ReviewDeadlines', data: { documentId, unitId } },
    // The same review of the same supervision revision, by a duplicate job or another server, is one command.
    commandId: `supervision-review:${documentId}.${unitId}:${revision ?? -1}`,
    fingerprint: { documentId, unitId, revision: revision ?? -1 },
    actor: SYSTEM_ACTOR,
  };
}

const reviewContext = (deps: Deps, delivery: DeliveryState, people: People): SupervisionContext => ({
  actor: SYSTEM_ACTOR,
  now: deps.now().toISOString(),
  delivery,
  policy: deps.supervision.policy,
  calendar: deps.supervision.calendar,
  people,
});

/**
 * Reviews one delivery's deadlines (see decide.ts): reads its delivery and supervision streams,
 * appends what is missing, and notes in `supervision_reviews` what it saw and when to look again.
 * Safe to run any number of times, by any number of servers: the decision is taken on the
 * streams' current state and appended with the revision it was taken on. The per-delivery timers
 * run this; the scan runs reviewDeliveries, which falls back to this one by one.
 */
export async function reviewDelivery(deps: Deps, documentId: string, unitId: string, jobs?: JobQueue): Promise<Review> {
  const subject = { documentId, unitId };
  const streamId = streams.supervision(documentId, unitId);
  const before = await deps.store.readStream(streamId);
  let delivery = (await loadState(deps.store, deliveryDecider, streams.delivery(documentId, unitId))).state;
  let deliveryRevision = -1;
  let people: People | undefined;
  const outcome = await handleCommand(
    deps.store,
    {
      streamId,
      decider: supervisionDecider,
      async context(): Promise<SupervisionContext> {
        const read = await loadState(deps.store, deliveryDecider, streams.delivery(documentId, unitId));
        delivery = read.state;
        deliveryRevision = read.read.revision ?? -1;
        people = await unitPeople(deps.pool, unitId);
        return reviewContext(deps, delivery, people);
      },
    },
    reviewEnvelope(subject, before.revision),
    retryPolicy(deps),
  );
  const after = await loadState(deps.store, supervisionDecider, streamId);
  // 催办 → 督办 on the document's side too, once per warning (see escalate.ts).
  const urges = await escalateWarnings(deps, after.read.events, after.state);
  deliveryRevision = seenWithOwnUrges(deliveryRevision, urges.map((u) => u.revision));
  const next = await remind(deps, jobs, subject, after.state, delivery, people ?? (await unitPeople(deps.pool, unitId)));
  await recordReviews(deps, [{ ...subject, deliveryRevision, nextCheckAt: next }]);
  return { ...subject, events: outcome.duplicate ? [] : outcome.events, nextCheckAt: next };
}

/**
 * Reviews many deliveries in one step, with the same outcome as reviewDelivery for each: their
 * streams read side by side, every decision taken in memory, the supervision events of all of them
 * appended in one batch (one transaction where the store has batches), then the urges in another,
 * and their review rows in one statement. What a whole city's backlog needs (a ledger opened on a
 * year of deliveries never reviewed), where one delivery at a time spends its time in round trips.
 *
 * When another writer moved one of the streams after it was read (a clerk signing, another server
 * reviewing), the step's deliveries are reviewed again one by one, each on fresh state: the appends
 * already made are found by their command ids, so nothing is written twice.
 */
export async function reviewDeliveries(deps: Deps, subjects: readonly Subject[], jobs?: JobQueue): Promise<Review[]> {
  const distinct = [...new Map(subjects.map((s) => [`${s.documentId}\u0000${s.unitId}`, s])).values()];
  if (distinct.length === 0) return [];
  const reads: { supervision: StreamRead; delivery: StreamRead }[] = new Array(distinct.length);
  await inParallel(distinct, READS_IN_FLIGHT, async (s, i) => {
    const [supervision, delivery] = await Promise.all([deps.store.readStream(streams.supervision(s.documentId, s.unitId)), deps.store.readStream(streams.delivery(s.documentId, s.unitId))]);
    reads[i] = { supervision, delivery };
  });
  const people = await peopleOfUnits(deps.pool, distinct.map((s) => s.unitId));
  const decided = distinct.map((subject, i) => {
    const { supervision, delivery } = reads[i]!;
    const deliveryState = fold(deliveryDecider, delivery.events as never);
    const envelope = reviewEnvelope(subject, supervision.revision);
    const state = fold(supervisionDecider, supervision.events as never);
    const events = supervisionDecider.decide(envelope.command, state, reviewContext(deps, deliveryState, people.get(subject.unitId)!));
    const append: BatchAppend | null =
      events.length > 0 ? { streamId: streams.supervision(subject.documentId, subject.unitId), events, options: appendOptions(envelope, envelope.commandId, envelopeHash(envelope), supervision.revision) } : null;
    return { subject, supervision, delivery, deliveryState, append };
  });
  const appended = await appendAll(deps, decided.map((d) => d.append));
  if (!appended) return reviewEach(deps, distinct, jobs);

  const now = deps.now().toISOString();
  const reviewed = decided.map((d, i) => {
    const result = appended[i];
    const events = result ? [...d.supervision.events, ...result.events] : d.supervision.events;
    const state = fold(supervisionDecider, events as never);
    // A warning already urged (its urge names it as its cause) is not urged again; see escalate.ts.
    const urged = new Set(d.delivery.events.map((e) => e.causationId));
    const urges: BatchAppend[] = [];
    for (const warning of warningsToUrge(events, state)) {
      if (urged.has(warning.eventId)) continue;
      const envelope = urgeEnvelope(warning);
      const urge = escalationDecider.decide(envelope.command, d.deliveryState, { actor: SYSTEM_ACTOR, now });
      if (urge.length === 0) continue;
      const revision = (d.delivery.revision ?? -1) + urges.length;
      urges.push({ streamId: streams.delivery(d.subject.documentId, d.subject.unitId), events: urge, options: appendOptions(envelope, envelope.commandId, envelopeHash(envelope), revision < 0 ? null : revision) });
    }
    return { ...d, result, state, urges };
  });
  const urged = await appendAll(deps, reviewed.flatMap((r) => r.urges));
  if (!urged) return reviewEach(deps, distinct, jobs);

  const out: Review[] = [];
  const rows: ReviewRow[] = [];
  let u = 0;
  for (const r of reviewed) {
    const urgeResults = urged.slice(u, (u += r.urges.length)) as AppendResult[];
    // An urge found already made (a duplicate) is not this review's own.
    const deliveryRevision = seenWithOwnUrges(r.delivery.revision ?? -1, urgeResults.some((x) => x.duplicate) ? [] : urgeResults.map((x) => x.revision));
    const next = await remind(deps, jobs, r.subject, r.state, r.deliveryState, people.get(r.subject.unitId)!);
    rows.push({ ...r.subject, deliveryRevision, nextCheckAt: next });
    out.push({ ...r.subject, events: r.result && !r.result.duplicate ? r.result.events : [], nextCheckAt: next });
  }
  await recordReviews(deps, rows);
  return out;
}

/**
 * The delivery revision a review has seen: the one it read, and past it the urges it appended
 * itself (their revisions, in order). Urges change no clock: when nothing else came between the
 * read and them, the next scan need not review the delivery again for them.
 */
function seenWithOwnUrges(read: number, urgeRevisions: readonly number[]): number {
  return urgeRevisions.length > 0 && urgeRevisions.every((revision, i) => revision === read + 1 + i) ? read + urgeRevisions.length : read;
}

/** The appends of a step, in order (null entries: nothing to append); null when a stream had moved since it was read. */
async function appendAll(deps: Deps, appends: (BatchAppend | null)[]): Promise<(AppendResult | undefined)[] | null> {
  let results: AppendResult[];
  try {
    results = await appendEach(
      deps.store,
      appends.filter((a): a is BatchAppend => a !== null),
    );
  } catch (error) {
    if (error instanceof ConcurrencyError) return null;
    throw error;
  }
  let next = 0;
  return appends.map((a) => (a ? results[next++] : undefined));
}

async function reviewEach(deps: Deps, subjects: readonly Subject[], jobs: JobQueue | undefined): Promise<Review[]> {
  const out: Review[] = [];
  for (const s of subjects) out.push(await reviewDelivery(deps, s.documentId, s.unitId, jobs));
  return out;
}

/**
 * 临期提醒: a running clock close to its deadline reminds the people answerable for it, once per
 * deadline (the notification's id names it). Returns when to look again: the next warning, or the
 * next reminder if that comes first.
 */
async function remind(deps: Deps, jobs: JobQueue | undefined, { documentId, unitId }: Subject, state: SupervisionState, delivery: DeliveryState, people: People): Promise<string | null> {
  let next = nextCheckAt(state, delivery);
  const nowMs = deps.now().getTime();
  for (const clock of ['sign', 'handle'] as const) {
    const c = state.clocks[clock];
    if (!c || c.paused || c.raised.has('yellow') || clockStopped(delivery, clock) || !delivery.delivery) continue;
    const remindAt = subtractDuration(deps.supervision.calendar, Date.parse(c.dueAt), deps.supervision.policy.reminders.beforeDeadline);
    if (remindAt > nowMs) {
      if (next === null || remindAt < Date.parse(next)) next = new Date(remindAt).toISOString();
      continue;
    }
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
  return next;
}

interface ReviewRow extends Subject {
  /** The delivery revision the review saw (with its own urges). */
  deliveryRevision: number;
  nextCheckAt: string | null;
}

/** What the reviews saw and when to look again, in one statement (a later delivery revision is never lowered). */
async function recordReviews(deps: Pick<CommandDeps, 'pool' | 'now'>, rows: readonly ReviewRow[]): Promise<void> {
  await deps.pool.query(
    `INSERT INTO supervision_reviews (document_id, unit_id, delivery_revision, next_check_at, reviewed_at)
     SELECT d, u, r, n, $5 FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS t(d, u, r, n)
     ON CONFLICT (document_id, unit_id) DO UPDATE SET delivery_revision = GREATEST(supervision_reviews.delivery_revision, EXCLUDED.delivery_revision),
       next_check_at = EXCLUDED.next_check_at, reviewed_at = EXCLUDED.reviewed_at`,
    [rows.map((r) => r.documentId), rows.map((r) => r.unitId), rows.map((r) => r.deliveryRevision), rows.map((r) => r.nextCheckAt), deps.now()],
  );
}

/** The active clerks and leaders of a unit, from the directory read model. */
export async function unitPeople(pool: pg.Pool, unitId: string): Promise<People> {
  return (await peopleOfUnits(pool, [unitId])).get(unitId)!;
}

/** The active clerks and leaders of each unit (none for a unit without them), in one query. */
async function peopleOfUnits(pool: pg.Pool, unitIds: readonly string[]): Promise<Map<string, People>> {
  const ids = [...new Set(unitIds)];
  const { rows } = await pool.query<{ user_id: string; unit_id: string; roles: string[] }>(
    `SELECT user_id, unit_id, roles FROM directory_users WHERE unit_id = ANY ($1) AND active ORDER BY user_id`,
    [ids],
  );
  const people = new Map(ids.map((id): [string, People] => [id, { clerks: [], leaders: [] }]));
  for (const r of rows) {
    const p = people.get(r.unit_id)!;
    if (r.roles.includes('CLERK')) p.clerks.push(r.user_id);
    if (r.roles.includes('LEADER')) p.leaders.push(r.user_id);
  }
  return people;
}

/**
 * The deliveries a scan must review: never reviewed, changed since the last review (the read
 * model has a later delivery revision), or with a warning moment that has come.
 */
export async function deliveriesToReview(pool: pg.Pool, now: Date, limit: number): Promise<Subject[]> {
  const { rows } = await pool.query<{ document_id: string; unit_id: string }>(
    `SELECT d.document_id, d.unit_id FROM supervision_deliveries d
       LEFT JOIN supervision_reviews r ON r.document_id = d.document_id AND r.unit_id = d.unit_id
      WHERE r.document_id IS NULL OR d.delivery_revision > r.delivery_revision OR r.next_check_at <= $1
      ORDER BY d.delivered_at, d.document_id, d.unit_id LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => ({ documentId: r.document_id, unitId: r.unit_id }));
}
