import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { EventStoreDbEventStore } from '../../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import { InvalidEventError, type AppendOptions, type RecordedEvent } from '../../src/eventstore/port.ts';
import { EventStoreDbTestDouble } from '../support/eventstoredb-test-double.ts';
import { testRegistry } from '../support/test-registry.ts';

const actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' as const };
const ev = (n: number) => ({ type: 'TestEvent', data: { n } });
const newStream = () => `test-esdb${randomUUID().replaceAll('-', '')}`;
const opts = (expectedRevision: AppendOptions['expectedRevision'], extra: Partial<AppendOptions> = {}): AppendOptions => ({
  expectedRevision,
  commandId: `cmd-${randomUUID()}`,
  actor,
  ...extra,
});
const childScript = fileURLToPath(new URL('../support/eventstoredb-writer-child.ts', import.meta.url));

async function withStore<T>(fn: (store: EventStoreDbEventStore, double: EventStoreDbTestDouble, macKey: Buffer) => Promise<T>, firstPosition?: bigint): Promise<T> {
  const double = await new EventStoreDbTestDouble(firstPosition === undefined ? {} : { firstPosition }).start();
  const macKey = randomBytes(32);
  const store = new EventStoreDbEventStore({ url: double.url, registry: testRegistry, macKey, categories: ['test-'], resubscribeDelayMs: 50 });
  try {
    return await fn(store, double, macKey);
  } finally {
    await store.close();
    await double.stop();
  }
}

describe('EventStoreDbEventStore specifics (against the gRPC test double)', () => {
  test('a subscription the server drops mid-stream resumes after its last event: no loss, no duplicate', () =>
    withStore(async (store, double) => {
      const stream = newStream();
      const subscription = store.subscribeAll(null);
      const got: RecordedEvent[] = [];
      let dropped = 0;
      const reading = (async () => {
        for await (const e of subscription) {
          got.push(e);
          // Mid-stream: after the 3rd event (the rest of its batch is still on the wire).
          if (got.length === 3) dropped = double.dropSubscriptions();
          if (got.length === 12) break;
        }
      })();
      let revision: number | null = null;
      for (let i = 0; i < 6; i++) {
        revision = (await store.append(stream, [ev(i * 2), ev(i * 2 + 1)], opts(revision ?? 'no_stream'))).revision;
        await new Promise((r) => setTimeout(r, 30));
      }
      await reading;
      await subscription.close();
      assert.equal(dropped, 1, 'the test double cut the live subscription');
      assert.ok(subscription.opened >= 2, 'the adapter subscribed again');
      assert.deepEqual(got.map((e) => e.revision), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual(got, (await store.readStream(stream)).events);
    }));

  test('a one-event append costs two round trips (the plan, the event) and answers exactly what a read shows', () =>
    withStore(async (store, double) => {
      const stream = newStream();
      await store.append(stream, [ev(0)], opts('no_stream'));
      const [appends, reads] = [double.appendCalls, double.readCalls];
      const one = await store.append(stream, [ev(1)], opts(0));
      assert.deepEqual([double.appendCalls - appends, double.readCalls - reads], [2, 0], 'no read-back of a single event');
      const two = await store.append(stream, [ev(2), ev(3)], opts(1));
      assert.deepEqual([double.appendCalls - appends, double.readCalls - reads], [4, 1], 'several events are read back for their own positions');
      assert.deepEqual((await store.readStream(stream)).events.slice(1), [...one.events, ...two.events]);
      assert.deepEqual((await store.readAll(null, 10)).events.slice(1), [...one.events, ...two.events]);
    }));

  test('positions above 2^53 survive append, readAll and a subscription exactly', () =>
    withStore(async (store, double) => {
      const stream = newStream();
      const { events } = await store.append(stream, [ev(1), ev(2), ev(3)], opts('no_stream'));
      const mine = double.log.filter((r) => r.streamId === stream);
      const exact = mine.map((r) => `esdb:${r.position}/${r.position}`);
      assert.deepEqual(events.map((e) => e.position), exact, 'each event names its own exact log position');
      assert.ok(mine.every((r) => r.position > 2n ** 53n));
      // Up here a double cannot tell odd positions from their neighbours: the text must carry them.
      assert.ok(mine.some((r) => BigInt(Number(r.position)) !== r.position), 'a number would have rounded one of them');
      const page = await store.readAll(events[0]!.position, 10);
      assert.deepEqual(page.events.map((e) => e.revision), [1, 2], 'readAll continues exactly after the first event');
      const subscription = store.subscribeAll(events[1]!.position);
      const after: RecordedEvent[] = [];
      for await (const e of subscription) {
        after.push(e);
        break;
      }
      await subscription.close();
      assert.deepEqual(after.map((e) => e.position), [exact[2]]);
    }, 2n ** 53n + 1n));

  for (const moment of ['before the events are stored', 'after the events are stored, before the answer'] as const) {
    test(`a writer killed between the adapter's writes (${moment}) is completed exactly once by a retry`, () =>
      withStore(async (store, double, macKey) => {
        const stream = newStream();
        const commandId = `cmd-${randomUUID()}`;
        const child = spawn(process.execPath, ['--import', 'tsx', childScript, double.url, stream, commandId, macKey.toString('hex')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
        const kill = async (a: { streamId: string }) => {
          if (a.streamId !== stream) return;
          child.kill('SIGKILL');
          await exited;
          throw new Error('writer killed');
        };
        if (moment === 'before the events are stored') double.beforeAppend = kill;
        else double.afterAppend = kill;
        // A child process starting tsx on a busy machine can take many seconds before its first write.
        const signal = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 90_000).unref())]);
        assert.equal(signal, 'SIGKILL', `the writer was killed mid-append\n${stderr}`);
        double.beforeAppend = double.afterAppend = null;
        const storedBefore = (await store.readStream(stream)).events.length;
        assert.equal(storedBefore, moment === 'before the events are stored' ? 0 : 2);

        // The retry: the same command, decided again by a handler (here: the same two events).
        const retryOptions = opts(storedBefore === 0 ? 'no_stream' : 1, { commandId, commandHash: 'fingerprint-child' });
        const retry = await store.append(stream, [ev(1), ev(2)], retryOptions);
        const again = await store.append(stream, [ev(1), ev(2)], retryOptions);
        const { events } = await store.readStream(stream);
        assert.equal(events.length, 2, 'the command landed exactly once');
        assert.deepEqual(events.map((e) => (e.data as { text?: string }).text), ['child', 'child'], "the first run's own events");
        assert.deepEqual(retry.events, events);
        assert.deepEqual(again.events, events);
        assert.equal(again.duplicate, true);
        assert.deepEqual((await store.findCommand(commandId))?.events, events);
      }));
  }

  test("a planned command whose place was taken is abandoned, and its retry is decided again", () =>
    withStore(async (store, double) => {
      const stream = newStream();
      const commandId = `cmd-${randomUUID()}`;
      double.beforeAppend = (a) => {
        if (a.streamId === stream) throw new Error('connection lost');
      };
      await assert.rejects(store.append(stream, [ev(1)], opts('no_stream', { commandId, commandHash: 'h' })));
      double.beforeAppend = null;
      assert.equal(await store.findCommand(commandId), null, 'a plan not in its stream is no outcome');
      await store.append(stream, [ev(100)], opts('no_stream')); // another command takes revision 0
      const retry = await store.append(stream, [ev(2), ev(3)], opts(0, { commandId, commandHash: 'h' }));
      assert.equal(retry.duplicate, false);
      const { events } = await store.readStream(stream);
      assert.deepEqual(events.map((e) => (e.data as { n: number }).n), [100, 2, 3]);
      assert.deepEqual((await store.findCommand(commandId))?.events, events.slice(1));
    }));

  test('an event appended behind the adapter (no ledger MAC) is refused on read, naming where', () =>
    withStore(async (store, double, macKey) => {
      const stream = newStream();
      const { events } = await store.append(stream, [ev(1)], opts('no_stream'));
      const first = events[0]!;
      const raw = EventStoreDBClient.connectionString(double.url);
      try {
        // A forger copies the envelope and recomputes nothing: the chain link holds, the hash does not.
        await raw.appendToStream(stream, jsonEvent({ type: 'TestEvent', data: { n: 666 }, metadata: { ...metadataOf(first), prevHash: first.hash } }));
      } finally {
        await raw.dispose();
      }
      await assert.rejects(store.readStream(stream), (e: unknown) => e instanceof InvalidEventError && e.where === `${stream}@1`);
      void macKey;
    }));
});

function metadataOf(e: RecordedEvent) {
  return {
    schemaVersion: e.schemaVersion,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    commandId: e.commandId,
    commandHash: null,
    correlationId: e.correlationId,
    causationId: e.causationId,
    prevHash: e.prevHash,
    hash: e.hash,
    mac: e.mac,
  };
}
