import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { EventStore, FeedPosition, RecordedEvent } from '../../src/eventstore/port.ts';
import { compareFeedPositions } from '../../src/eventstore/postgres/feed-position.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { eventsAfter, ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { createTestLedger, draftInput, seedCity } from '../support/ledger.ts';
import { allEventTypes } from '../support/test-projections.ts';

/**
 * The runner reads the feed once for all its projections and hands each the events after its own
 * checkpoint. These tests hold it to what the per-projection runner guaranteed: every event
 * applied exactly once per projection, each checkpoint exact, and one projection's failure or
 * restart never touching another's rows or checkpoint.
 */

/** Counts every application of every event (a second application shows as 2), per projection. */
const counter = (
  name: string,
  opts: { version?: number; failOnCall?: number; handles?: ReadonlySet<string>; onApply?: (tx: pg.ClientBase) => Promise<void> } = {},
): Projection & { calls: number } => {
  const table = `${name}_applied`;
  const p = {
    name,
    version: opts.version ?? 1,
    handles: opts.handles ?? allEventTypes,
    tables: [table],
    schemaSql: `CREATE TABLE ${table} (event_id uuid PRIMARY KEY, position text NOT NULL, times int NOT NULL)`,
    indexSql: `CREATE INDEX IF NOT EXISTS ${table}_position ON ${table} (position)`,
    calls: 0,
    async apply(tx: pg.ClientBase, events: readonly RecordedEvent[]) {
      p.calls++;
      await opts.onApply?.(tx);
      await tx.query(
        `INSERT INTO ${table} (event_id, position, times)
         SELECT e.event_id::uuid, e.position, 1 FROM jsonb_to_recordset($1) AS e(event_id text, position text)
         ON CONFLICT (event_id) DO UPDATE SET times = ${table}.times + 1`,
        [JSON.stringify(events.map((e) => ({ event_id: e.eventId, position: e.position })))],
      );
      if (p.calls === opts.failOnCall) throw new Error(`${name} fails on its call ${p.calls}`);
    },
  };
  return p;
};

/** A ledger with the city and a few drafts: a few pages of feed. */
async function seededLedger() {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  for (let i = 0; i < 30; i++) await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput(`sf-seed-${i}`));
  return { ledger, city };
}

async function applied(pool: pg.Pool, name: string): Promise<{ n: number; max: number | null }> {
  const { rows } = await pool.query<{ n: number; max: number | null }>(`SELECT count(*)::int AS n, max(times) AS max FROM ${name}_applied`);
  return rows[0]!;
}

/** The whole feed, once everything committed so far is visible (other tests' open transactions hold it back). */
async function feed(store: EventStore): Promise<RecordedEvent[]> {
  await store.awaitVisible();
  const out: RecordedEvent[] = [];
  for (let position: FeedPosition | null = null; ; ) {
    const page = await store.readAll(position, 1000);
    if (page.events.length === 0) return out;
    out.push(...page.events);
    position = page.position;
  }
}

/** Counts the store's reads of the feed. */
function countReads(store: EventStore): { readonly count: number; restore(): void } {
  const original = store.readAll.bind(store);
  let count = 0;
  store.readAll = (from, limit) => {
    count++;
    return original(from, limit);
  };
  return {
    get count() {
      return count;
    },
    restore: () => void (store.readAll = original),
  };
}

describe('feed positions', () => {
  test('compare in feed order: transaction id, then sequence, as numbers; null first', () => {
    const sorted = ['pg:9:5', 'pg:9:40', 'pg:10:1', 'pg:99:3', 'pg:100:2', 'pg:100:10'];
    assert.deepEqual([...sorted].reverse().sort(compareFeedPositions), sorted);
    assert.equal(compareFeedPositions(null, 'pg:1:1'), -1);
    assert.equal(compareFeedPositions('pg:1:1', null), 1);
    assert.equal(compareFeedPositions(null, null), 0);
    assert.equal(compareFeedPositions('pg:010:7', 'pg:10:7'), 0, 'leading zeros do not count');
    assert.equal(compareFeedPositions('pg:010:7', 'pg:9:8'), 1);
  });

  test('eventsAfter hands out exactly the events after a position', () => {
    const page = ['pg:5:1', 'pg:5:2', 'pg:7:1', 'pg:12:9'].map((position) => ({ position }) as RecordedEvent);
    const after = (p: string | null, from?: string | null) => eventsAfter(page, p, from).map((e) => e.position);
    assert.deepEqual(after(null), ['pg:5:1', 'pg:5:2', 'pg:7:1', 'pg:12:9']);
    assert.deepEqual(after('pg:4:100'), ['pg:5:1', 'pg:5:2', 'pg:7:1', 'pg:12:9']);
    assert.deepEqual(after('pg:5:2'), ['pg:7:1', 'pg:12:9']);
    assert.deepEqual(after('pg:6:0'), ['pg:7:1', 'pg:12:9']);
    assert.deepEqual(after('pg:12:9'), []);
    assert.deepEqual(after('pg:13:0'), []);
    assert.deepEqual(after('pg:4:100', 'pg:4:100'), ['pg:5:1', 'pg:5:2', 'pg:7:1', 'pg:12:9']);
  });
});

describe('catching up together', () => {
  test('one read of the feed serves every projection, each from its own checkpoint, every event once', async () => {
    const { ledger } = await seededLedger();
    const events = await feed(ledger.store);
    assert.ok(events.length > 45, `only ${events.length} events`);
    const [a, b, c] = [counter('sf_a'), counter('sf_b'), counter('sf_c', { handles: new Set(['UserRegistered']) })];
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [a, b, c], { batchSize: 10 });
    await runner.prepare();
    // b starts ahead of the others, at an odd place of the feed (inside what will be a page).
    await runner.applyBatch(b, null, events.slice(0, 13));

    const reads = countReads(ledger.store);
    try {
      await runner.catchUp();
    } finally {
      reads.restore();
    }
    // One read per page of 10 from the start, plus the empty read at the end; not one per projection.
    assert.equal(reads.count, Math.ceil(events.length / 10) + 1);
    const last = events.at(-1)!.position;
    for (const p of [a, b]) {
      assert.deepEqual(await applied(ledger.db.pool, p.name), { n: events.length, max: 1 }, `${p.name}: every event exactly once`);
      assert.equal(await runner.checkpoint(p.name), last);
    }
    const users = events.filter((e) => e.type === 'UserRegistered').length;
    assert.deepEqual(await applied(ledger.db.pool, c.name), { n: users, max: 1 });
    const status = await runner.status();
    assert.deepEqual(status.map((s) => [s.name, s.eventsApplied, s.eventsBehind]), [
      ['sf_a', events.length, 0],
      ['sf_b', events.length, 0],
      ['sf_c', users, 0],
    ]);
  });

  test('a projection failing mid-batch leaves the others untouched: they finish, it stays at its last commit', async () => {
    const { ledger } = await seededLedger();
    const events = await feed(ledger.store);
    const good = counter('sf_good');
    const bad = counter('sf_bad', { failOnCall: 3 });
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [bad, good], { batchSize: 10 });
    await runner.prepare();
    const committed = new Map<string, FeedPosition[]>();
    runner.on('applied', (batch) => committed.set(batch.projection, [...(committed.get(batch.projection) ?? []), batch.events.at(-1)!.position]));
    await assert.rejects(runner.catchUp(), /sf_bad fails on its call 3/);

    assert.deepEqual(await applied(ledger.db.pool, 'sf_good'), { n: events.length, max: 1 });
    assert.equal(await runner.checkpoint('sf_good'), events.at(-1)!.position);
    // The failing projection kept its first two batches, and nothing of the third.
    assert.equal(committed.get('sf_bad')!.length, 2);
    assert.equal(await runner.checkpoint('sf_bad'), events[19]!.position);
    assert.deepEqual(await applied(ledger.db.pool, 'sf_bad'), { n: 20, max: 1 });

    // Restarted (its failure gone): it continues from its own checkpoint, alone, to the same rows.
    const restarted = new ProjectionRunner(ledger.db.pool, ledger.store, [counter('sf_bad'), counter('sf_good')], { batchSize: 10 });
    assert.deepEqual(await restarted.prepare(), []);
    await restarted.catchUp();
    assert.deepEqual(await applied(ledger.db.pool, 'sf_bad'), { n: events.length, max: 1 });
    assert.deepEqual(await applied(ledger.db.pool, 'sf_good'), { n: events.length, max: 1 });
  });

  test('a rebuild replays once for all (aside), and builds the deferred indexes at the end', async () => {
    const { ledger } = await seededLedger();
    const events = await feed(ledger.store);
    let duringReplay: string[] | null = null;
    const [a, b] = [
      counter('sf_ra', {
        async onApply(tx) {
          duringReplay ??= (await tx.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'sf_ra_applied' AND schemaname = current_schema()`)).rows.map((r) => r.name);
        },
      }),
      counter('sf_rb'),
    ];
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [a, b], { batchSize: 25 });
    await runner.prepare();
    await runner.catchUp();
    const indexes = async () =>
      (await ledger.db.pool.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('sf_ra_applied', 'sf_rb_applied') ORDER BY 1`)).rows.map((r) => r.name);
    const withIndexes = ['sf_ra_applied_pkey', 'sf_ra_applied_position', 'sf_rb_applied_pkey', 'sf_rb_applied_position'];
    assert.deepEqual(await indexes(), withIndexes);

    duringReplay = null;
    const reads = countReads(ledger.store);
    const progress = new Map<string, number>();
    try {
      await runner.rebuild(undefined, (name, read) => progress.set(name, read));
    } finally {
      reads.restore();
    }
    // One read more than the pages: the swap's final catch-up, under the lock, finds nothing new.
    assert.equal(reads.count, Math.ceil(events.length / 25) + 2);
    assert.deepEqual(Object.fromEntries(progress), { sf_ra: events.length, sf_rb: events.length });
    for (const p of [a, b]) assert.deepEqual(await applied(ledger.db.pool, p.name), { n: events.length, max: 1 });
    assert.deepEqual(await indexes(), withIndexes);
    assert.deepEqual(duringReplay, ['sf_ra_applied_pkey'], 'while the replay runs, the deferred index is not there yet');

    // A rebuild cut short leaves the index missing; prepare() creates it.
    await ledger.db.pool.query('DROP INDEX sf_rb_applied_position');
    assert.deepEqual(await runner.prepare(), []);
    assert.deepEqual(await indexes(), withIndexes);
  });
});

describe('following together', () => {
  test('a projection failing in the background is retried alone and rejoins; the others never stop; every event once', async () => {
    const ledger = await createTestLedger();
    const city = await seedCity(ledger);
    const good = counter('sf_fg');
    const bad = counter('sf_fb', { failOnCall: 2 });
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [good, bad], { batchSize: 10 });
    await runner.prepare();
    const errors: string[] = [];
    runner.on('error', (error, name) => errors.push(`${name}: ${(error as Error).message}`));
    const goodBatches: number[] = [];
    runner.on('applied', (b) => {
      if (b.projection === 'sf_fg') goodBatches.push(Date.now());
    });
    runner.start();
    try {
      for (let i = 0; i < 5; i++) await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput(`sf-doc-${i}`));
      const events = await feed(ledger.store);
      for (let i = 0; ; i++) {
        const [g, b] = [await applied(ledger.db.pool, 'sf_fg'), await applied(ledger.db.pool, 'sf_fb')];
        if (g.n === events.length && b.n === events.length) break;
        assert.ok(i < 300, `not caught up within 30 s: ${JSON.stringify({ g, b, total: events.length })}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(errors, ['sf_fb: sf_fb fails on its call 2']);
      for (const name of ['sf_fg', 'sf_fb']) {
        assert.deepEqual(await applied(ledger.db.pool, name), { n: events.length, max: 1 }, `${name}: every event exactly once`);
        assert.equal(await runner.checkpoint(name), events.at(-1)!.position);
      }
    } finally {
      await runner.stop();
    }
  });

  test('a projection reset for a new version rebuilds alone while the others follow, then joins the shared read', async () => {
    const ledger = await createTestLedger();
    const city = await seedCity(ledger);
    const first = new ProjectionRunner(ledger.db.pool, ledger.store, [counter('sf_va'), counter('sf_vb')], { batchSize: 10 });
    await first.prepare();
    await first.catchUp();

    const a = counter('sf_va');
    const b2 = counter('sf_vb', { version: 2 });
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [a, b2], { batchSize: 10 });
    assert.deepEqual(await runner.prepare(), ['sf_vb']);
    const errors: unknown[] = [];
    runner.on('error', (error) => errors.push(error));
    const reads = countReads(ledger.store);
    runner.start();
    try {
      const seen = new Set<string>();
      const drafted = new Promise<void>((resolve) =>
        runner.on('applied', (batch) => {
          for (const e of batch.handled) if (e.type === 'DocumentDrafted') seen.add(batch.projection);
          if (seen.size === 2) resolve();
        }),
      );
      await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('sf-v-doc'));
      await drafted;
      const events = await feed(ledger.store);
      for (let i = 0; (await applied(ledger.db.pool, 'sf_vb')).n < events.length; i++) {
        assert.ok(i < 300, 'the new version did not catch up within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(errors, []);
      for (const name of ['sf_va', 'sf_vb']) assert.deepEqual(await applied(ledger.db.pool, name), { n: events.length, max: 1 });
      // sf_vb replayed the feed with reads of its own, in pages of 10, besides the shared read.
      assert.ok(reads.count >= Math.ceil((events.length - 1) / 10), `${reads.count} reads`);

      // Joined: the next event reaches both through the shared read — the very same page.
      const both = new Promise<Map<string, readonly RecordedEvent[]>>((resolve) => {
        const pages = new Map<string, readonly RecordedEvent[]>();
        runner.on('applied', (batch) => {
          if (batch.handled.some((e) => e.type === 'DocumentDrafted' && (e.data as { documentId: string }).documentId === 'sf-v-doc-2')) pages.set(batch.projection, batch.events);
          if (pages.size === 2) resolve(pages);
        });
      });
      await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('sf-v-doc-2'));
      const pages = await both;
      assert.ok(pages.get('sf_va') === pages.get('sf_vb'), 'both projections were handed the same read of the feed');
    } finally {
      reads.restore();
      await runner.stop();
    }
  });

  test('a slow projection does not hold up the others: they take the next pages while it is still applying', async () => {
    const { ledger, city } = await seededLedger();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let blocked!: () => void;
    const isBlocked = new Promise<void>((resolve) => (blocked = resolve));
    const drafted = (events: readonly RecordedEvent[], id: string) =>
      events.some((e) => e.type === 'DocumentDrafted' && (e.data as { documentId: string }).documentId === id);
    const slow = counter('sf_slow', {
      async onApply() {
        if (slowHolds) {
          slowHolds = false;
          blocked();
          await released;
        }
      },
    });
    let slowHolds = false;
    const fast = counter('sf_fast');
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [slow, fast], { batchSize: 10 });
    await runner.prepare();
    await runner.catchUp();
    const fastSaw = new Set<string>();
    const slowBatches: (readonly RecordedEvent[])[] = [];
    let fastSawSecond!: () => void;
    const fastGotSecond = new Promise<void>((resolve) => (fastSawSecond = resolve));
    runner.on('applied', (b) => {
      if (b.projection === 'sf_slow') slowBatches.push(b.handled);
      if (b.projection !== 'sf_fast') return;
      for (const id of ['sf-slow-1', 'sf-slow-2', 'sf-slow-3']) if (drafted(b.handled, id)) fastSaw.add(id);
      if (fastSaw.has('sf-slow-3')) fastSawSecond();
    });
    runner.start();
    try {
      slowHolds = true;
      await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('sf-slow-1'));
      await isBlocked;
      // sf_slow is stuck inside its batch with sf-slow-1; the next drafts still reach sf_fast.
      await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('sf-slow-2'));
      await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('sf-slow-3'));
      await fastGotSecond;
      assert.deepEqual(slowBatches.filter((b) => drafted(b, 'sf-slow-1')), [], 'sf_slow has not committed its held batch');
      release();
      const events = await feed(ledger.store);
      for (let i = 0; (await applied(ledger.db.pool, 'sf_slow')).n < events.length; i++) {
        assert.ok(i < 300, 'sf_slow did not catch up within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const name of ['sf_slow', 'sf_fast']) {
        assert.deepEqual(await applied(ledger.db.pool, name), { n: events.length, max: 1 }, `${name}: every event exactly once`);
        assert.equal(await runner.checkpoint(name), events.at(-1)!.position);
      }
    } finally {
      release();
      await runner.stop();
    }
  });
});
