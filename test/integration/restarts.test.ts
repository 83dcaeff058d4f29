import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { alive, embeddedEnv, gql, killLeftoverServers, runCli, startServe, waitUntil, type ServeProcess } from '../support/serve-process.ts';

afterEach(killLeftoverServers);

// Restarts without a hand (issue 10): the ledger on its own embedded PostgreSQL, as real processes.

const postmasterPid = async (dir: string) => Number((await readFile(join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** The process that started the data folder's embedded server (recorded beside it). */
const ownerPid = async (dir: string) => (JSON.parse(await readFile(join(dir, 'embedded-postgres.json'), 'utf8')) as { pid: number }).pid;

/** The watcher shell that stops a server's PostgreSQL when the server dies. */
async function guardianOf(pgPid: number): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('gongwen-pg-guardian') && cmdline.split('\0').includes(String(pgPid))) return Number(entry);
  }
  return undefined;
}

async function health(url: string): Promise<{ status: number; body: { status?: string } }> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: (await res.json()) as { status?: string } };
}

async function stop(server: ServeProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const { code } = await server.exited;
  assert.equal(code, 0, server.output());
}

test('a server killed with kill -9 starts again on the same data folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-restart-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const first = await startServe(dir);
  assert.equal((await health(first.url)).body.status, 'ok');
  // Kill the server and its watcher at once: its PostgreSQL is left running, orphaned, holding postmaster.pid.
  const firstPg = await postmasterPid(dir);
  const guardian = await guardianOf(firstPg);
  assert.ok(guardian, 'a watcher process guards the embedded PostgreSQL');
  first.child.kill('SIGKILL');
  process.kill(guardian, 'SIGKILL');
  await first.exited;
  await new Promise((ok) => setTimeout(ok, 300));
  assert.ok(alive(firstPg), 'the orphaned PostgreSQL still runs');

  // The next start recognises it as a leftover of this data folder, stops it and carries on.
  const second = await startServe(dir);
  assert.match(second.output(), /stopping a leftover embedded PostgreSQL/);
  assert.ok(!alive(firstPg));
  assert.equal((await health(second.url)).body.status, 'ok');

  // Killed alone, the server leaves no PostgreSQL behind: its watcher shuts it down.
  const secondPg = await postmasterPid(dir);
  second.child.kill('SIGKILL');
  await second.exited;
  await waitUntil('the orphaned PostgreSQL has stopped', () => !alive(secondPg));
});

test('kill -9 of the embedded PostgreSQL under traffic: DATABASE_UNAVAILABLE meanwhile, then the ledger recovers by itself', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-pgkill-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServe(dir);
  // A CLI command beside the running server uses its database.
  const init = await runCli(['init'], embeddedEnv(dir));
  assert.equal(init.code, 0, init.stderr);
  const { token } = JSON.parse(init.stdout) as { token: string };

  const register = (unitId: string, commandId: string) =>
    gql(
      server.url,
      token,
      `mutation ($input: RegisterUnitInput!) { registerUnit(input: $input) { commandId duplicate } }`,
      { input: { commandId, unitId, name: `单位 ${unitId}`, kind: 'CITY_DEPARTMENT', parentUnitId: 'city-office', docNumberPrefixes: [unitId.replaceAll('-', '')] } },
    );

  let stopTraffic = false;
  let succeeded = 0;
  const acknowledged: string[] = [];
  const refused: { unitId: string; commandId: string; code?: string; status: number }[] = [];
  const clients = Array.from({ length: 4 }, async (_, c) => {
    for (let n = 0; !stopTraffic; n++) {
      const unitId = `u${c}-${n}`;
      const commandId = `cmd-${unitId}-0001`;
      const { status, body } = await register(unitId, commandId);
      if (body.data?.registerUnit) {
        acknowledged.push(unitId);
        succeeded++;
      } else refused.push({ unitId, commandId, status, code: body.errors?.[0]?.extensions?.code });
    }
  });
  const healthSeen = new Set<string>();
  const watching = (async () => {
    while (!stopTraffic) {
      const h = await health(server.url);
      healthSeen.add(`${h.status} ${h.body.status}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  })();

  await waitUntil('some commands succeeded', () => succeeded >= 20);
  const pg = await postmasterPid(dir);
  process.kill(pg, 'SIGKILL');
  await waitUntil('a request met the database down', () => refused.length > 0 || healthSeen.has('503 degraded'));
  await waitUntil('the embedded PostgreSQL is back', async () => (await postmasterPid(dir).catch(() => pg)) !== pg);
  const before = succeeded;
  await waitUntil('commands succeed again', () => succeeded >= before + 20);
  stopTraffic = true;
  await Promise.all([...clients, watching]);

  assert.equal(server.child.exitCode, null, `the ledger kept running:\n${server.output()}`);
  assert.match(server.output(), /embedded PostgreSQL exited unexpectedly/);
  assert.ok(healthSeen.has('503 degraded'), `/health said degraded while the database was down (seen: ${[...healthSeen].join(', ')})`);
  // Every request in flight answered: a success, or the retryable code — never a 500, never another error.
  for (const r of refused) {
    assert.equal(r.status, 200, `HTTP ${r.status} for ${r.unitId}`);
    assert.equal(r.code, 'DATABASE_UNAVAILABLE', `${r.unitId}: ${r.code}`);
  }
  // Retried with the same commandId, each refused command is applied once.
  for (const r of refused) {
    const { body } = await register(r.unitId, r.commandId);
    assert.ok(body.data?.registerUnit, JSON.stringify(body.errors));
    acknowledged.push(r.unitId);
  }
  // The projections resumed from their checkpoints: every acknowledged unit is listed, once.
  await waitUntil(
    'the directory projection shows every unit',
    async () => {
      const { body } = await gql(server.url, token, '{ units { unitId } }');
      const listed = (body.data?.units as { unitId: string }[] | undefined)?.map((u) => u.unitId) ?? [];
      return acknowledged.every((u) => listed.includes(u)) && new Set(listed).size === listed.length;
    },
    30_000,
  );
  const newPg = await postmasterPid(dir);
  await stop(server);
  assert.ok(!alive(newPg), 'the restarted PostgreSQL stops with the ledger');
});

test('npm start says where GraphQL and GraphiQL listen, and stopped with SIGTERM through npm leaves no server or PostgreSQL', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-npmstart-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const npm = spawn('npm', ['start'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: embeddedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (npm.exitCode === null) npm.kill('SIGKILL');
  });
  let out = '';
  npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
  npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await waitUntil('npm start prints where it listens', () => /GraphiQL: http:\/\/127\.0\.0\.1:\d+\/graphiql/.test(out), 120_000);
  const url = /GraphQL:\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out)![1]!;
  assert.equal((await health(url)).body.status, 'ok');
  const pg = await postmasterPid(dir);
  const serverPid = await ownerPid(dir);
  npm.kill('SIGTERM');
  await waitUntil('the server has stopped', () => !alive(serverPid), 30_000);
  await waitUntil('its PostgreSQL has stopped', () => !alive(pg), 30_000);
  assert.doesNotMatch(out, /ERR|Error/, out);
});
