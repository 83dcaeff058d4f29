import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresKillScenario } from '../support/faults/postgres-kill.ts';
import { killLeftoverServers } from '../support/serve-process.ts';

// Issue 16: the embedded PostgreSQL's postmaster killed with kill -9 while clients send mutations
// and queries over HTTP; the ledger restarts it and carries on by itself. The longer run (more
// clients, more kills) is `FAULTS_ONLY=postgresKill npm run faults`.

test('kill -9 of PostgreSQL under mutation and query clients: only retryable refusals, no 5xx, none hung, nothing half-written, verify clean, traffic resumes', async (t) => {
  t.after(killLeftoverServers);
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-pgkill-load-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const report = await postgresKillScenario({ dataDir, mutationClients: 3, queryClients: 3, kills: 1, acksPerPhase: 15 });
  assert.deepEqual(report.problems, []);
  assert.equal(report.requests.http5xx, 0);
  assert.equal(report.requests.hung, 0);
  assert.deepEqual(report.requests.unexpected, {});
  assert.ok(report.mutations.acknowledged >= 30, JSON.stringify(report));
  assert.ok(Object.keys(report.requests.retryable).length > 0 || report.ms.trafficResumed[0] === null, 'the kill met requests in flight');
  assert.equal(report.verify.exitCode, 0);
});
