/**
 * Same-run A/B of the API's per-request cost (issue #16.3): two `gongwen serve` processes on the
 * API bench's big ledger (bench/api.ts; the second joins the first one's embedded PostgreSQL): A
 * from BENCH_AB_A_CODE (another checkout of the project, e.g. `git archive <commit>` unpacked with
 * node_modules linked; default this one), B from this checkout with BENCH_AB_ENV added to its
 * environment.
 * Each query is run against A and B in turn, BENCH_AB_ROUNDS times, the order swapped every round,
 * so both sides see the same machine load; the figures are per side (the median of the rounds) and
 * as ratios B ÷ A: requests/s, p50, p99, and the CPU ms per answered request of the server process
 * and of PostgreSQL (all its processes, from /proc: the servers take turns on it).
 *
 *   BENCH_DATA_DIR=… BENCH_AB_A_CODE=/tmp/before npx tsx bench/api-ab.ts
 *
 * Environment: those of bench/api.ts (BENCH_API_EVENTS, BENCH_API_CLIENTS, BENCH_API_SECONDS,
 * BENCH_API_QUERIES …), BENCH_AB_ENV (`NAME=value,NAME=value`), BENCH_AB_ROUNDS (default 2),
 * BENCH_AB_PROFILE (a folder: side A runs under `node --cpu-prof` there), BENCH_API_USERS (the
 * askers, as in bench/api.ts). The read cache on and off in one run, this checkout on both sides:
 *
 *   BENCH_DATA_DIR=… BENCH_AB_ENV=GONGWEN_READ_CACHE_BYTES=0 npx tsx bench/api-ab.ts
 */
import { bigLedger } from './big-ledger.ts';
import { askers, cannon, checkAsks, hitRate, post, queries, readCacheStats, startServer } from './api.ts';
import { asksOf } from './api-users.ts';
import { BENCH_DATA_ROOT } from './data-root.ts';
import { round } from './server.ts';
import { openDatabase } from '../src/db/database.ts';
import { postgresCpu, postgresCpuBetween } from './postgres-cpu.ts';

const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 200_000);
const SEED = Number(process.env.BENCH_API_SEED ?? 2025);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 2);
const ONLY = process.env.BENCH_API_QUERIES?.split(',').map((q) => q.trim());
const B_ENV = Object.fromEntries(
  (process.env.BENCH_AB_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const l = await bigLedger({ events: EVENTS, seed: SEED, templateDocuments: 80, writers: 8, dataRoot: BENCH_DATA_ROOT });
// The askers spread over many units, as bench/api.ts does (BENCH_API_USERS).
const units = await askers(l);
const a = await startServer(l, { profileDir: process.env.BENCH_AB_PROFILE, codeDir: process.env.BENCH_AB_A_CODE });
const b = await startServer(l, { env: B_ENV });
// The servers share one PostgreSQL and take turns: its CPU during a run is that run's (and the background's).
const db = await openDatabase({ ...l.config, DATABASE_URL: undefined }, { migrate: false });
const result: Record<string, unknown> = { a: process.env.BENCH_AB_A_CODE ?? 'this checkout', b: B_ENV, clients: Number(process.env.BENCH_API_CLIENTS ?? 50), secondsPerRun: SECONDS, rounds: ROUNDS, perQuery: {} };
try {
  for (const q of queries(l).filter((q) => !ONLY || ONLY.includes(q.name))) {
    const token = l.tokens[q.token];
    const asks = units ? asksOf(q.name, units) : [];
    const runs: Record<'a' | 'b', { requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuMs: number; pgCpuMs: number; non2xx: number; hitRate: number | null }[]> = { a: [], b: [] };
    for (const [name, server] of [['a', a], ['b', b]] as const) {
      const answer = await post(server.url, token, q);
      if (answer.errors) throw new Error(`${q.name} (${name}) answered errors: ${JSON.stringify(answer.errors)}`);
      await checkAsks(server.url, q, asks);
      await cannon(server.url, token, q, 2, asks); // warm-up
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, server] of (r % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]]) as [('a' | 'b'), typeof a][]) {
        const cpuBefore = await server.cpuSeconds();
        const pgBefore = await postgresCpu(db.pool);
        const cacheBefore = await readCacheStats(server.url);
        const run = await cannon(server.url, token, q, SECONDS, asks);
        const hits = hitRate(cacheBefore, await readCacheStats(server.url));
        const answered = Math.max(1, run.requestsPerSecond * SECONDS);
        const cpuMs = round((((await server.cpuSeconds()) - cpuBefore) * 1000) / answered, 2);
        const pgCpuMs = round((postgresCpuBetween(pgBefore, await postgresCpu(db.pool)) ?? NaN) / answered, 2);
        runs[name].push({ requestsPerSecond: run.requestsPerSecond, p50Ms: run.p50Ms, p99Ms: run.p99Ms, cpuMs, pgCpuMs, non2xx: run.non2xx, hitRate: hits });
      }
    }
    const side = (xs: (typeof runs)['a']) => ({
      requestsPerSecond: median(xs.map((x) => x.requestsPerSecond)),
      p50Ms: median(xs.map((x) => x.p50Ms)),
      p99Ms: median(xs.map((x) => x.p99Ms)),
      serverCpuMsPerRequest: median(xs.map((x) => x.cpuMs)),
      postgresCpuMsPerRequest: median(xs.map((x) => x.pgCpuMs)),
      non2xx: xs.reduce((n, x) => n + x.non2xx, 0),
      readCacheHitRates: xs.map((x) => x.hitRate),
    });
    const A = side(runs.a);
    const B = side(runs.b);
    const entry = {
      a: A,
      b: B,
      bToA: {
        requestsPerSecond: round(B.requestsPerSecond / A.requestsPerSecond, 2),
        p50: round(B.p50Ms / A.p50Ms, 2),
        p99: round(B.p99Ms / A.p99Ms, 2),
        serverCpuMsPerRequest: round(B.serverCpuMsPerRequest / A.serverCpuMsPerRequest, 2),
        postgresCpuMsPerRequest: round(B.postgresCpuMsPerRequest / A.postgresCpuMsPerRequest, 2),
      },
    };
    (result.perQuery as Record<string, unknown>)[q.name] = entry;
    console.error(q.name, JSON.stringify(entry));
  }
} finally {
  await db.pool.end();
  await b.stop();
  await a.stop();
}
console.log(JSON.stringify(result, null, 2));
