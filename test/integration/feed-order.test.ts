import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../../schemas/common.ts';
import { FeedOrderError, PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../support/database.ts';
import { testRegistry } from '../support/test-registry.ts';

const actor: Actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' };
const opts = () => ({ expectedRevision: 'any' as const, commandId: `cmd-${randomUUID()}`, actor });

// Issue 9, item 13: the feed orders by transaction id, so an append inside a transaction that took
// its id before the stream's tip was written would replay the stream out of revision order.
test('appendWithin refuses to append behind a younger transaction, so a stream never runs backwards in the feed', async () => {
  const db = await createTestDatabase();
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32) });
  after(() => store.close());
  await store.append('document-ordered', [{ type: 'TestEvent', data: { n: 0 } }], opts());

  const held = await db.pool.connect();
  try {
    await held.query('BEGIN');
    await held.query('SELECT pg_current_xact_id()'); // the caller's transaction takes its id now
    await store.append('document-ordered', [{ type: 'TestEvent', data: { n: 1 } }], opts()); // a younger one writes revision 1
    await assert.rejects(store.appendWithin(held, 'document-ordered', [{ type: 'TestEvent', data: { n: 2 } }], opts()), FeedOrderError);
    await held.query('ROLLBACK');

    // The same transaction may still append to another stream (nothing of it is older than itself).
    await held.query('BEGIN');
    await held.query('SELECT pg_current_xact_id()');
    await store.append('document-ordered', [{ type: 'TestEvent', data: { n: 3 } }], opts());
    await store.appendWithin(held, 'document-elsewhere', [{ type: 'TestEvent', data: { n: 4 } }], opts());
    await held.query('COMMIT');
  } finally {
    held.release();
  }
  await store.awaitVisible();
  const feed = (await store.readAll(null, 100)).events.filter((e) => e.streamId === 'document-ordered');
  assert.deepEqual(feed.map((e) => e.revision), [0, 1, 2], 'the stream replays in revision order');
  assert.deepEqual(feed.map((e) => (e.data as { n: number }).n), [0, 1, 3]);
});

test('a pooled append that queued behind a younger writer on the tip lock still lands in order', async () => {
  const db = await createTestDatabase();
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32) });
  after(() => store.close());
  // Many writers without a fixed expectation on one stream: they overtake each other, then queue
  // on the stream's row lock (the path where a transaction id is taken before the wait).
  await Promise.all(Array.from({ length: 24 }, (_, n) => store.append('document-busy', [{ type: 'TestEvent', data: { n } }], opts())));
  await store.awaitVisible();
  const feed = (await store.readAll(null, 100)).events;
  assert.deepEqual(feed.map((e) => e.revision), Array.from({ length: 24 }, (_, i) => i));
});
