import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../../schemas/common.ts';
import { ConcurrencyError } from '../../src/eventstore/port.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import type { BatchAppend } from '../../src/eventstore/port.ts';
import { decodeFeedPosition } from '../../src/eventstore/postgres/feed-position.ts';
import { createTestDatabase } from '../support/database.ts';
import { checkStoredStreams } from '../support/event-store-checks.ts';
import { testRegistry } from '../support/test-registry.ts';

// The store's bulk path (migration 190): many appends in one transaction, each chained and checked
// as a single append is, all or nothing, falling back to one-by-one appends on any refusal.
const db = await createTestDatabase();
const macKey = randomBytes(32);
const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
after(() => store.close());

const actor: Actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' };
const ev = (n: number) => ({ type: 'TestEvent', data: { n } });
const append = (streamId: string, ns: number[], expectedRevision: BatchAppend['options']['expectedRevision'], commandId = `cmd-${randomUUID()}`): BatchAppend => ({
  streamId,
  events: ns.map(ev),
  options: { expectedRevision, commandId, actor },
});
const stream = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

test('a batch appends every stream in one transaction, a later append to a stream of the batch chaining from the earlier one', async () => {
  const [a, b] = [stream('batch-a'), stream('batch-b')];
  const results = await store.appendBatch([append(a, [1, 2], 'no_stream'), append(b, [3], 'no_stream'), append(a, [4], 1)]);
  assert.deepEqual(results.map((r) => [r.streamId, r.revision, r.duplicate]), [[a, 1, false], [b, 0, false], [a, 2, false]]);
  assert.equal(results[2]!.events[0]!.prevHash, results[0]!.events[1]!.hash);
  const transactions = new Set(results.flatMap((r) => r.events.map((e) => decodeFeedPosition(e.position).transactionId)));
  assert.equal(transactions.size, 1, 'one transaction');
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b]), [], 'chains, MACs, tips and command rows as single appends leave them');
  // The tips are cached: the next single append is one round trip and chains on.
  const next = await store.append(a, [ev(5)], { expectedRevision: 2, commandId: `cmd-${randomUUID()}`, actor });
  assert.equal(next.revision, 3);
  await store.awaitVisible();
  const feed = (await store.readAll(null, 1000)).events.filter((e) => e.streamId === a);
  assert.deepEqual(feed.map((e) => (e.data as { n: number }).n), [1, 2, 4, 5], 'the stream replays in revision order');
});

test('a repeated command in a batch gets its first outcome and the rest are appended once (one by one after the rollback)', async () => {
  const [a, b] = [stream('dup-a'), stream('dup-b')];
  const first = await store.append(a, [ev(1)], { expectedRevision: 'no_stream', commandId: 'cmd-dup-first', actor });
  const results = await store.appendBatch([append(b, [2], 'no_stream'), append(a, [1], 'no_stream', 'cmd-dup-first'), append(b, [3], 0)]);
  assert.deepEqual(results.map((r) => r.duplicate), [false, true, false]);
  assert.equal(results[1]!.events[0]!.hash, first.events[0]!.hash);
  const { rows } = await db.pool.query<{ stream_id: string; n: number }>('SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1) GROUP BY stream_id ORDER BY stream_id', [[a, b]]);
  assert.deepEqual(rows.map((r) => [r.stream_id, r.n]), [[a, 1], [b, 2]]);
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b]), []);
});

test('a stale expectation refuses as a single append would, and the batch leaves nothing half-written before it', async () => {
  const [a, b] = [stream('stale-a'), stream('stale-b')];
  await store.append(a, [ev(1)], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor });
  // Another process moves the stream on behind this store's cached tip.
  const other = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
  await other.append(a, [ev(2)], { expectedRevision: 0, commandId: `cmd-${randomUUID()}`, actor });
  await other.close();
  await assert.rejects(store.appendBatch([append(b, [3], 'no_stream'), append(a, [4], 0)]), ConcurrencyError);
  // One by one after the rollback: b's append stands on its own, a's was refused.
  const { rows } = await db.pool.query<{ stream_id: string; n: number }>('SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1) GROUP BY stream_id ORDER BY stream_id', [[a, b]]);
  assert.deepEqual(rows.map((r) => [r.stream_id, r.n]), [[a, 2], [b, 1]]);
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, [a, b]), []);
});

test('an invalid event anywhere in a batch refuses it before anything is written', async () => {
  const [a, b] = [stream('invalid-a'), stream('invalid-b')];
  const bad: BatchAppend = { streamId: b, events: [{ type: 'TestEvent', data: { n: 'not a number' } }], options: { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor } };
  await assert.rejects(store.appendBatch([append(a, [1], 'no_stream'), bad]));
  const { rows } = await db.pool.query('SELECT 1 FROM events WHERE stream_id = ANY($1)', [[a, b]]);
  assert.equal(rows.length, 0);
});
