import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue } from '../../src/jobs/job-queue.ts';
import { createTestDatabase } from '../support/database.ts';

const db = await createTestDatabase();

test('jobs run on pg-boss in the ledger database, a singleton key keeps a duplicate out, and a stopped queue survives a restart', async () => {
  const seen: string[] = [];
  let release!: () => void;
  const twoSeen = new Promise<void>((ok) => (release = ok));
  const define = (q: JobQueue) =>
    q.register<{ n: string }>({
      name: 'test-echo',
      // 'short': one queued job per singleton key, so a repeated send is dropped by pg-boss itself.
      queue: { policy: 'short' },
      work: { pollingIntervalSeconds: 0.5 },
      handle: async (job) => {
        seen.push(job.data.n);
        if (seen.length === 2) release();
      },
    });
  const first = new JobQueue(db.url);
  define(first);
  await first.start();
  assert.ok(await first.send('test-echo', { n: 'a' }, { singletonKey: 'a' }));
  assert.equal(await first.send('test-echo', { n: 'a' }, { singletonKey: 'a' }), null, 'a duplicate of a queued job is not queued');
  await first.stop();
  const second = new JobQueue(db.url);
  define(second);
  await second.start();
  await second.send('test-echo', { n: 'b' });
  await twoSeen;
  await second.stop();
  assert.deepEqual([...seen].sort(), ['a', 'b']);
  const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'pgboss'");
  assert.equal(rows[0].n, 1, 'pg-boss keeps its own schema');
});

test('registering after start, twice, or sending an unknown job is refused', async () => {
  const q = new JobQueue(db.url);
  q.register({ name: 'test-one', handle: async () => {} });
  assert.throws(() => q.register({ name: 'test-one', handle: async () => {} }), /twice/);
  await assert.rejects(q.send('test-one', {}), /not started/);
  await q.start();
  assert.throws(() => q.register({ name: 'test-two', handle: async () => {} }), /after the job queue started/);
  await assert.rejects(q.send('nope', {}), /unknown job/);
  await q.stop();
});
