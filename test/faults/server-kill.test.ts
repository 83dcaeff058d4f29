import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSm2PrivateKey } from '../../src/integrity/ledger-key.ts';
import { createTestDatabase } from '../support/database.ts';
import { serverKillScenario } from '../support/faults/server-kill.ts';
import { killLeftoverServers } from '../support/serve-process.ts';

// Issue 16: `gongwen serve` killed with kill -9 while 8 clients send mutations over HTTP, started
// again on the same PostgreSQL. The longer run (more kills, more commands) is `npm run faults`.

test('kill -9 of the server under 8 clients: every acknowledged mutation once, resent commands get their first outcome, read models equal a rebuild, verify clean', async (t) => {
  t.after(killLeftoverServers);
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-serverkill-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const report = await serverKillScenario({ databaseUrl: db.url, pool: db.pool, ledgerKey: generateSm2PrivateKey(), dataDir, clients: 8, kills: 1, acksPerPhase: 24 });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.unexpected, {}, 'no 500, no error but the retryable one');
  assert.ok(report.acknowledged >= 48, `${report.acknowledged} acknowledged`);
  assert.ok(report.unanswered > 0, 'the kill cut requests in flight');
});
