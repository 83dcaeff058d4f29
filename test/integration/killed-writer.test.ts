import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../support/database.ts';
import { checkStoredStreams } from '../support/event-store-checks.ts';
import { testRegistry } from '../support/test-registry.ts';

const db = await createTestDatabase();
const childScript = fileURLToPath(new URL('../support/killed-writer-child.ts', import.meta.url));
const actor = { userId: 'recovery', unitId: 'unit-w', role: 'SYSTEM' as const };

/** Runs the writer until it has reported `appends` commits (plus a random few ms), then SIGKILLs it. */
async function runAndKill(env: Record<string, string>, appends: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`writer reported ${seen} appends in 20 s\n${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      seen += lines.filter((l) => l.startsWith('appended ')).length;
      if (seen >= appends) {
        clearTimeout(timer);
        // A few more ms so the kill lands while batches are in flight, not between two loops.
        setTimeout(resolve, Math.floor(Math.random() * 15));
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`writer exited by itself (code ${code})\n${stderr}`));
    });
  });
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL');
  return seen;
}

test('a writer killed mid-stream leaves whole batches, contiguous revisions and an intact chain', async () => {
  const macKey = randomBytes(32);
  const streamIds = Array.from({ length: 4 }, (_, s) => `killed-${s}`);
  const env = {
    KILLED_WRITER_DATABASE_URL: db.url,
    KILLED_WRITER_MAC_KEY: macKey.toString('hex'),
    KILLED_WRITER_PREFIX: 'killed',
    KILLED_WRITER_STREAMS: String(streamIds.length),
  };

  // Twice: the second writer starts from what the first left behind, and is killed too.
  for (const appends of [40, 60]) {
    const seen = await runAndKill(env, appends);
    assert.ok(seen >= appends, `saw ${seen} appends`);
    // The server notices the dead client and rolls its open transactions back; wait until it has.
    for (let i = 0; ; i++) {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      if (rows[0]!.n === 0) break;
      assert.ok(i < 200, 'the sessions of the killed writer ended within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await checkStoredStreams(db.pool, macKey, streamIds), []);
  }

  const { rows } = await db.pool.query<{ stream_id: string; revision: number; last_hash: string; events: number; commands: number }>(
    `SELECT s.stream_id, s.revision, s.last_hash,
            (SELECT count(*)::int FROM events e WHERE e.stream_id = s.stream_id) AS events,
            (SELECT count(*)::int FROM commands c WHERE c.stream_id = s.stream_id) AS commands
       FROM streams s WHERE s.stream_id = ANY($1) ORDER BY s.stream_id`,
    [streamIds],
  );
  assert.equal(rows.length, streamIds.length, 'every stream got appends');
  const totalCommands = rows.reduce((n, r) => n + r.commands, 0);
  assert.ok(totalCommands >= 100, `at least the reported appends are stored (${totalCommands})`);

  // A new store (cold cache) carries on from where the dead writers stopped.
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
  try {
    for (const r of rows) {
      const result = await store.append(r.stream_id, [{ type: 'TestEvent', data: { n: -1 } }], {
        expectedRevision: r.revision,
        commandId: `recover-${r.stream_id}`,
        actor,
      });
      assert.equal(result.revision, r.revision + 1);
      assert.equal(result.events[0]!.prevHash, r.last_hash);
    }
  } finally {
    await store.close();
  }
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, streamIds), []);
});

test('the consistency check itself catches a partial batch, a forged row and a stale tip', async () => {
  const macKey = randomBytes(32);
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey });
  const streams = ['forged-a', 'forged-b', 'forged-c'];
  try {
    for (const s of streams) {
      await store.append(s, [0, 1, 2].map((n) => ({ type: 'TestEvent', data: { n } })), { expectedRevision: 'no_stream', commandId: `c-${s}-1`, actor });
      await store.append(s, [{ type: 'TestEvent', data: { n: 3 } }], { expectedRevision: 2, commandId: `c-${s}-2`, actor });
    }
  } finally {
    await store.close();
  }
  assert.deepEqual(await checkStoredStreams(db.pool, macKey, streams), []);
  await db.pool.query(`DELETE FROM events WHERE stream_id = 'forged-a' AND revision = 3`);
  await db.pool.query(`UPDATE events SET data = '{"n": 99}' WHERE stream_id = 'forged-b' AND revision = 1`);
  await db.pool.query(`UPDATE streams SET revision = 7 WHERE stream_id = 'forged-c'`);
  const problems = await checkStoredStreams(db.pool, macKey, streams);
  assert.ok(problems.some((p) => p.startsWith('forged-a: streams.revision 3 but last event 2')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('command c-forged-a-2: events at []')), problems.join('\n'));
  assert.ok(problems.some((p) => p === 'forged-b@1: hash does not recompute'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('forged-c: streams.revision 7')), problems.join('\n'));
});
