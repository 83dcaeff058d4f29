import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { allMigrations, createPool, ensureDatabase } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ConcurrencyError, type AppendOptions, type FeedPosition, type RecordedEvent } from '../../src/eventstore/port.ts';
import { decodeFeedPosition } from '../../src/eventstore/postgres/feed-position.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../support/database.ts';
import { checkStoredStreams } from '../support/event-store-checks.ts';
import { testRegistry } from '../support/test-registry.ts';

const db = await createTestDatabase();
// A second pool, so competing writers really come from separate connections like separate processes.
const writersPool = createPool(db.url, { max: 12 });
writersPool.on('error', () => {});
after(() => writersPool.end());

const macKey = randomBytes(32);
const actor = { userId: 'writer', unitId: 'unit-c', role: 'CLERK' as const };
const newStore = (pool: pg.Pool = db.pool) => new PostgresEventStore({ pool, registry: testRegistry, macKey });
const ev = (n: number) => ({ type: 'TestEvent', data: { n } });
let commandSeq = 0;
const opts = (expectedRevision: AppendOptions['expectedRevision'], extra: Partial<AppendOptions> = {}): AppendOptions => ({
  expectedRevision,
  commandId: `conc-${++commandSeq}-${randomBytes(4).toString('hex')}`,
  actor,
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const txidOf = (position: FeedPosition) => BigInt(decodeFeedPosition(position).transactionId);

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function readWholeFeed(store: PostgresEventStore, from: FeedPosition | null): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let position = from;
  for (;;) {
    const page = await store.readAll(position, 500);
    if (page.events.length === 0) return all;
    all.push(...page.events);
    position = page.position;
  }
}

describe('one stream, competing writers', () => {
  test('two writers with the same expected revision: exactly one wins each revision', async () => {
    // Two stores = two processes: separate caches, separate connections.
    const a = newStore(db.pool);
    const b = newStore(writersPool);
    const stream = 'race-two-writers';
    const rounds = 60;
    const wins = { a: 0, b: 0 };
    try {
      for (let r = 0; r < rounds; r++) {
        const expected = r === 0 ? 'no_stream' : r - 1;
        const outcomes = await Promise.allSettled([
          a.append(stream, [ev(r)], opts(expected)),
          b.append(stream, [ev(-r)], opts(expected)),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        assert.equal(won.length, 1, `round ${r}: exactly one winner`);
        assert.equal(lost.length, 1);
        const error = lost[0]!.reason as unknown;
        assert.ok(error instanceof ConcurrencyError, `round ${r}: ${String(error)}`);
        assert.equal(error.expected, expected);
        assert.equal(error.actual, r, `round ${r}: the loser is told the winner's revision`);
        if (outcomes[0]!.status === 'fulfilled') wins.a++;
        else wins.b++;
      }
    } finally {
      await a.close();
      await b.close();
    }
    assert.equal(wins.a + wins.b, rounds);
    const check = newStore();
    assert.equal((await check.readStream(stream)).revision, rounds - 1);
    await check.close();
    assert.deepEqual(await checkStoredStreams(db.pool, macKey, [stream]), []);
  });

  test('ten writers appending with expectedRevision "any" all land, chained in one line', async () => {
    const stores = Array.from({ length: 10 }, (_, i) => newStore(i % 2 ? writersPool : db.pool));
    const stream = 'race-any';
    try {
      await Promise.all(
        stores.map(async (store, w) => {
          for (let i = 0; i < 15; i++) await store.append(stream, [ev(w * 100 + i), ev(w * 100 + i)], opts('any'));
        }),
      );
      const read = await stores[0]!.readStream(stream);
      assert.equal(read.events.length, 10 * 15 * 2);
      assert.equal(read.revision, 299);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    assert.deepEqual(await checkStoredStreams(db.pool, macKey, [stream]), []);
  });

  test('two identical commands racing: one appends, the other gets its outcome as a duplicate', async () => {
    const a = newStore(db.pool);
    const b = newStore(writersPool);
    try {
      for (let r = 0; r < 20; r++) {
        const stream = `twin-${r}`;
        // Half the rounds on a stream that already exists, so the twins race on the UPDATE path too.
        if (r % 2) await a.append(stream, [ev(-1)], opts('no_stream'));
        const o = opts(r % 2 ? 0 : 'no_stream', { commandHash: 'same-fingerprint' });
        const [x, y] = await Promise.all([a.append(stream, [ev(r), ev(r)], o), b.append(stream, [ev(r), ev(r)], o)]);
        assert.deepEqual([x.duplicate, y.duplicate].sort(), [false, true], `round ${r}`);
        assert.deepEqual(x.events, y.events, `round ${r}: both see the one stored outcome`);
        const read = await a.readStream(stream);
        assert.equal(read.events.length, r % 2 ? 3 : 2, `round ${r}: appended once`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/**
 * A server of its own: a transaction held open stalls the feed of every database on its server
 * (the horizon is cluster-wide), and the other test files of the suite must not wait on ours.
 */
async function privateServer(): Promise<{ url: string; pool: pg.Pool; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-held-'));
  const server = await startEmbeddedPostgres(dir, { persistent: false });
  await ensureDatabase(server.adminUrl, 'held');
  const url = server.urlFor('held');
  const pool = createPool(url, { max: 60 });
  pool.on('error', () => {});
  await migrate(pool, allMigrations);
  return {
    url,
    pool,
    async close() {
      try {
        await pool.end();
      } finally {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

describe('global feed under concurrent writers, with transactions held open', () => {
  let own: Awaited<ReturnType<typeof privateServer>>;
  before(async () => {
    own = await privateServer();
  });
  after(async () => {
    await own?.close();
  });

  test('awaitVisible waits for the transactions running when it was called', async () => {
    const store = newStore(own.pool);
    const held = new pg.Client({ connectionString: own.url });
    try {
      await held.connect();
      await held.query('BEGIN');
      const late = await store.appendWithin(held, 'visible-held', [ev(1)], opts('no_stream'));
      const later = await store.append('visible-later', [ev(2)], opts('no_stream'));
      await assert.rejects(store.awaitVisible(300), /held open/);
      const hidden = await store.readAll(null, 1000);
      assert.ok(!hidden.events.some((e) => e.streamId.startsWith('visible-')), 'both hidden while the older one is open');
      const waiting = store.awaitVisible(10_000);
      await held.query('COMMIT');
      await waiting;
      const shown = (await store.readAll(null, 1000)).events.filter((e) => e.streamId.startsWith('visible-'));
      assert.deepEqual(
        shown.map((e) => e.eventId),
        [late.events[0]!.eventId, later.events[0]!.eventId],
        'in transaction order: the one held open first, though it committed last',
      );
    } finally {
      await held.end().catch(() => {});
      await store.close();
    }
  });

  test('a follower sees every committed event exactly once, in a stable order, including a late commit', async () => {
    const writers = 50;
    const appendsPerWriter = 8;
    const store = newStore(own.pool);
    const follower = newStore(own.pool);
    const start = (await readWholeFeed(follower, null)).at(-1)?.position ?? null;

    const received: RecordedEvent[] = [];
    const subscription = follower.subscribeAll(start);
    const following = (async () => {
      for await (const e of subscription) received.push(e);
    })();

    let committedAppends = 0;
    let expectedEvents = 0;
    // The writers go on until both held transactions have committed (and at least their share):
    // a fixed count could run out on a slow machine before the test gets both transactions open.
    let heldCommitted = false;
    const writing = Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const stream = `feed-w${w}`;
        let revision: number | null = null;
        for (let i = 0; i < appendsPerWriter || !heldCommitted; i++) {
          const size = 1 + ((w + i) % 3);
          const result = await store.append(
            stream,
            Array.from({ length: size }, (_, k) => ev(i * 10 + k)),
            opts(revision === null ? 'no_stream' : revision),
          );
          revision = result.revision;
          committedAppends++;
          expectedEvents += size;
          await sleep(Math.floor(Math.random() * 20));
        }
      }),
    );

    // Two transactions held open by hand, through the same append path. `early` takes its
    // transaction id before `late`; everything the writers commit afterwards has a higher one.
    const early = new pg.Client({ connectionString: own.url });
    const late = new pg.Client({ connectionString: own.url });
    try {
      await early.connect();
      await late.connect();
      await waitFor('the writers to get going', () => committedAppends >= 60);
      await early.query('BEGIN');
      const earlyAppend = await store.appendWithin(early, 'feed-held-early', [ev(1), ev(2)], opts('no_stream'));
      await late.query('BEGIN');
      const lateAppend = await store.appendWithin(late, 'feed-held-late', [ev(3), ev(4), ev(5)], opts('no_stream'));
      const lateTxid = txidOf(lateAppend.events[0]!.position);
      assert.ok(txidOf(earlyAppend.events[0]!.position) < lateTxid, 'early began first');

      // Others keep committing while both are open; by sequence number they are all past the
      // held events, which a feed ordered by sequence alone would therefore skip for good.
      const before = committedAppends;
      await waitFor('writers to commit past the open transactions', () => committedAppends >= before + 80);
      const lateSequence = lateAppend.events[0]!.globalPosition;
      assert.ok(
        received.every((e) => e.globalPosition < lateSequence || txidOf(e.position) < lateTxid),
        'nothing after the open transaction handed out yet',
      );

      // The early one commits: the follower moves on to it, but not past the still-open late one.
      await early.query('COMMIT');
      await waitFor('the follower to receive the early transaction', () => received.some((e) => e.streamId === 'feed-held-early'), 20_000);
      // The writers' notifications keep waking the follower meanwhile, so "not yet" below is not luck.
      await sleep(300);
      assert.ok(
        received.every((e) => txidOf(e.position) < lateTxid),
        'nothing committed after the open transaction began is handed out while it is open',
      );

      // Held as briefly as the test allows: it stalls every feed reader on the server meanwhile.
      await late.query('COMMIT');
      heldCommitted = true;
      await writing;
      expectedEvents += 2 + 3;
      const mine = (e: RecordedEvent) => e.streamId.startsWith('feed-');
      await waitFor('the follower to catch up', () => received.filter(mine).length >= expectedEvents, 20_000);
      await sleep(100);
      await subscription.close();
      await following;

      const followed = received.filter(mine);
      assert.equal(followed.length, expectedEvents, 'every event once');
      assert.equal(new Set(followed.map((e) => e.eventId)).size, expectedEvents, 'no event twice');
      assert.deepEqual(
        followed.filter((e) => e.streamId === 'feed-held-late').map((e) => e.revision),
        [0, 1, 2],
        'the late commit was not skipped',
      );

      const replay = (await readWholeFeed(follower, start)).filter(mine);
      assert.deepEqual(
        followed.map((e) => e.position),
        replay.map((e) => e.position),
        'following live gives the same order as reading the feed afterwards',
      );
      assert.deepEqual(followed, replay);

      const streams = [...new Set(followed.map((e) => e.streamId))];
      assert.equal(streams.length, writers + 2);
      for (const s of streams) {
        const revisions = followed.filter((e) => e.streamId === s).map((e) => e.revision);
        assert.deepEqual(revisions, revisions.map((_, i) => i), `${s}: in revision order in the feed`);
      }
      assert.deepEqual(await checkStoredStreams(own.pool, macKey, streams), []);
    } finally {
      // Whatever failed, leave nothing running that would keep the test process alive.
      heldCommitted = true;
      await early.end().catch(() => {});
      await late.end().catch(() => {});
      await subscription.close();
      await writing.catch(() => {});
      await store.close();
      await follower.close();
    }
  });
});
