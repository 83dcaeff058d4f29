import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM_ACTOR } from '../../src/app/authorization.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { streams } from '../../src/domain/streams.ts';
import type { EventStore, NewEvent } from '../../src/eventstore/port.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { reviewDeliveries, reviewDelivery, type Subject } from '../../src/supervision/review.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { bj, ledgerOnClock } from './support.ts';

/**
 * The scan reviews a backlog a step of deliveries at a time (reviewDeliveries: reads side by side,
 * one append batch for the supervision events, one for the urges, one statement for the review
 * rows). These tests hold it to the one-at-a-time review (reviewDelivery) event for event, through
 * a stream moved under a step, on a store without batches, and in the scan job's time budget.
 */

const NOW = bj('2025-11-07', '16:00'); // a Friday afternoon
const HOUR = 3600_000;
const UNITS = ['edu', 'fin', 'hlth'] as const;

/**
 * Delivery `i` of a set: the same document under the set's prefix, so two sets reviewed two ways
 * can be compared event for event. Spread over the week before NOW: every urgency, signed on time,
 * late or not at all, some 请示 assigned and completed, some close enough to their deadline for a
 * 临期提醒.
 */
function delivery(prefix: string, i: number): { subject: Subject; events: NewEvent[] } {
  const documentId = `${prefix}-${i}`;
  const unitId = UNITS[i % UNITS.length]!;
  const key = { documentId, unitId };
  const deliveredAt = NOW.getTime() - ((i * 7) % 100) * HOUR - (i % 3) * 20 * 60_000;
  const urgency = (['特急', '加急', '平件'] as const)[(i >> 1) % 3]!;
  const docType = i % 4 === 0 ? '请示' : '通知';
  const at = (ms: number) => new Date(Math.min(ms, NOW.getTime() - 60_000)).toISOString();
  const events: NewEvent[] = [
    {
      type: 'DocumentDelivered',
      data: {
        ...key,
        kind: 'main',
        issuerUnitId: 'city-office',
        title: `关于第${i}号事项的${docType}`,
        docNumber: `阜政办〔2025〕${i}号`,
        docType,
        urgency,
        sentAt: new Date(deliveredAt).toISOString(),
        sentEventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        deliveredAt: new Date(deliveredAt).toISOString(),
      },
    },
  ];
  if (i % 5 < 3) {
    const receivedAt = deliveredAt + (i % 7) * 0.7 * HOUR;
    events.push({ type: 'DocumentReceived', data: { ...key, receivedBy: `${unitId}-clerk`, receivedAt: at(receivedAt) } });
    if (docType === '请示' && i % 8 === 0) {
      events.push({ type: 'HandlingAssigned', data: { ...key, assigneeUserId: `${unitId}-clerk`, dueDate: '2025-11-06', assignedBy: `${unitId}-leader`, assignedAt: at(receivedAt + HOUR) } });
      if (i % 16 === 0) events.push({ type: 'HandlingCompleted', data: { ...key, result: '已办结', completedBy: `${unitId}-clerk`, completedAt: at(receivedAt + 2 * HOUR) } });
    }
  }
  return { subject: key, events };
}

/**
 * The deliveries have no document streams (written as bench/supervision.ts writes its month): only
 * the read models the supervision reads, and the process managers, follow them.
 */
async function settle(ledger: Ledger): Promise<void> {
  await ledger.store.awaitVisible();
  for (const reactor of ledger.reactors) await reactor.catchUp();
  await ledger.projections.catchUp(['directory', 'supervision']);
}

/** Writes a set's deliveries as the delivery process writes them, and lets the read models see them. */
async function deliver(ledger: Ledger, prefix: string, count: number): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (let i = 0; i < count; i++) {
    const { subject, events } = delivery(prefix, i);
    await ledger.store.append(streams.delivery(subject.documentId, subject.unitId), events, { expectedRevision: 'no_stream', commandId: `deliver-${subject.documentId}.${subject.unitId}`, actor: SYSTEM_ACTOR });
    subjects.push(subject);
  }
  await settle(ledger);
  return subjects;
}

/** What the review of delivery `i` left: its supervision events, its urges, its review row and its reminders, with the set's prefix taken out. */
async function outcome(ledger: Ledger, prefix: string, i: number) {
  const { subject } = delivery(prefix, i);
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x).replaceAll(`${prefix}-${i}`, `#-${i}`));
  const supervision = (await ledger.store.readStream(streams.supervision(subject.documentId, subject.unitId))).events.map((e) => plain({ type: e.type, data: e.data, actor: e.actor }));
  const urges = (await ledger.store.readStream(streams.delivery(subject.documentId, subject.unitId))).events.filter((e) => e.type === 'HandlingUrged').map((e) => plain(e.data));
  const { rows: review } = await ledger.db.pool.query(`SELECT delivery_revision, next_check_at FROM supervision_reviews WHERE document_id = $1 AND unit_id = $2`, [subject.documentId, subject.unitId]);
  const { rows: reminders } = await ledger.db.pool.query(`SELECT notification_id, user_id FROM supervision_notifications WHERE kind = 'approaching-deadline' AND subject->>'documentId' = $1 ORDER BY 1`, [subject.documentId]);
  return { supervision, urges, review: review.map(plain), reminders: reminders.map(plain) };
}

const jobDeps = (ledger: Ledger, store: EventStore = ledger.store) => ({ store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: () => NOW }) as never;

/** The store with its append batch replaced (or taken away, as EventStoreDB has none). */
const storeWith = (store: EventStore, appendBatch: EventStore['appendBatch'] | undefined): EventStore =>
  new Proxy(store, {
    get(target, property) {
      if (property === 'appendBatch') return appendBatch;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

test('a backlog reviewed in steps (in batches, and on a store without batches) leaves exactly what reviews one at a time leave', async () => {
  const { ledger, clock } = await ledgerOnClock(bj('2025-11-03', '08:00'));
  const count = 130; // more than one step of the scan (100)
  const single = await deliver(ledger, 'single', count);
  const batched = await deliver(ledger, 'batched', count);
  const unbatched = await deliver(ledger, 'unbatched', count);
  clock.set(NOW);
  const deps = jobDeps(ledger);
  for (const s of single) await reviewDelivery(deps, s.documentId, s.unitId);
  const reviews = [...(await reviewDeliveries(deps, batched.slice(0, 100))), ...(await reviewDeliveries(deps, batched.slice(100)))];
  assert.deepEqual(reviews.map((r) => r.documentId), batched.map((s) => s.documentId), 'one review per delivery, in order');
  await reviewDeliveries(jobDeps(ledger, storeWith(ledger.store, undefined)), unbatched);
  await settle(ledger);

  const kinds = new Set<string>();
  for (let i = 0; i < count; i++) {
    const expected = await outcome(ledger, 'single', i);
    for (const e of expected.supervision) kinds.add(`${e.type}:${e.data.level ?? e.data.clock}`);
    if (expected.urges.length > 0) kinds.add('urge');
    if (expected.reminders.length > 0) kinds.add('reminder');
    assert.deepEqual(await outcome(ledger, 'batched', i), expected, `delivery ${i} reviewed in a batch`);
    assert.deepEqual(await outcome(ledger, 'unbatched', i), expected, `delivery ${i} reviewed without batches`);
  }
  // The sets are varied enough to mean something: every kind of decision happened.
  assert.deepEqual([...kinds].sort(), ['DeadlineSet:handle', 'DeadlineSet:sign', 'WarningCleared:handle', 'WarningCleared:sign', 'WarningIssued:red', 'WarningIssued:yellow', 'reminder', 'urge']);
  // Their own urges counted as seen, the reviews leave nothing for the next scan.
  assert.equal(await scanDeadlines(deps), 0);
});

test('a stream moved between a step’s reads and its append: the step is reviewed again one by one, nothing written twice', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-03', '08:00'));
  const count = 40;
  const single = await deliver(ledger, 'single', count);
  const raced = await deliver(ledger, 'raced', count);
  const deps = jobDeps(ledger);
  // Both sets reviewed once the day before, one at a time: their clocks are running.
  const before = new Date(NOW.getTime() - 30 * HOUR);
  clock.set(before);
  const earlier = { ...(deps as object), now: () => before } as never;
  for (const s of [...single, ...raced]) await reviewDelivery(earlier, s.documentId, s.unitId);
  clock.set(NOW);
  // Delivery 8 (not signed, delivered 56 h before NOW): its leader pauses its sign clock now.
  const pause = (s: Subject, n: string) =>
    ledger.commands.execute(city.units.find((u) => u.unitId === s.unitId)!.leader, 'PauseSupervisionClock', { commandId: `pause-${n}`, ...s, clock: 'sign', reason: '等待上级答复' });
  await pause(single[8]!, 'single');
  for (const s of single) await reviewDelivery(deps, s.documentId, s.unitId);

  // The step reads, then the leader's pause lands, then the step appends: its batch is refused.
  const interfere = (when: number, act: () => Promise<unknown>) => {
    const seen = { batches: 0 };
    const store = storeWith(ledger.store, async (appends) => {
      if (++seen.batches === when) await act();
      return ledger.store.appendBatch!(appends);
    });
    return { store, seen };
  };
  const first = interfere(1, () => pause(raced[8]!, 'raced'));
  const reviews = await reviewDeliveries(jobDeps(ledger, first.store), raced.slice(0, 20));
  assert.equal(first.seen.batches, 1, 'the step found a stream moved and went on one by one');
  assert.deepEqual(reviews.map((r) => r.documentId), raced.slice(0, 20).map((s) => s.documentId));
  // A delivery whose review urges: another server's timer reviews (and urges) it after the step's
  // reads, before the step's urge batch, which then finds those urges made.
  const urging = (await Promise.all(single.map(async (_, i) => ((await outcome(ledger, 'single', i)).urges.length > 0 ? i : -1)))).filter((i) => i >= 20);
  assert.ok(urging.length > 0);
  const second = interfere(2, () => reviewDelivery(deps, raced[urging[0]!]!.documentId, raced[urging[0]!]!.unitId));
  await reviewDeliveries(jobDeps(ledger, second.store), raced.slice(20));
  assert.equal(second.seen.batches, 2, 'the urges were tried as a batch after the timer urged');
  await settle(ledger);
  for (let i = 0; i < count; i++) assert.deepEqual(await outcome(ledger, 'raced', i), await outcome(ledger, 'single', i), `delivery ${i}`);
  assert.ok((await outcome(ledger, 'raced', 8)).supervision.some((e) => e.type === 'ClockPaused'));
  assert.equal(await scanDeadlines(deps), 0);
});

test('two servers scanning the same backlog at once (each its own store and stream-tip cache) write each review once', async () => {
  const { ledger, clock } = await ledgerOnClock(bj('2025-11-03', '08:00'));
  const count = 120;
  const single = await deliver(ledger, 'single', count);
  const shared = await deliver(ledger, 'shared', count);
  clock.set(NOW);
  const deps = jobDeps(ledger);
  for (const s of single) await reviewDelivery(deps, s.documentId, s.unitId);
  const other = new PostgresEventStore({ pool: ledger.db.pool, registry: eventRegistry, macKey: ledger.key.macKey, clock: () => NOW });
  try {
    // The second server takes the same steps in the opposite order, so the two meet in the middle.
    const steps = [shared.slice(0, 40), shared.slice(40, 80), shared.slice(80)];
    await Promise.all([
      (async () => {
        for (const step of steps) await reviewDeliveries(deps, step);
      })(),
      (async () => {
        for (const step of [...steps].reverse()) await reviewDeliveries(jobDeps(ledger, other), step);
      })(),
    ]);
  } finally {
    await other.close();
  }
  await settle(ledger);
  for (let i = 0; i < count; i++) assert.deepEqual(await outcome(ledger, 'shared', i), await outcome(ledger, 'single', i), `delivery ${i}`);
  assert.equal(await scanDeadlines(deps), 0);
});

test('the scan job stops after the step that ends past its time budget, and the next scan goes on from there', async () => {
  const { ledger, clock } = await ledgerOnClock(bj('2025-11-03', '08:00'));
  await deliver(ledger, 'backlog', 250);
  clock.set(NOW);
  const deps = jobDeps(ledger);
  const reviewedRows = async () => (await ledger.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM supervision_reviews`)).rows[0]!.n;
  assert.equal(await scanDeadlines(deps, undefined, 0), 100, 'one step, then the budget is spent');
  assert.equal(await reviewedRows(), 100);
  await settle(ledger);
  assert.equal(await scanDeadlines(deps), 150, 'the rest, by the next scan');
  await settle(ledger);
  assert.equal(await scanDeadlines(deps), 0);
  assert.equal(await reviewedRows(), 250);
});

test('with the job queue running, a scan sets one timer (a supervision-review job at that moment) for every delivery with a moment ahead', async () => {
  const { ledger, clock } = await ledgerOnClock(bj('2025-11-03', '08:00'));
  const subjects = await deliver(ledger, 'timed', 30);
  clock.set(NOW);
  await ledger.jobs.start();
  try {
    assert.equal(await scanDeadlines(jobDeps(ledger), ledger.jobs), 30);
    const { rows: due } = await ledger.db.pool.query<{ document_id: string; unit_id: string; next_check_at: Date }>(
      `SELECT document_id, unit_id, next_check_at FROM supervision_reviews WHERE next_check_at IS NOT NULL ORDER BY 1, 2`,
    );
    assert.ok(due.length > 0 && due.length < subjects.length, 'some deliveries have a moment ahead, some have raised all they can');
    const { rows: timers } = await ledger.db.pool.query<{ data: { documentId: string; unitId: string }; start_after: Date; singleton_key: string }>(
      `SELECT data, start_after, singleton_key FROM pgboss.job WHERE name = 'supervision-review' ORDER BY data->>'documentId', data->>'unitId'`,
    );
    assert.deepEqual(
      timers.map((t) => [t.data.documentId, t.data.unitId, t.start_after.toISOString(), t.singleton_key]),
      due.map((d) => [d.document_id, d.unit_id, d.next_check_at.toISOString(), `${d.document_id}.${d.unit_id}@${d.next_check_at.toISOString()}`]),
    );
  } finally {
    await ledger.jobs.stop();
  }
});
