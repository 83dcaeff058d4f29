/**
 * Where a document lifecycle's time goes (issue #16.3, "mutations: whole lifecycles per second"):
 * the API bench's big ledger served by `gongwen serve` under `node --cpu-prof`, driven only by the
 * lifecycle clients of bench/api-lifecycles.ts (no query clients), and the CPU profile of each of
 * the server's threads (the main thread, the render worker) cut to the measured run: self time per
 * function and per module, and inclusive time of the functions that matter, as shares of the
 * thread's busy time. With pg_stat_statements loaded in the ledger's PostgreSQL (add
 * `shared_preload_libraries = 'pg_stat_statements'` to a COPY's pg/postgresql.auto.conf), also the
 * statements by total execution time over the run.
 *
 *   BENCH_DATA_DIR=<a copy> BENCH_API_SECONDS=15 npx tsx bench/api-lifecycle-profile.ts
 *
 * Also the CPU each lifecycle costs, the figure a loaded 2-core machine distorts least: the server's
 * (all its threads, from /proc) and PostgreSQL's (bench/postgres-cpu.ts) over the run, divided by
 * the lifecycles done. BENCH_LIFECYCLE_PROFILE=0 runs the server without the profiler (for that
 * figure alone), BENCH_LIFECYCLE_CODE another checkout's server (an A/B: run it for each side, on
 * a copy of the ledger each, interleaved).
 *
 * Environment: BENCH_DATA_DIR, BENCH_API_EVENTS, BENCH_API_SEED, BENCH_API_SECONDS (10),
 * BENCH_API_LIFECYCLE_CLIENTS (4), BENCH_LIFECYCLE_PROFILE_DIR (a folder for the .cpuprofile files;
 * default a new one under the data folder), BENCH_LIFECYCLE_PROFILE, BENCH_LIFECYCLE_CODE.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bigLedger } from './big-ledger.ts';
import { startServer } from './api.ts';
import { lifecycleClients } from './api-lifecycles.ts';
import { inclusiveFrames, sampledWithin, topFrames, type CpuProfile } from './cpu-profile.ts';
import { BENCH_DATA_ROOT } from './data-root.ts';
import { round } from './server.ts';
import { openDatabase } from '../src/db/database.ts';
import { postgresCpu, postgresCpuBetween } from './postgres-cpu.ts';

const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 200_000);
const SEED = Number(process.env.BENCH_API_SEED ?? 2025);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_API_LIFECYCLE_CLIENTS ?? 4);
const PROFILE = process.env.BENCH_LIFECYCLE_PROFILE !== '0';

/** Monotonic microseconds: V8 stamps profile samples on the same clock (CLOCK_MONOTONIC). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const l = await bigLedger({ events: EVENTS, seed: SEED, templateDocuments: 80, writers: 8, dataRoot: BENCH_DATA_ROOT });
const profileDir = PROFILE ? (process.env.BENCH_LIFECYCLE_PROFILE_DIR ?? (await mkdtemp(join(l.dataDir, '..', 'lifecycle-profile-')))) : undefined;
const server = await startServer(l, { profileDir, codeDir: process.env.BENCH_LIFECYCLE_CODE });
const db = await openDatabase({ ...l.config, DATABASE_URL: undefined }, { migrate: false });
let statements = false;
let from = 0;
let to = 0;
let run: Awaited<ReturnType<Awaited<ReturnType<typeof lifecycleClients>>['runUntil']>> | undefined;
let pg: unknown;
let summary: unknown;
try {
  const lc = await lifecycleClients(server.url, l.tokens.admin, CLIENTS);
  await lc.runUntil(Date.now() + 3_000); // warm-up: the users' streams, the fonts in the render worker
  statements = await db.pool
    .query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    .then(() => db.pool.query('SELECT pg_stat_statements_reset()'))
    .then(() => true)
    .catch(() => false);
  const cpuBefore = await server.cpuSeconds();
  const pgBefore = await postgresCpu(db.pool);
  from = nowUs();
  run = await lc.runUntil(Date.now() + SECONDS * 1000);
  to = nowUs();
  const cpu = (await server.cpuSeconds()) - cpuBefore;
  const pgCpuMs = postgresCpuBetween(pgBefore, await postgresCpu(db.pool));
  if (statements) {
    const { rows } = await db.pool.query<{ calls: string; total: number; mean: number; query: string }>(
      `SELECT calls, round(total_exec_time::numeric, 1)::float AS total, round(mean_exec_time::numeric, 2)::float AS mean, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 20`,
    );
    const { rows: sum } = await db.pool.query<{ total: number; calls: string }>(`SELECT round(sum(total_exec_time)::numeric, 1)::float AS total, sum(calls)::text AS calls FROM pg_stat_statements`);
    pg = { totalExecMs: sum[0]!.total, calls: Number(sum[0]!.calls), top: rows.map((r) => ({ ...r, calls: Number(r.calls), percent: round((100 * r.total) / sum[0]!.total, 1) })) };
  }
  summary = { lifecycles: run.lifecycles, perSecond: round(run.lifecycles / run.seconds, 2), serverCpuSeconds: round(cpu, 1), serverCpuMsPerLifecycle: round((cpu * 1000) / Math.max(1, run.lifecycles)), postgresCpuMsPerLifecycle: pgCpuMs === null ? null : round(pgCpuMs / Math.max(1, run.lifecycles)), loadAverage: loadavg()[0]!.toFixed(1), medianMsByStep: run.medianMsByStep, failures: run.failures };
  console.error('run', JSON.stringify(summary));
} finally {
  await db.pool.end();
  await server.stop();
}
const threads = [];
for (const f of profileDir ? (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile')) : []) {
  const profile = JSON.parse(await readFile(join(profileDir!, f), 'utf8')) as CpuProfile & { startTime: number };
  const cut = sampledWithin(profile, from, to);
  const top = topFrames(cut, 25);
  if (top.busyMs < 50) continue; // tsx's loader thread and the like
  threads.push({ file: f, ...top, inclusive: inclusiveFrames(cut) });
}
console.log(JSON.stringify({ clients: CLIENTS, seconds: SECONDS, code: process.env.BENCH_LIFECYCLE_CODE ?? 'this checkout', run: summary, postgres: pg ?? 'pg_stat_statements not loaded', threads }, null, 1));
