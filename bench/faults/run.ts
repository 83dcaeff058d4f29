/**
 * `npm run faults`: the long fault runs of issue 16, one JSON document (the quick versions are in
 * `npm test`, test/faults/ and test/unit/domain/properties.test.ts).
 *
 * - serverKill: `gongwen serve` killed with SIGKILL FAULTS_KILLS times (3) while FAULTS_CLIENTS (8)
 *   clients send mutations over HTTP, FAULTS_ACKS_PER_PHASE (100) acknowledged commands between
 *   kills; every acknowledged mutation once, resent commands answered with their first outcome,
 *   read models equal to a rebuild, verify clean.
 * - backupRestore: a bench-sized ledger (a generated city-year cloned up to FAULTS_BACKUP_EVENTS,
 *   default 200000, as bench/projections.ts builds it), backed up, restored into an empty database
 *   (tables, Merkle checkpoint, read models rebuilt) and verified: the seconds of each part.
 * - postgresKill: the embedded PostgreSQL's postmaster killed with SIGKILL FAULTS_PG_KILLS times (3)
 *   while FAULTS_PG_MUTATION_CLIENTS (8) clients register units and FAULTS_PG_QUERY_CLIENTS (8) list
 *   them over HTTP, FAULTS_ACKS_PER_PHASE (100) acknowledged mutations between kills: the counts of
 *   answers (ok, retryable refusals by code, 5xx and hung — both must be 0), the time until traffic
 *   resumed, every acknowledged command once and nothing else, `gongwen verify --read-models` clean.
 * - generated: the property-based and the generated hostile-input tests with FAULTS_RUNS runs each
 *   (default 2000 and 400), through the test runner.
 * `FAULTS_ONLY=serverKill|postgresKill|backupRestore|generated` runs one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { eventRegistry } from '../../schemas/events/index.ts';
import { createLedger } from '../../src/app/ledger.ts';
import { backupLedger, checkBackup } from '../../src/backup/backup.ts';
import { restoreInto } from '../../src/cli/backup.ts';
import { loadConfig } from '../../src/config/config.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../../src/integrity/ledger-key.ts';
import { verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { createCityClock, generateCityYear } from '../../test/support/city-year.ts';
import { postgresKillScenario } from '../../test/support/faults/postgres-kill.ts';
import { serverKillScenario } from '../../test/support/faults/server-kill.ts';
import { killLeftoverServers } from '../../test/support/serve-process.ts';
import { appendByStream, cloneFamily, readTemplate, runWorkers } from '../projections.ts';
import { createBenchDatabase, startBenchServer } from '../server.ts';

const only = process.env.FAULTS_ONLY;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const round1 = (x: number) => Math.round(x * 10) / 10;

async function serverKill(adminUrl: string) {
  const db = await createBenchDatabase(adminUrl, 'serverkill', { maxConnections: 40 });
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-faults-'));
  try {
    return await serverKillScenario({
      databaseUrl: db.url,
      pool: db.pool,
      ledgerKey: generateSm2PrivateKey(),
      dataDir,
      clients: num('FAULTS_CLIENTS', 8),
      kills: num('FAULTS_KILLS', 3),
      acksPerPhase: num('FAULTS_ACKS_PER_PHASE', 100),
    });
  } finally {
    killLeftoverServers();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** On its own embedded PostgreSQL (the one killed), not the bench server. */
async function postgresKill() {
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-faults-pgkill-'));
  try {
    return await postgresKillScenario({
      dataDir,
      mutationClients: num('FAULTS_PG_MUTATION_CLIENTS', 8),
      queryClients: num('FAULTS_PG_QUERY_CLIENTS', 8),
      kills: num('FAULTS_PG_KILLS', 3),
      acksPerPhase: num('FAULTS_ACKS_PER_PHASE', 100),
    });
  } finally {
    killLeftoverServers();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function backupRestore(adminUrl: string) {
  const target = num('FAULTS_BACKUP_EVENTS', 200_000);
  const privateKey = generateSm2PrivateKey();
  const key = ledgerKeyFromPrivateKey(privateKey);
  const source = await createBenchDatabase(adminUrl, 'backupsrc', { maxConnections: 24 });
  const restored = await createBenchDatabase(adminUrl, 'restored');
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-faults-backup-'));
  try {
    const config = loadConfig({ DATABASE_URL: source.url, GONGWEN_DATA_DIR: dataDir, GONGWEN_LEDGER_KEY: privateKey, GONGWEN_SEAL_KDF_LOG2N: '10' });
    const clock = createCityClock();
    const ledger = await createLedger(config, { url: source.url, pool: source.pool, embedded: false, close: async () => {} }, { now: clock.now });
    await generateCityYear(ledger, { clock, seed: 2025, documents: num('FAULTS_TEMPLATE_DOCUMENTS', 80), attachmentBytes: true });
    await ledger.close();
    const store = new PostgresEventStore({ pool: source.pool, registry: eventRegistry, macKey: key.macKey });
    const { families, events: templateEvents } = await readTemplate(store);
    const perRound = families.reduce((n, f) => n + f.commands.reduce((m, c) => m + c.events.length, 0), 0);
    const rounds = Math.max(0, Math.ceil((target - templateEvents) / perRound));
    const work = Array.from({ length: rounds }, (_, r) => families.map((f) => ({ f, k: r + 1 }))).flat();
    await runWorkers(work, 8, ({ f, k }) => appendByStream(store, cloneFamily(f, k)));
    await store.awaitVisible();
    await store.close();
    const sequenced = await createLedger(config, { url: source.url, pool: source.pool, embedded: false, close: async () => {} });
    await sequenced.merkleLog.checkpoint({ timeoutMs: 600_000 });
    await sequenced.close();

    const dir = join(dataDir, 'backup');
    const backupStarted = performance.now();
    const manifest = await backupLedger(source.pool, dir);
    const backupSeconds = (performance.now() - backupStarted) / 1000;
    const checkStarted = performance.now();
    await checkBackup(dir);
    const checkSeconds = (performance.now() - checkStarted) / 1000;
    const restoreConfig = loadConfig({ DATABASE_URL: restored.url, GONGWEN_DATA_DIR: dataDir, GONGWEN_LEDGER_KEY: privateKey });
    const summary = await restoreInto(restoreConfig, { url: restored.url, pool: restored.pool, embedded: false, close: async () => {} }, dir, manifest, key);
    if ('problem' in summary) throw new Error(summary.problem);
    const verifyStarted = performance.now();
    const report = await verifyLedger(restored.pool, { publicKeyHex: key.publicKeyHex, macKey: key.macKey, registry: eventRegistry });
    return {
      events: manifest.events,
      backupBytes: manifest.tables.reduce((n, t) => n + t.bytes, 0),
      seconds: {
        backup: round1(backupSeconds),
        checkFiles: round1(checkSeconds),
        restoreCopy: summary.seconds.copy,
        restoreCheckpoint: summary.seconds.checkpoint,
        restoreRebuild: summary.seconds.rebuild,
        restoreTotal: summary.seconds.total,
        verify: round1((performance.now() - verifyStarted) / 1000),
      },
      verifyOk: report.ok,
      checkpointKept: summary.backupCheckpoint?.rootHash === manifest.latestCheckpoint?.rootHash,
    };
  } finally {
    await source.drop();
    await restored.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function generated() {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const run = (file: string, runs: number) =>
    new Promise<{ file: string; runs: number; passed: boolean; seconds: number }>((ok) => {
      const started = performance.now();
      const child = spawn(process.execPath, ['test/run.mjs', file], { cwd: root, env: { ...process.env, FC_RUNS: String(runs) }, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (code) => ok({ file, runs, passed: code === 0, seconds: round1((performance.now() - started) / 1000) }));
    });
  return [
    await run('test/unit/domain/properties.test.ts', num('FAULTS_PROPERTY_RUNS', 2000)),
    await run('test/faults/hostile-generated.test.ts', num('FAULTS_HOSTILE_RUNS', 400)),
  ];
}

const result: Record<string, unknown> = { machine: { cpus: cpus().length, loadAverageAtStart: loadavg().map((l) => round1(l)) } };
if (!only || only === 'generated') result.generated = await generated();
if (!only || only === 'postgresKill') result.postgresKill = await postgresKill();
// The database server of the sections that bring their own ledger onto one (postgresKill has its own).
const server = !only || only === 'serverKill' || only === 'backupRestore' ? await startBenchServer() : { adminUrl: '', stop: async () => {} };
try {
  if (!only || only === 'serverKill') result.serverKill = await serverKill(server.adminUrl);
  if (!only || only === 'backupRestore') result.backupRestore = await backupRestore(server.adminUrl);
} finally {
  await server.stop();
}
(result.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map((l) => round1(l));
console.log(JSON.stringify(result, null, 2));
