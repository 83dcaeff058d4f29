import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { allProjections } from '../../projections/index.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { decodeFeedPosition } from '../../src/eventstore/postgres/feed-position.ts';
import { digestAll, projectionDigest } from '../../src/projections/digest.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { createCityClock, generateCityYear } from '../support/city-year.ts';
import { createTestLedger } from '../support/ledger.ts';
import { applicationCountProjection, failingOnBatch, InjectedFailure, type FailedBatch } from '../support/test-projections.ts';

/**
 * DESIGN.md: each projection "stores its checkpoint in the same transaction as its rows, so a
 * crash never applies an event twice or skips one". Two kinds of crash, for every registered
 * projection and the application counter (which shows an event applied twice as a 2):
 * a batch whose transaction aborts midway, and a process killed while its batches are open.
 */

const projections: readonly Projection[] = [...allProjections, applicationCountProjection];
const childScript = fileURLToPath(new URL('../support/projection-crash-child.ts', import.meta.url));

const clock = createCityClock();
const ledger: Ledger = await createTestLedger({ now: clock.now });
const { events } = await generateCityYear(ledger, { clock, seed: 7, documents: 60 });

/** The projections' digests after a clean rebuild from the events. */
async function cleanRebuild() {
  const runner = new ProjectionRunner(ledger.db.pool, ledger.store, projections);
  await runner.rebuild();
  return digestAll(ledger.db.pool, projections);
}

async function assertEachEventAppliedOnce() {
  const { rows } = await ledger.db.pool.query<{ n: number; max: number | null }>('SELECT count(*)::int AS n, max(applications) AS max FROM appcount_by_event');
  assert.deepEqual(rows[0], { n: events, max: 1 }, 'every event applied exactly once');
}

/** Whether position a lies strictly before position b in the feed. */
const precedes = (a: string | null, b: string) => {
  if (a === null) return true;
  const [x, y] = [decodeFeedPosition(a), decodeFeedPosition(b)];
  return BigInt(x.transactionId) < BigInt(y.transactionId) || (x.transactionId === y.transactionId && BigInt(x.globalPosition) < BigInt(y.globalPosition));
};

describe('a batch whose transaction aborts midway', () => {
  test('leaves nothing of the batch and the checkpoint where it was; a restarted runner catches up to a clean rebuild', async () => {
    const pool = ledger.db.pool;
    for (const p of projections) {
      const failures: FailedBatch[] = [];
      const failing = failingOnBatch(p, 2, (f) => failures.push(f));
      const runner = new ProjectionRunner(pool, ledger.store, [failing], { batchSize: 100 });
      const committed: string[] = [];
      runner.on('applied', (b) => committed.push(b.events.at(-1)!.position));
      await runner.reset(failing);
      await assert.rejects(runner.catchUp(), InjectedFailure, `${p.name} never reached a second batch with events`);

      assert.equal(failures.length, 1);
      const [failure] = failures as [FailedBatch];
      assert.notEqual(failure.digestAfterApply, failure.digestBefore, `${p.name}: the failing batch wrote nothing before it threw`);
      assert.equal((await projectionDigest(pool, p)).digest, failure.digestBefore, `${p.name}: rows of the aborted batch are visible`);
      const checkpoint = await runner.checkpoint(p.name);
      assert.equal(checkpoint, committed.at(-1) ?? null, `${p.name}: the checkpoint moved with the aborted batch`);
      assert.ok(precedes(checkpoint, failure.events[0]!.position), `${p.name}: the checkpoint is past the aborted batch`);
    }

    // Restart with the real projections: each continues from its checkpoint.
    const restarted = new ProjectionRunner(pool, ledger.store, projections);
    assert.deepEqual(await restarted.prepare(), [], 'nothing is reset on restart');
    await restarted.catchUp();
    const recovered = await digestAll(pool, projections);
    await assertEachEventAppliedOnce();
    assert.deepEqual(recovered, await cleanRebuild());
  });

  test('in the background loop too: the error is reported, the batch retried, the result equal to a clean rebuild', async () => {
    const pool = ledger.db.pool;
    for (const p of projections) await new ProjectionRunner(pool, ledger.store, [p]).reset(p);
    const runner = new ProjectionRunner(
      pool,
      ledger.store,
      projections.map((p) => failingOnBatch(p, 2, () => {})),
      { batchSize: 100 },
    );
    const failed = new Set<string>();
    runner.on('error', (error, name) => {
      assert.ok(error instanceof InjectedFailure, String(error));
      failed.add(name);
    });
    runner.start();
    try {
      for (let i = 0; ; i++) {
        const status = await runner.status();
        if (failed.size === projections.length && status.every((s) => s.eventsBehind === 0)) break;
        assert.ok(i < 600, `not caught up within 60 s: ${JSON.stringify(status.map((s) => [s.name, s.eventsBehind]))}, failed: ${[...failed]}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await runner.stop();
    }
    const recovered = await digestAll(pool, projections);
    await assertEachEventAppliedOnce();
    assert.deepEqual(recovered, await cleanRebuild());
  });
});

describe('a projection process killed mid-batch', () => {
  test('loses the open batches only; a restarted runner applies no event twice and equals a clean rebuild', async () => {
    const pool = ledger.db.pool;
    const batch = 500;
    assert.ok(events > 2 * batch, `the year has only ${events} events`);
    for (const p of projections) await new ProjectionRunner(pool, ledger.store, [p]).reset(p);

    const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      env: { ...process.env, PROJECTION_CRASH_DATABASE_URL: ledger.db.url, PROJECTION_CRASH_BATCH: String(batch), PROJECTION_CRASH_HOLD_ON_BATCH: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const holding = new Map<string, { pid: number; xid: string }>();
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`only ${[...holding.keys()]} held a batch within 60 s\n${stderr}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [word, name, pid, xid] = line.split(' ');
          if (word === 'holding') holding.set(name!, { pid: Number(pid), xid: xid! });
        }
        if (holding.size === projections.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the projection process exited by itself\n${stderr}`));
      });
    });

    // Every projection's second batch is open, with rows written, in the child's sessions.
    const { rows: open } = await pool.query<{ pid: number; state: string; xid: string | null }>(
      `SELECT pid, state, backend_xid::text AS xid FROM pg_stat_activity WHERE pid = ANY($1::int[])`,
      [[...holding.values()].map((h) => h.pid)],
    );
    assert.equal(open.length, projections.length);
    for (const [name, h] of holding) {
      const session = open.find((s) => s.pid === h.pid);
      assert.equal(session?.state, 'idle in transaction', `${name}'s batch transaction is not open`);
      assert.ok(h.xid !== 'null' && session?.xid === h.xid, `${name}'s open batch has written nothing`);
    }

    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    for (let i = 0; ; i++) {
      const { rows } = await pool.query('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [[...holding.values()].map((h) => h.pid)]);
      if (rows.length === 0) break;
      assert.ok(i < 200, 'the killed process’s sessions ended within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    // Each projection stands exactly after its first batch: the open second batch left nothing.
    const afterFirst = (await ledger.store.readAll(null, batch)).position;
    const { rows: checkpoints } = await pool.query<{ name: string; position: string; events_applied: number }>(
      'SELECT name, position, events_applied FROM projection_checkpoints WHERE name = ANY($1::text[])',
      [projections.map((p) => p.name)],
    );
    for (const p of projections) {
      assert.deepEqual(checkpoints.find((c) => c.name === p.name), { name: p.name, position: afterFirst, events_applied: batch }, `${p.name}'s checkpoint`);
    }
    const { rows: counted } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM appcount_by_event');
    assert.equal(counted[0]!.n, batch, 'the application counter kept its first batch only');

    const restarted = new ProjectionRunner(pool, ledger.store, projections);
    assert.deepEqual(await restarted.prepare(), []);
    await restarted.catchUp();
    const recovered = await digestAll(pool, projections);
    await assertEachEventAppliedOnce();
    assert.deepEqual(recovered, await cleanRebuild());
  });
});
