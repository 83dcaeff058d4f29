import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hashProven } from '../../src/eventstore/hash-proof.ts';
import { InvalidEventError, type AppendOptions, type FeedPage, type FeedPosition, type RecordedEvent } from '../../src/eventstore/port.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { eventHash, eventMac } from '../../src/integrity/event-hash.ts';
import { hashMatches } from '../../projections/audit/hash-status.ts';
import { createTestDatabase } from '../support/database.ts';
import { testRegistry } from '../support/test-registry.ts';

const db = await createTestDatabase();

/**
 * The feed read with `proveHashes` (what the projection runner asks for when the audit model runs):
 * a row is taken as stored, without the schema parse, only when its hash recomputes, its MAC is the
 * ledger key's and its schema version is the current one. Each of the three is needed: a forger
 * with database access can recompute a hash, but not the MAC, and an older version must be upcast.
 */
describe('the feed read proving hashes', () => {
  const macKey = randomBytes(32);
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey, notify: false });
  after(() => store.close());
  const actor = { userId: 'u-proof', unitId: 'unit-proof', role: 'CLERK' as const };
  const opts = (expectedRevision: AppendOptions['expectedRevision']): AppendOptions => ({
    expectedRevision,
    commandId: `proof-${randomBytes(6).toString('hex')}`,
    actor,
  });

  /** The stream's events in the feed after `from`, waiting for the feed to show them (it may lag behind commits elsewhere). */
  async function readStreamFromFeed(reader: PostgresEventStore, from: FeedPosition | null, streamId: string, count: number, prove: boolean): Promise<RecordedEvent[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const page: FeedPage = await reader.readAll(from, 10_000, { proveHashes: prove });
      const mine = page.events.filter((e) => e.streamId === streamId);
      if (mine.length >= count) return mine;
      assert.ok(Date.now() < deadline, 'the feed shows the stream');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Rewrites a stored event's payload (and version) with a hash recomputed over it, and a MAC made with `key`. */
  async function forge(e: RecordedEvent, data: unknown, key: Buffer, schemaVersion = e.schemaVersion): Promise<void> {
    const hash = eventHash(e.prevHash, { ...e, schemaVersion, data });
    await db.pool.query('UPDATE events SET data = $1, schema_version = $2, hash = $3, mac = $4 WHERE stream_id = $5 AND revision = $6', [
      JSON.stringify(data),
      schemaVersion,
      hash,
      eventMac(key, hash),
      e.streamId,
      e.revision,
    ]);
  }

  const stream = () => `proof-${randomBytes(4).toString('hex')}`;

  test('events the ledger wrote are proven, and read exactly as the schema-parsing read gives them', async () => {
    const id = stream();
    const { events } = await store.append(id, [{ type: 'TestEvent', data: { n: 1, text: 'padded' } }, { type: 'OtherTestEvent', data: { label: '标签' } }], opts('no_stream'));
    const proven = await readStreamFromFeed(store, null, id, 2, true);
    const parsed = await readStreamFromFeed(store, null, id, 2, false);
    assert.deepEqual(proven, parsed);
    assert.deepEqual(proven, events);
    assert.ok(proven.every(hashProven), 'marked proven');
    assert.ok(!parsed.some(hashProven), 'a read that did not ask proves nothing');
    assert.ok(proven.every(hashMatches) && parsed.every(hashMatches), 'the audit model agrees either way');
    assert.ok(Object.isFrozen(proven[0]!.actor), 'a shared actor cannot be changed by one reader');
  });

  test('a row with a recomputed hash but no MAC of the ledger key is parsed, and refused when it breaks its schema', async () => {
    const id = stream();
    const { events } = await store.append(id, [{ type: 'TestEvent', data: { n: 1 } }, { type: 'TestEvent', data: { n: 2 } }], opts('no_stream'));
    await forge(events[1]!, { n: 'two' }, randomBytes(32));
    await assert.rejects(readStreamFromFeed(store, events[0]!.position, id, 1, true), (e: unknown) => e instanceof InvalidEventError && e.where === `${id}@1`);
    // Fitting its schema, it is handed out, parsed and not proven: the audit model hashes it itself.
    await forge(events[1]!, { n: 3, extra: 'dropped by the schema' }, randomBytes(32));
    const [forged] = await readStreamFromFeed(store, events[0]!.position, id, 1, true);
    assert.equal(hashProven(forged!), false);
    assert.deepEqual(forged!.data, { n: 3 });
    assert.equal(hashMatches(forged!), false, 'its hash covers a key the schema drops');
    await db.pool.query('DELETE FROM events WHERE stream_id = $1', [id]);
  });

  test('a row at another schema version than the current one is parsed even with a good hash and MAC', async () => {
    const id = stream();
    const { events } = await store.append(id, [{ type: 'TestEvent', data: { n: 1 } }, { type: 'TestEvent', data: { n: 2 } }], opts('no_stream'));
    await forge(events[1]!, { n: 2 }, macKey, 2);
    await assert.rejects(readStreamFromFeed(store, events[0]!.position, id, 1, true), (e: unknown) => e instanceof InvalidEventError && /schemaVersion 2/.test(e.issues));
    await db.pool.query('DELETE FROM events WHERE stream_id = $1', [id]);
  });

  test('an altered payload is not proven, and the audit model sees its hash fail', async () => {
    const id = stream();
    const { events } = await store.append(id, [{ type: 'TestEvent', data: { n: 1 } }, { type: 'TestEvent', data: { n: 2 } }], opts('no_stream'));
    await db.pool.query(`UPDATE events SET data = '{"n": 20}' WHERE stream_id = $1 AND revision = 1`, [id]);
    const read = await readStreamFromFeed(store, null, id, 2, true);
    assert.deepEqual(read.map(hashProven), [true, false]);
    assert.deepEqual(read.map(hashMatches), [true, false]);
    assert.deepEqual(read[1]!.data, { n: 20 });
    await db.pool.query('DELETE FROM events WHERE stream_id = $1', [id]);
  });

  test('a store with another MAC key proves nothing, and reads the same events', async () => {
    const id = stream();
    const { events } = await store.append(id, [{ type: 'TestEvent', data: { n: 1 } }], opts('no_stream'));
    const stranger = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32), notify: false });
    try {
      const read = await readStreamFromFeed(stranger, null, id, 1, true);
      assert.deepEqual(read, events);
      assert.equal(hashProven(read[0]!), false);
      assert.equal(hashMatches(read[0]!), true);
    } finally {
      await stranger.close();
    }
  });
});
