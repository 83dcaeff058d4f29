import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EventSchemaError } from '../../schemas/registry.ts';
import type { Actor } from '../../schemas/common.ts';
import { eventHash, eventMac, GENESIS_HASH } from '../../src/integrity/event-hash.ts';
import {
  CommandIdReusedError,
  ConcurrencyError,
  type AppendOptions,
  type EventStore,
  type FeedPosition,
  type NewEvent,
  type RecordedEvent,
} from '../../src/eventstore/port.ts';

/**
 * The one behaviour every event store adapter must have, written only against the port. The store
 * may already hold events (a shared server, other suites): every test uses its own streams and
 * command ids and looks at the feed through them.
 */
export interface ContractSubject {
  store: EventStore;
  /** When given, every event's MAC is recomputed as well as its hash. */
  macKey?: Buffer;
  teardown?: () => Promise<void>;
}

const actor: Actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const newStream = (label = 'contract') => `test-${label}${randomUUID().replaceAll('-', '')}`;
const newCommand = () => `cmd-${randomUUID()}`;
const ev = (n: number, text?: string): NewEvent => ({ type: 'TestEvent', data: text === undefined ? { n } : { n, text } });
const opts = (expectedRevision: AppendOptions['expectedRevision'], extra: Partial<AppendOptions> = {}): AppendOptions => ({
  expectedRevision,
  commandId: newCommand(),
  actor,
  ...extra,
});

async function readWholeFeed(store: EventStore, from: FeedPosition | null, limit = 1000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let position = from;
  for (;;) {
    const page = await store.readAll(position, limit);
    if (page.events.length === 0) {
      assert.equal(page.position, position, 'an empty page keeps the position it was given');
      return all;
    }
    assert.equal(page.position, page.events.at(-1)!.position, 'a page continues after its last event');
    all.push(...page.events);
    position = page.position;
  }
}

/**
 * The feed is allowed to lag behind a commit (the PostgreSQL adapter waits for older transactions
 * anywhere on the server to finish), so a test reads until the events it appended have appeared.
 */
async function readFeedUntilSeen(
  store: EventStore,
  from: FeedPosition | null,
  expected: RecordedEvent[],
  limit = 1000,
): Promise<RecordedEvent[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await readWholeFeed(store, from, limit);
    const seen = new Set(events.map((e) => e.eventId));
    if (expected.every((e) => seen.has(e.eventId))) return events;
    if (Date.now() > deadline) assert.fail(`the feed did not show ${expected.length} appended events within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The feed's current end, by reading it (the port has no "head" call on purpose). */
async function feedEnd(store: EventStore): Promise<FeedPosition | null> {
  const events = await readWholeFeed(store, null);
  return events.at(-1)?.position ?? null;
}

async function takeFromSubscription(
  store: EventStore,
  from: FeedPosition | null,
  wanted: (e: RecordedEvent) => boolean,
  count: number,
  whileSubscribed: () => Promise<void>,
  timeoutMs = 20_000,
): Promise<RecordedEvent[]> {
  const subscription = store.subscribeAll(from);
  const got: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  const reading = (async () => {
    for await (const e of subscription) {
      if (wanted(e)) got.push(e);
      if (got.length >= count) break;
    }
  })();
  try {
    await whileSubscribed();
    await reading;
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return got;
}

const pick = (e: RecordedEvent) => ({ stream: e.streamId, revision: e.revision, eventId: e.eventId });

export function eventStoreContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`event store contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    before(async () => {
      subject = await setup();
      store = subject.store;
    });
    after(async () => {
      await subject?.teardown?.();
    });

    test('backlog counts the events after a position, and since when the first of them waits', async () => {
      const end = await feedEnd(store);
      const before = await store.backlog(null);
      assert.equal(before.events, (await readWholeFeed(store, null)).length, 'backlog(null) counts the whole feed');
      const a = await store.append(newStream('backlog'), [ev(1), ev(2)], opts('no_stream'));
      const b = await store.append(newStream('backlog'), [ev(3)], opts('no_stream'));
      await store.awaitVisible();
      assert.deepEqual(await store.backlog(end), { events: 3, oldestRecordedAt: a.events[0]!.recordedAt });
      assert.deepEqual(await store.backlog(a.events[1]!.position), { events: 1, oldestRecordedAt: b.events[0]!.recordedAt });
      assert.deepEqual(await store.backlog(b.events[0]!.position), { events: 0, oldestRecordedAt: null });
      assert.equal((await store.backlog(null)).events, before.events + 3, 'the total grows with the appends');
    });

    test('an append is read back with every envelope field', async () => {
      const stream = newStream();
      const eventId = randomUUID();
      const commandId = newCommand();
      const result = await store.append(
        stream,
        [
          { type: 'TestEvent', data: { n: 1, text: '拟稿' }, eventId, occurredAt: '2025-03-01T08:30:00.123456+08:00' },
          { type: 'OtherTestEvent', data: { label: 'second' } },
        ],
        { expectedRevision: 'no_stream', commandId, actor, correlationId: 'corr-1', causationId: 'cause-1' },
      );
      assert.equal(result.streamId, stream);
      assert.equal(result.revision, 1);
      assert.equal(result.duplicate, false);
      assert.equal(result.events.length, 2);
      const [first, second] = result.events as [RecordedEvent, RecordedEvent];

      assert.equal(first.eventId, eventId);
      assert.equal(first.type, 'TestEvent');
      assert.equal(first.schemaVersion, 1);
      assert.equal(first.streamId, stream);
      assert.equal(first.revision, 0);
      // Normalised to UTC with milliseconds, so it round-trips and hashes the same everywhere.
      assert.equal(first.occurredAt, '2025-03-01T00:30:00.123Z');
      assert.match(first.recordedAt, ISO_MS_UTC);
      assert.deepEqual(first.actor, actor);
      assert.equal(first.commandId, commandId);
      assert.equal(first.correlationId, 'corr-1');
      assert.equal(first.causationId, 'cause-1');
      assert.deepEqual(first.data, { n: 1, text: '拟稿' });
      assert.equal(typeof first.globalPosition, 'number');
      assert.equal(typeof first.position, 'string');

      assert.match(second.eventId, UUID, 'a missing eventId is generated');
      assert.notEqual(second.eventId, first.eventId);
      assert.equal(second.type, 'OtherTestEvent');
      assert.equal(second.revision, 1);
      assert.equal(second.occurredAt, second.recordedAt, 'occurredAt defaults to the time of recording');
      assert.equal(second.recordedAt, first.recordedAt, 'one append is recorded at one time');
      assert.deepEqual(second.data, { label: 'second' });
      assert.notEqual(second.position, first.position);

      const read = await store.readStream(stream);
      assert.equal(read.streamId, stream);
      assert.equal(read.revision, 1);
      assert.deepEqual(read.events, result.events, 'what append returned is exactly what is stored');
    });

    test('defaults: correlationId is the commandId, causationId is null', async () => {
      const stream = newStream();
      const o = opts('no_stream');
      const { events } = await store.append(stream, [ev(1)], o);
      assert.equal(events[0]!.correlationId, o.commandId);
      assert.equal(events[0]!.causationId, null);
    });

    test('revisions count from 0 per stream across appends', async () => {
      const stream = newStream();
      const a = await store.append(stream, [ev(0)], opts('no_stream'));
      const b = await store.append(stream, [ev(1), ev(2)], opts(0));
      const c = await store.append(stream, [ev(3)], opts(2));
      assert.deepEqual([a.revision, b.revision, c.revision], [0, 2, 3]);
      const read = await store.readStream(stream);
      assert.equal(read.revision, 3);
      assert.deepEqual(read.events.map((e) => e.revision), [0, 1, 2, 3]);
      assert.deepEqual(read.events.map((e) => (e.data as { n: number }).n), [0, 1, 2, 3]);

      const missing = await store.readStream(newStream('missing'));
      assert.equal(missing.revision, null);
      assert.deepEqual(missing.events, []);
    });

    test('a stale expected revision is refused with the actual revision, and nothing is written', async () => {
      const stream = newStream();
      await store.append(stream, [ev(0), ev(1)], opts('no_stream'));
      for (const stale of [0, 2, 7]) {
        const error = await store.append(stream, [ev(9)], opts(stale)).then(
          () => assert.fail(`expected revision ${stale} should conflict`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ConcurrencyError, String(error));
        assert.equal(error.streamId, stream);
        assert.equal(error.expected, stale);
        assert.equal(error.actual, 1);
      }
      const read = await store.readStream(stream);
      assert.equal(read.revision, 1);
      assert.equal(read.events.length, 2);
    });

    test("'no_stream' conflicts on an existing stream; a revision conflicts on a missing one", async () => {
      const stream = newStream();
      await store.append(stream, [ev(0)], opts('no_stream'));
      await assert.rejects(store.append(stream, [ev(1)], opts('no_stream')), (e: unknown) => {
        assert.ok(e instanceof ConcurrencyError, String(e));
        assert.equal(e.expected, 'no_stream');
        assert.equal(e.actual, 0);
        return true;
      });
      const missing = newStream('missing');
      await assert.rejects(store.append(missing, [ev(0)], opts(0)), (e: unknown) => {
        assert.ok(e instanceof ConcurrencyError, String(e));
        assert.equal(e.actual, null);
        return true;
      });
      assert.equal((await store.readStream(missing)).revision, null);
      assert.equal((await store.readStream(stream)).revision, 0);
    });

    test("'stream_exists' needs the stream; 'any' takes whatever is there", async () => {
      const missing = newStream('missing');
      await assert.rejects(store.append(missing, [ev(0)], opts('stream_exists')), (e: unknown) => {
        assert.ok(e instanceof ConcurrencyError, String(e));
        assert.equal(e.expected, 'stream_exists');
        assert.equal(e.actual, null);
        return true;
      });
      assert.equal((await store.readStream(missing)).revision, null);

      const stream = newStream();
      assert.equal((await store.append(stream, [ev(0)], opts('any'))).revision, 0, "'any' creates a missing stream");
      assert.equal((await store.append(stream, [ev(1)], opts('any'))).revision, 1);
      assert.equal((await store.append(stream, [ev(2), ev(3)], opts('stream_exists'))).revision, 3);
      const read = await store.readStream(stream);
      assert.deepEqual(read.events.map((e) => e.revision), [0, 1, 2, 3]);
    });

    test('a repeated command appends nothing and returns its first outcome', async () => {
      const stream = newStream();
      const o = opts('no_stream', { commandHash: 'fingerprint-1' });
      const first = await store.append(stream, [ev(1), ev(2)], o);
      assert.equal(first.duplicate, false);

      const again = await store.append(stream, [ev(1), ev(2)], o);
      assert.equal(again.duplicate, true);
      assert.equal(again.streamId, stream);
      assert.equal(again.revision, first.revision);
      assert.deepEqual(again.events, first.events, "the first run's events, as stored");

      // Even after the stream moved on, so the expected revision is stale: still the first outcome.
      await store.append(stream, [ev(3)], opts(1));
      const late = await store.append(stream, [ev(1), ev(2)], o);
      assert.equal(late.duplicate, true);
      assert.deepEqual(late.events, first.events);

      const read = await store.readStream(stream);
      assert.equal(read.events.length, 3, 'repeats appended nothing');

      const found = await store.findCommand(o.commandId);
      assert.ok(found, 'findCommand knows the command');
      assert.equal(found.streamId, stream);
      assert.equal(found.revision, 1);
      assert.deepEqual(found.events, first.events);
      assert.equal(await store.findCommand(newCommand()), null);
    });

    test("findCommandSteps gives a command's step appends in feed order, and nothing of other commands", async () => {
      const id = newCommand();
      const [a, b, c] = [newStream(), newStream(), newStream()];
      await store.append(b, [ev(1)], opts('no_stream', { commandId: `${id}/second` }));
      await store.append(a, [ev(2), ev(3)], opts('no_stream', { commandId: `${id}/first` }));
      await store.append(c, [ev(4)], opts('no_stream', { commandId: id }));
      // Ids that share a prefix but are no steps of this command.
      await store.append(newStream(), [ev(5)], opts('no_stream', { commandId: `${id}x/other` }));
      await store.append(newStream(), [ev(6)], opts('no_stream', { commandId: `${id}0` }));
      const steps = await store.findCommandSteps(id);
      assert.deepEqual(steps.map((s) => [s.streamId, s.events.map((e) => (e.data as { n: number }).n)]), [[b, [1]], [a, [2, 3]]]);
      assert.ok(steps.every((s) => s.duplicate));
      assert.deepEqual(await store.findCommandSteps(newCommand()), []);
    });

    test('a commandId reused for a different command is refused and appends nothing', async () => {
      const stream = newStream();
      const o = opts('no_stream', { commandHash: 'fingerprint-a' });
      await store.append(stream, [ev(1)], o);
      await assert.rejects(
        store.append(stream, [ev(2)], { ...o, expectedRevision: 0, commandHash: 'fingerprint-b' }),
        (e: unknown) => e instanceof CommandIdReusedError && e.commandId === o.commandId,
      );
      // The same key on another stream is another command too.
      await assert.rejects(
        store.append(newStream(), [ev(1)], { ...o, expectedRevision: 'no_stream' }),
        (e: unknown) => e instanceof CommandIdReusedError,
      );
      assert.equal((await store.readStream(stream)).events.length, 1);
    });

    test('a payload that breaks its schema is refused before anything is written', async () => {
      const stream = newStream();
      const o = opts('no_stream');
      await assert.rejects(store.append(stream, [ev(1), { type: 'TestEvent', data: { n: 'one' } }], o), EventSchemaError);
      await assert.rejects(store.append(stream, [{ type: 'NoSuchEvent', data: {} }], opts('no_stream')), EventSchemaError);
      await assert.rejects(store.append(stream, [{ type: 'TestEvent', data: { n: 1.5 } }], opts('any')), EventSchemaError);
      const read = await store.readStream(stream);
      assert.equal(read.revision, null, 'not even the valid first event of the batch');
      assert.equal(await store.findCommand(o.commandId), null, 'a refused command does not use up its id');
      // The same command, corrected, goes through.
      const fixed = await store.append(stream, [ev(1), ev(2)], o);
      assert.equal(fixed.revision, 1);
      assert.equal(fixed.duplicate, false);
    });

    test('readAll from the start and from a checkpoint', async () => {
      const s1 = newStream('a');
      const s2 = newStream('b');
      const appended = [
        ...(await store.append(s1, [ev(1), ev(2)], opts('no_stream'))).events,
        ...(await store.append(s2, [ev(3)], opts('no_stream'))).events,
        ...(await store.append(s1, [ev(4)], opts(1))).events,
      ];
      const mine = (e: RecordedEvent) => e.streamId === s1 || e.streamId === s2;

      const fromStart = (await readFeedUntilSeen(store, null, appended)).filter(mine);
      assert.deepEqual(fromStart, appended, 'the feed holds every event, in commit order, as appended');

      const checkpoint = appended[1]!.position;
      const afterCheckpoint = await readFeedUntilSeen(store, checkpoint, appended.slice(2));
      assert.deepEqual(afterCheckpoint.filter(mine), appended.slice(2));
      assert.ok(!afterCheckpoint.some((e) => e.position === checkpoint), 'the checkpoint itself is not repeated');

      const end = appended.at(-1)!.position;
      const nothingNew = await store.readAll(end, 10);
      assert.deepEqual(nothingNew.events.filter(mine), []);
    });

    test('readAll pages with its limit without losing or repeating an event', async () => {
      const stream = newStream();
      const start = await feedEnd(store);
      const first = await store.append(stream, [ev(1), ev(2), ev(3)], opts('no_stream'));
      const second = await store.append(stream, [ev(4), ev(5)], opts(2));
      const whole = await readFeedUntilSeen(store, start, [...first.events, ...second.events]);
      for (const limit of [1, 2, 3]) {
        const paged: RecordedEvent[] = [];
        let position = start;
        for (;;) {
          const page = await store.readAll(position, limit);
          assert.ok(page.events.length <= limit, `a page of at most ${limit}`);
          if (page.events.length === 0) break;
          paged.push(...page.events);
          position = page.position;
        }
        assert.deepEqual(paged, whole, `limit ${limit}`);
      }
      assert.deepEqual(whole.filter((e) => e.streamId === stream).map((e) => e.revision), [0, 1, 2, 3, 4]);
    });

    test('subscribeAll delivers the events appended after it started, once each, in feed order', async () => {
      const stream = newStream();
      const start = await feedEnd(store);
      const got = await takeFromSubscription(store, start, (e) => e.streamId === stream, 6, async () => {
        await store.append(stream, [ev(1), ev(2)], opts('no_stream'));
        await new Promise((r) => setTimeout(r, 50));
        await store.append(stream, [ev(3)], opts(1));
        await new Promise((r) => setTimeout(r, 700));
        await store.append(stream, [ev(4), ev(5), ev(6)], opts(2));
      });
      assert.deepEqual(got.map((e) => e.revision), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(got, (await readFeedUntilSeen(store, start, got)).filter((e) => e.streamId === stream));
    });

    test('subscribeAll from the beginning replays history, then follows', async () => {
      const stream = newStream();
      const before = await store.append(stream, [ev(1)], opts('no_stream'));
      const got = await takeFromSubscription(store, null, (e) => e.streamId === stream, 2, async () => {
        await store.append(stream, [ev(2)], opts(0));
      });
      assert.deepEqual(got.map(pick), [...before.events, ...(await store.readStream(stream)).events.slice(1)].map(pick));
    });

    test('a closed subscription ends its iteration', async () => {
      const subscription = store.subscribeAll(await feedEnd(store));
      const iterating = (async () => {
        const seen: RecordedEvent[] = [];
        for await (const e of subscription) seen.push(e);
        return seen;
      })();
      await new Promise((r) => setTimeout(r, 100));
      await subscription.close();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        iterating.then(() => 'ended'),
        new Promise((r) => (timer = setTimeout(() => r('hung'), 3000))),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, 'ended');
    });

    test('every stream is a hash chain from the genesis hash, and each hash recomputes', async () => {
      const stream = newStream();
      await store.append(stream, [ev(1, '甲'), ev(2)], opts('no_stream'));
      await store.append(stream, [{ type: 'OtherTestEvent', data: { label: '乙' }, occurredAt: '2024-12-31T23:59:59.999Z' }], opts(1));
      await store.append(stream, [ev(3), ev(4), ev(5)], opts('any'));
      const { events } = await store.readStream(stream);
      assert.equal(events.length, 6);
      let prev = GENESIS_HASH;
      for (const e of events) {
        assert.equal(e.prevHash, prev, `prevHash of revision ${e.revision}`);
        assert.equal(e.hash, eventHash(e.prevHash, e), `hash of revision ${e.revision} recomputes`);
        if (subject.macKey) assert.equal(e.mac, eventMac(subject.macKey, e.hash), `mac of revision ${e.revision}`);
        assert.match(e.hash, /^[0-9a-f]{64}$/);
        prev = e.hash;
      }
      // Another stream starts its own chain.
      const other = await store.append(newStream(), [ev(1, '甲')], opts('no_stream'));
      assert.equal(other.events[0]!.prevHash, GENESIS_HASH);
    });
  });
}
