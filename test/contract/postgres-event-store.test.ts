import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { InvalidEventError, type AppendOptions, type FeedPage, type RecordedEvent } from '../../src/eventstore/port.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../support/database.ts';
import { testRegistry } from '../support/test-registry.ts';
import { eventStoreContract } from './event-store.contract.ts';

const db = await createTestDatabase();

eventStoreContract('PostgresEventStore', async () => {
  const macKey = randomBytes(32);
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
  return { store, macKey, teardown: () => store.close() };
});

describe('PostgresEventStore specifics', () => {
  const actor = { userId: 'u-1', unitId: 'unit-1', role: 'CLERK' as const };
  let seq = 0;
  const opts = (expectedRevision: AppendOptions['expectedRevision']): AppendOptions => ({
    expectedRevision,
    commandId: `pg-specific-${++seq}-${randomBytes(3).toString('hex')}`,
    actor,
  });
  const ev = (n: number) => ({ type: 'TestEvent', data: { n } });

  /** The real pool, counting the statements the store sends through it. */
  function countingPool(): { pool: pg.Pool; count: () => number; reset: () => void } {
    let n = 0;
    const pool = new Proxy(db.pool, {
      get(target, key, receiver) {
        if (key === 'query') {
          return (...args: unknown[]) => {
            n++;
            return (target.query as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { pool, count: () => n, reset: () => (n = 0) };
  }

  test('an append is one round trip when the stream tip is known, two when it is not', async () => {
    const counted = countingPool();
    const store = new PostgresEventStore({ pool: counted.pool, registry: testRegistry, macKey: randomBytes(32), notify: false });
    const stream = `pg-rt-${randomBytes(4).toString('hex')}`;
    try {
      counted.reset();
      await store.append(stream, [ev(1), ev(2), ev(3)], opts('no_stream'));
      assert.equal(counted.count(), 1, 'new stream');
      counted.reset();
      await store.append(stream, [ev(4), ev(5)], opts(2));
      assert.equal(counted.count(), 1, 'tip cached by the previous append');

      const cold = new PostgresEventStore({ pool: counted.pool, registry: testRegistry, macKey: randomBytes(32), notify: false });
      counted.reset();
      await cold.readStream(stream);
      await cold.append(stream, [ev(6)], opts(4));
      assert.equal(counted.count(), 2, 'tip cached by readStream: one read, one append');
      await cold.close();

      const colder = new PostgresEventStore({ pool: counted.pool, registry: testRegistry, macKey: randomBytes(32), notify: false });
      counted.reset();
      await colder.append(stream, [ev(7)], opts(5));
      assert.equal(counted.count(), 2, 'unknown tip: probe, then append');
      await colder.close();
    } finally {
      await store.close();
    }
  });

  test('a lone append carries the due NOTIFY in its own statement; one writer sends no NOTIFY of its own', async () => {
    let notifies = 0;
    const counted = countingPool();
    const pool = new Proxy(counted.pool, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (key !== 'query') return value;
        return (config: unknown, ...rest: unknown[]) => {
          if ((config as { name?: string })?.name === 'gongwen_notify') notifies++;
          return (value as (...a: unknown[]) => unknown)(config, ...rest);
        };
      },
    });
    const store = new PostgresEventStore({ pool, registry: testRegistry, macKey: randomBytes(32) });
    const listener = await db.pool.connect();
    const heard: number[] = [];
    listener.on('notification', (m) => {
      if (m.channel === 'gongwen_events') heard.push(Date.now());
    });
    await listener.query('LISTEN gongwen_events');
    const heardAfter = async (since: number) => {
      for (let i = 0; i < 200 && !heard.some((t) => t >= since); i++) await new Promise((r) => setTimeout(r, 10));
      return heard.some((t) => t >= since);
    };
    try {
      counted.reset();
      const first = Date.now();
      await store.append(`pg-carry-${randomBytes(4).toString('hex')}`, [ev(1)], opts('no_stream'));
      assert.equal(counted.count(), 1, 'the append and its NOTIFY: one statement');
      assert.equal(notifies, 0);
      assert.ok(await heardAfter(first), 'the append was announced');

      // One writer back to back: every announcement rides on an append that was leaving anyway.
      await new Promise((r) => setTimeout(r, 30));
      counted.reset();
      heard.length = 0;
      let appends = 0;
      const started = Date.now();
      while (Date.now() - started < 300) {
        await store.append(`pg-carry-${randomBytes(4).toString('hex')}`, [ev(1)], opts('no_stream'));
        appends++;
      }
      assert.ok(heard.length >= 3, `announced along the way (${heard.length} notifications in 300 ms)`);
      // The last commits are announced within the gap, by the announcer's own NOTIFY at most.
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(notifies <= 1, `${notifies} NOTIFY statements of its own`);
      assert.equal(counted.count(), appends + notifies);
    } finally {
      listener.release(true);
      await store.close();
    }
  });

  test('a stale cached tip (another process appended) costs a retry, never a broken chain', async () => {
    const macKey = randomBytes(32);
    const a = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
    const b = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
    const stream = `pg-stale-${randomBytes(4).toString('hex')}`;
    try {
      await a.append(stream, [ev(0)], opts('no_stream'));
      await b.readStream(stream); // b caches revision 0
      await a.append(stream, [ev(1)], opts(0));
      await a.append(stream, [ev(2)], opts(1));
      assert.equal((await b.append(stream, [ev(3)], opts('any'))).revision, 3);
      await a.append(stream, [ev(4)], opts('any')); // a's cache is stale now
      assert.equal((await b.append(stream, [ev(5)], opts(4))).revision, 5);
      const { events } = await a.readStream(stream);
      assert.deepEqual(events.map((e) => e.revision), [0, 1, 2, 3, 4, 5]);
      events.slice(1).forEach((e, i) => assert.equal(e.prevHash, events[i]!.hash));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a stored event that no longer fits its schema is reported on read, naming where it is', async () => {
    const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32) });
    const stream = `pg-bad-${randomBytes(4).toString('hex')}`;
    try {
      const { events } = await store.append(stream, [ev(0), ev(1)], opts('no_stream'));
      await db.pool.query(`UPDATE events SET data = '{"n": "one"}' WHERE stream_id = $1 AND revision = 1`, [stream]);
      const isInvalid = (e: unknown) =>
        e instanceof InvalidEventError && e.type === 'TestEvent' && e.where === `${stream}@1` && /n/.test(e.issues);
      await assert.rejects(store.readStream(stream), isInvalid);
      // The feed may lag behind commits elsewhere on the server; it must fail once it gets there.
      const deadline = Date.now() + 20_000;
      for (;;) {
        let page: FeedPage | undefined;
        let failure: unknown;
        try {
          page = await store.readAll(events[0]!.position, 10);
        } catch (error) {
          failure = error;
        }
        if (!page) {
          assert.ok(isInvalid(failure), String(failure));
          break;
        }
        assert.equal(page.events.length, 0, 'the broken event is never handed out');
        assert.ok(Date.now() < deadline, 'the feed reached the broken event');
        await new Promise((r) => setTimeout(r, 50));
      }
      await db.pool.query(`UPDATE events SET type = 'Vanished', data = '{"n": 1}' WHERE stream_id = $1 AND revision = 1`, [stream]);
      await assert.rejects(store.readStream(stream), (e: unknown) => e instanceof InvalidEventError && e.where === `${stream}@1`);
      await db.pool.query(`DELETE FROM events WHERE stream_id = $1 AND revision = 1`, [stream]);
    } finally {
      await store.close();
    }
  });

  test('the feed orders transaction ids as numbers, not as text (99 before 100)', async () => {
    // Rows written as if by old transactions 5, 9, 10, 99 and 100 (long finished even on a fresh
    // cluster); as text they would sort 10 < 100 < 5 < 9 < 99.
    const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32) });
    const stream = `pg-order-${randomBytes(4).toString('hex')}`;
    const txids = [100, 99, 10, 9, 5];
    try {
      for (const [i, txid] of txids.entries()) {
        await db.pool.query(
          `INSERT INTO events (transaction_id, stream_id, revision, event_id, type, schema_version, data, occurred_at, recorded_at,
                              actor, command_id, correlation_id, prev_hash, hash, mac)
           VALUES ($1::text::xid8, $2, $3, gen_random_uuid(), 'TestEvent', 1, $4, now(), now(), $5, 'c', 'c', 'p', 'h', 'm')`,
          [txid, stream, i, JSON.stringify({ n: txid }), JSON.stringify(actor)],
        );
      }
      const mine: RecordedEvent[] = [];
      let position: string | null = null;
      for (;;) {
        const page = await store.readAll(position, 2);
        if (page.events.length === 0) break;
        mine.push(...page.events.filter((e) => e.streamId === stream));
        position = page.position;
      }
      assert.deepEqual(mine.map((e) => (e.data as { n: number }).n), [5, 9, 10, 99, 100]);
    } finally {
      await db.pool.query('DELETE FROM events WHERE stream_id = $1', [stream]);
      await store.close();
    }
  });

  test('a position from another adapter or garbage is refused', async () => {
    const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: randomBytes(32) });
    try {
      await assert.rejects(store.readAll('esdb:123/456', 10), TypeError);
      assert.throws(() => store.subscribeAll('17'), TypeError);
      await assert.rejects(store.readAll(null, 0), RangeError);
    } finally {
      await store.close();
    }
  });

  test('a subscriber in another store is woken by NOTIFY, not by its poll', async () => {
    const macKey = randomBytes(32);
    const writer = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
    // A poll this slow would miss the deadline below: only notifications can be in time.
    const reader = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey, pollIntervalMs: 120_000 });
    const stream = `pg-notify-${randomBytes(4).toString('hex')}`;
    const subscription = reader.subscribeAll((await reader.readAll(null, 100_000)).position);
    let got: RecordedEvent | undefined;
    const reading = (async () => {
      for await (const e of subscription) {
        if (e.streamId === stream) {
          got = e;
          break;
        }
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 200)); // the listener is connected and the first read came back empty
      // Keep appending: a notification that arrives while an older transaction elsewhere on the
      // server still hides the event is answered by an empty read, so the next one must come.
      const deadline = Date.now() + 20_000;
      for (let revision: number | null = null; !got; ) {
        assert.ok(Date.now() < deadline, 'woken by a notification within 20 s');
        revision = (await writer.append(stream, [ev(1)], opts(revision ?? 'no_stream'))).revision;
        await new Promise((r) => setTimeout(r, 200));
      }
      await reading;
      assert.equal(got.revision, 0, 'from the first event on');
    } finally {
      await subscription.close();
      await writer.close();
      await reader.close();
    }
  });

  test('a listener connection that dies is replaced, and notifications flow again', async () => {
    const macKey = randomBytes(32);
    const writer = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
    const reader = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey, pollIntervalMs: 120_000 });
    const stream = `pg-relisten-${randomBytes(4).toString('hex')}`;
    const subscription = reader.subscribeAll((await reader.readAll(null, 100_000)).position);
    let got: RecordedEvent | undefined;
    const reading = (async () => {
      for await (const e of subscription) {
        if (e.streamId === stream) {
          got = e;
          break;
        }
      }
    })();
    const listenerPids = async () =>
      (
        await db.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN gongwen_events'`,
        )
      ).rows.map((r) => r.pid);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const [pid] = await listenerPids();
      assert.ok(pid, 'the reader listens on its own connection');
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      const deadline = Date.now() + 20_000;
      for (let revision: number | null = null; !got; ) {
        assert.ok(Date.now() < deadline, 'woken by a notification on a new listener within 20 s');
        revision = (await writer.append(stream, [ev(1)], opts(revision ?? 'no_stream'))).revision;
        await new Promise((r) => setTimeout(r, 200));
      }
      await reading;
      const now = await listenerPids();
      assert.equal(now.length, 1);
      assert.notEqual(now[0], pid);
    } finally {
      await subscription.close();
      await writer.close();
      await reader.close();
    }
    // close() gives the listener connection up (the server may take a moment to see it go).
    let left = await listenerPids();
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await listenerPids();
    }
    assert.deepEqual(left, [], 'no listener left after close()');
  });
});
