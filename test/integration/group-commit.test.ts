import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../../schemas/common.ts';
import { CommandIdReusedError, ConcurrencyError, type AppendResult, type ExpectedRevision } from '../../src/eventstore/port.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { decodeFeedPosition } from '../../src/eventstore/postgres/feed-position.ts';
import { createTestDatabase } from '../support/database.ts';
import { checkStoredStreams } from '../support/event-store-checks.ts';
import { testRegistry } from '../support/test-registry.ts';

// The store's group commit: appends that arrive while its flights are busy leave together, as
// one gongwen_append_batch statement and one commit. With one flight, the first of N appends made
// in the same tick goes alone and the other N-1 wait and leave as one group: deterministic.
const db = await createTestDatabase();
const macKey = randomBytes(32);
const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey, appendFlights: 1 });
after(() => store.close());

const actor: Actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' };
const ev = (n: number, eventId?: string) => ({ type: 'TestEvent', data: { n }, ...(eventId ? { eventId } : {}) });
const stream = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const append = (streamId: string, ns: number[], expectedRevision: ExpectedRevision, commandId = `cmd-${randomUUID()}`) =>
  store.append(streamId, ns.map((n) => ev(n)), { expectedRevision, commandId, actor });
const transactionOf = (r: AppendResult) => decodeFeedPosition(r.events[0]!.position).transactionId;
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

test('appends on many streams that arrive together are committed as one group, each with its own result', async () => {
  const streams = Array.from({ length: 10 }, (_, i) => stream(`many-${i}`));
  const results = await Promise.all(streams.map((s, i) => append(s, [i, i + 100], 'no_stream')));
  assert.deepEqual(results.map((r) => [r.streamId, r.revision, r.duplicate, r.events.length]), streams.map((s) => [s, 1, false, 2]));
  const transactions = results.map(transactionOf);
  assert.equal(new Set(transactions).size, 2, 'the first alone, the nine that waited in one commit');
  assert.equal(new Set(transactions.slice(1)).size, 1);
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, streams), []);
  // The group's tips are cached: each stream's next append chains on in one round trip.
  const next = await append(streams[5]!, [7], 1);
  assert.equal(next.events[0]!.prevHash, results[5]!.events[1]!.hash);
});

test('no append is acknowledged before its events are committed', async () => {
  const streams = Array.from({ length: 6 }, (_, i) => stream(`ack-${i}`));
  const seen = await Promise.all(
    streams.map(async (s, i) => {
      const result = await append(s, [i], 'no_stream');
      // Another connection, after the promise resolved: the events must already be there.
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [s]);
      return [result.revision, rows[0]!.n];
    }),
  );
  assert.deepEqual(seen, streams.map(() => [0, 1]));
});

test('concurrent writers on one stream each append once, in turn, the chain unbroken', async () => {
  const s = stream('one');
  await append(s, [0], 'no_stream');
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => append(s, [i + 1], 'any')));
  assert.deepEqual(results.map((r) => r.revision).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [s]), []);
  // Mixed with appends to other streams: those still group, the one stream's appends still queue.
  const others = Array.from({ length: 4 }, (_, i) => stream(`beside-${i}`));
  const mixed = await Promise.all([...others.map((o) => append(o, [1], 'no_stream')), ...[1, 2, 3].map((n) => append(s, [n], 'any'))]);
  assert.deepEqual(mixed.slice(4).map((r) => r.revision).sort((a, b) => a - b), [13, 14, 15]);
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [s, ...others]), []);
});

test('a command repeated inside a group gets its first outcome; its neighbours are appended once', async () => {
  const [a, b, c, d] = [stream('dup-a'), stream('dup-b'), stream('dup-c'), stream('dup-d')];
  const first = await append(a, [1], 'no_stream', 'cmd-group-dup');
  const blocker = append(stream('dup-blocker'), [0], 'no_stream'); // holds the one flight: the rest form one group
  const [beforeIt, retried, reused, afterIt] = await Promise.all([
    append(b, [2], 'no_stream'),
    append(a, [1], 'no_stream', 'cmd-group-dup'), // the client's retry: the first outcome
    settle(append(d, [9], 'no_stream', 'cmd-group-dup')), // the same key on another stream: refused
    append(c, [3], 'no_stream'),
  ]);
  await blocker;
  assert.equal(retried.duplicate, true);
  assert.deepEqual(retried.events.map((e) => e.hash), first.events.map((e) => e.hash));
  assert.ok('error' in reused && reused.error instanceof CommandIdReusedError);
  assert.deepEqual([beforeIt.duplicate, afterIt.duplicate], [false, false]);
  const { rows } = await db.pool.query<{ stream_id: string; n: number }>(
    'SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1) GROUP BY stream_id ORDER BY stream_id',
    [[a, b, c, d]],
  );
  assert.deepEqual(rows.map((r) => [r.stream_id, r.n]).sort(), [[a, 1], [b, 1], [c, 1]].sort());
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b, c, d]), []);
});

test('one new key on two streams in one group: the first appends, the other is refused as a reused key', async () => {
  const blocker = append(stream('twin-blocker'), [0], 'no_stream');
  const [x, y] = [stream('twin-x'), stream('twin-y')];
  const [one, two] = await Promise.all([append(x, [1], 'no_stream', 'cmd-twin'), settle(append(y, [1], 'no_stream', 'cmd-twin'))]);
  await blocker;
  assert.equal(one.duplicate, false);
  assert.ok('error' in two && two.error instanceof CommandIdReusedError, 'another stream under the same key is a reused key');
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [x, y]), []);
});

test('a stale revision inside a group is refused as it would be alone, and fails none of its neighbours', async () => {
  const [a, b, c] = [stream('stale-a'), stream('stale-b'), stream('stale-c')];
  await append(a, [1], 'no_stream');
  // Another process moves the stream on behind this store's cached tip (revision 0).
  const other = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
  await other.append(a, [ev(2)], { expectedRevision: 0, commandId: `cmd-${randomUUID()}`, actor });
  await other.close();
  const blocker = append(stream('stale-blocker'), [0], 'no_stream');
  const [first, stale, last] = await Promise.all([append(b, [3], 'no_stream'), settle(append(a, [4], 0)), append(c, [5], 'no_stream')]);
  await blocker;
  assert.ok('error' in stale && stale.error instanceof ConcurrencyError);
  assert.equal((stale.error as ConcurrencyError).message.includes(a), true);
  assert.deepEqual([first.revision, last.revision], [0, 0]);
  assert.equal(transactionOf(first) !== transactionOf(last), true, 'the append after the refusal went again, alone');
  const { rows } = await db.pool.query<{ stream_id: string; n: number }>(
    'SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1) GROUP BY stream_id ORDER BY stream_id',
    [[a, b, c]],
  );
  assert.deepEqual(rows.map((r) => [r.stream_id, r.n]).sort(), [[a, 2], [b, 1], [c, 1]].sort());
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b, c]), []);
});

test('an append the database refuses (an event id already used) fails alone; the rest of its group is appended', async () => {
  const used = randomUUID();
  await store.append(stream('used'), [ev(0, used)], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor });
  const [a, b, c] = [stream('fault-a'), stream('fault-b'), stream('fault-c')];
  const blocker = append(stream('fault-blocker'), [0], 'no_stream');
  const outcomes = await Promise.all([
    settle(append(a, [1], 'no_stream')),
    settle(store.append(b, [ev(2, used)], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor })),
    settle(append(c, [3], 'no_stream')),
    // Refused before it waits for a flight: an invalid event.
    settle(store.append(stream('fault-d'), [{ type: 'TestEvent', data: { n: 'x' } }], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor })),
  ]);
  await blocker;
  assert.deepEqual(outcomes.map((o) => 'value' in o), [true, false, true, false]);
  assert.equal((outcomes[1] as { error: { code?: string } }).error.code, '23505', 'the unique violation of its own event id');
  const { rows } = await db.pool.query<{ stream_id: string }>('SELECT stream_id FROM events WHERE stream_id = ANY($1) ORDER BY stream_id', [[a, b, c]]);
  assert.deepEqual(rows.map((r) => r.stream_id), [a, c].sort());
  const { rows: commands } = await db.pool.query('SELECT 1 FROM commands WHERE stream_id = $1', [b]);
  assert.equal(commands.length, 0, 'the refused append used up no command id');
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b, c]), []);
});

test('appendFlights must be a positive integer', () => {
  assert.throws(() => new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey, appendFlights: 0 }), RangeError);
});
