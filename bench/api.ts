/**
 * The API at scale (issue #16.3): the big ledger of bench/big-ledger.ts served by the real
 * `gongwen serve` in its own process, and the read queries over HTTP with BENCH_API_CLIENTS (50)
 * concurrent clients through autocannon: requests/s, p50/p99 latency, and the server's peak RSS.
 * Each query's SQL is checked with EXPLAIN against the same database: a sequential scan of a table
 * of more than 10,000 rows fails the section (an assertion, not a figure to eyeball).
 *
 * The floor of the request pipeline is measured in the same run (`ledgerKey`: authentication,
 * parsing, validation, no read), so every figure also comes as a ratio to it.
 *
 * Mutations beside the queries (bench/api-lifecycles.ts): BENCH_API_LIFECYCLE_CLIENTS (4) clients run
 * whole document lifecycles through GraphQL (nine mutations by five users each) while the 50 clients
 * query the inbox (the lifecycles sending to receiving units of their own, then to units the query
 * clients read, whose kept answers each lifecycle then drops); the inbox alone, with the lifecycles, and alone again, interleaved in one run, so
 * the p50/p99 with and without the mutations come as ratios; and the lifecycles/s alone and under
 * the queries.
 *
 * Environment: BENCH_API_EVENTS (default 200000), BENCH_API_SEED (2025), BENCH_API_TEMPLATE_DOCUMENTS
 * (80), BENCH_API_CLIENTS (50), BENCH_API_SECONDS (10 per query), BENCH_DATA_DIR (./.bench-data),
 * BENCH_API_QUERIES (a comma list of the query names to run, default all; `none` for none),
 * BENCH_API_PROFILE (a folder: the server runs under `node --cpu-prof` there, and the section
 * reports its top frames), BENCH_API_USERS (24: the clients ask as the clerks and leaders of that many
 * units, several pages or documents each, picked at random per request, bench/api-users.ts; 1: all
 * as one user with one query). Each query's figures carry the server's read cache hit rate over the
 * run (its /health); GONGWEN_READ_CACHE_BYTES=0 in the bench's environment runs the server without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type pg from 'pg';
import * as audit from '../projections/audit/queries.ts';
import * as inbox from '../projections/inbox/queries.ts';
import * as search from '../projections/search/queries.ts';
import * as sentBox from '../projections/sent-box/queries.ts';
import { openDatabase } from '../src/db/database.ts';
import { bigLedger, type BigLedger } from './big-ledger.ts';
import { lifecycleClients } from './api-lifecycles.ts';
import { longTasks, topFrames } from './cpu-profile.ts';
import { round } from './server.ts';
import { BENCH_DATA_ROOT } from './data-root.ts';
import { peakRssKb } from './vm-hwm.mjs';
import { asksOf, benchUsers, type Ask, type BenchUnit } from './api-users.ts';

const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 200_000);
const SEED = Number(process.env.BENCH_API_SEED ?? 2025);
const TEMPLATE_DOCUMENTS = Number(process.env.BENCH_API_TEMPLATE_DOCUMENTS ?? 80);
const CLIENTS = Number(process.env.BENCH_API_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const DATA_ROOT = BENCH_DATA_ROOT;
const PROFILE_DIR = process.env.BENCH_API_PROFILE;
const LIFECYCLE_CLIENTS = Number(process.env.BENCH_API_LIFECYCLE_CLIENTS ?? 4);
const ONLY_QUERIES = process.env.BENCH_API_QUERIES?.split(',').map((q) => q.trim());
/** Askers spread over this many units (bench/api-users.ts); 1: every client asks as the one clerk (or leader) with one query. */
const USERS = Number(process.env.BENCH_API_USERS ?? 24);
const P99_TARGET_MS = 25;
const SEQ_SCAN_ROWS = 10_000;

export interface Query {
  name: string;
  token: keyof BigLedger['tokens'];
  query: string;
  variables?: Record<string, unknown>;
}

export const queries = (l: BigLedger): Query[] => [
  { name: 'floor (ledgerKey)', token: 'clerk', query: '{ ledgerKey { keyId } }' },
  {
    name: 'inbox',
    token: 'clerk',
    query: 'query ($n: Int) { inbox(first: $n) { edges { node { documentId title docNumber urgency status deliveredAt } } pageInfo { hasNextPage endCursor } counts { awaitingReceipt received awaitingHandling mine { awaitingHandling handled } } } }',
    variables: { n: 20 },
  },
  {
    name: 'sentDocuments',
    token: 'clerk',
    query: 'query ($n: Int) { sentDocuments(first: $n) { edges { node { documentId title docNumber recipients { unitId status } } } pageInfo { hasNextPage } } }',
    variables: { n: 20 },
  },
  {
    name: 'timeline',
    token: 'clerk',
    query: 'query ($id: ID!) { timeline(documentId: $id, first: 50) { edges { node { type occurredAt actorUserId } } pageInfo { hasNextPage } } }',
    variables: { id: l.documentId },
  },
  {
    name: 'unitTimeline',
    token: 'leader',
    query: 'query ($u: ID!, $n: Int) { unitTimeline(unitId: $u, first: $n) { edges { node { type occurredAt actorUserId } } pageInfo { hasNextPage } } }',
    variables: { u: l.leader.unitId, n: 50 },
  },
  {
    name: 'searchDocuments',
    token: 'clerk',
    query: 'query ($q: String!) { searchDocuments(query: $q, first: 20) { edges { node { documentId title docNumber score snippet } } pageInfo { hasNextPage } } }',
    variables: { q: l.searchTerm },
  },
];

/**
 * `gongwen serve` on the data folder, in its own process; resolves once it listens. `env` is added
 * to the server's environment, `codeDir` runs another checkout's server (bench/api-ab.ts).
 */
export async function startServer(
  l: BigLedger,
  opts: { env?: Record<string, string>; profileDir?: string; codeDir?: string } = { profileDir: PROFILE_DIR },
): Promise<{ url: string; child: ChildProcess; cpuSeconds(): Promise<number>; peakRssMb(): number; stop(): Promise<void> }> {
  const args = [...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []), 'bin/gongwen.js', 'serve'];
  const child = spawn(process.execPath, args, {
    cwd: opts.codeDir ?? new URL('..', import.meta.url).pathname,
    env: { ...process.env, GONGWEN_DATA_DIR: l.dataDir, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /GraphQL:\s+(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gongwen serve exited (${code}): ${stderr}`)));
  });
  return {
    url,
    child,
    /** CPU seconds (user + system) the server has used so far. */
    async cpuSeconds() {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    peakRssMb() {
      return Math.round(peakRssKb(child.pid!) / 1024);
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The server's read cache counters (its /health); null when the server has none. */
export async function readCacheStats(url: string): Promise<{ hits: number; misses: number } | null> {
  const res = await fetch(url.replace(/\/graphql$/, '/health'));
  return ((await res.json()) as { readCache?: { hits: number; misses: number } }).readCache ?? null;
}

/** The share of the read cache's look-ups between two counters that were hits (null: none were made). */
export const hitRate = (before: { hits: number; misses: number } | null, after: { hits: number; misses: number } | null): number | null => {
  if (!before || !after) return null;
  const looked = after.hits - before.hits + (after.misses - before.misses);
  return looked > 0 ? round((after.hits - before.hits) / looked, 3) : null;
};

/** Askers for a query: spread over the units (null: the single token of the query). */
export async function askers(l: BigLedger): Promise<BenchUnit[] | null> {
  return USERS > 1 ? benchUsers(l, USERS) : null;
}

/** Checks that every asker gets an answer without errors (a wrong mix would measure refusals). */
export async function checkAsks(url: string, q: Query, asks: readonly Ask[]): Promise<void> {
  for (const a of asks) {
    const answer = await post(url, a.token, { ...q, variables: a.variables });
    if (answer.errors) throw new Error(`${q.name} as asked (${JSON.stringify(a.variables)}) answered errors: ${JSON.stringify(answer.errors)}`);
  }
}

export async function post(url: string, token: string, q: Query): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: q.query, variables: q.variables }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The query under CLIENTS clients for `seconds`: as `token` with its own variables, or, given
 * `asks` (bench/api-users.ts), each request as an asker and with variables picked at random.
 */
export async function cannon(url: string, token: string, q: Query, seconds = SECONDS, asks: readonly Ask[] = []) {
  const bodies = asks.map((a) => ({ authorization: `Bearer ${a.token}`, body: JSON.stringify({ query: q.query, variables: a.variables }) }));
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CLIENTS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: q.query, variables: q.variables }),
    ...(bodies.length > 0 && {
      requests: [
        {
          setupRequest: (req: { headers?: Record<string, string>; body?: string }) => {
            const pick = bodies[Math.floor(Math.random() * bodies.length)]!;
            return { ...req, headers: { ...req.headers, authorization: pick.authorization }, body: pick.body };
          },
        },
      ],
    }),
  } as autocannon.Options);
  return {
    // Answered requests only: a SERVER_BUSY refusal (503, the in-flight bound) is quick and not an answer.
    requestsPerSecond: Math.round(result['2xx'] / seconds),
    allResponsesPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

// ---- plans --------------------------------------------------------------------------------------

type Plan = { 'Node Type': string; 'Relation Name'?: string; 'Plan Rows'?: number; Plans?: Plan[] };

/** Every (text, values) the projection queries send, captured from a pool stand-in. */
function capturing(pool: pg.Pool) {
  const seen: { text: string; values: unknown[] }[] = [];
  const stand = {
    query(a: string | { text: string; values?: unknown[] }, b?: unknown[]) {
      const text = typeof a === 'string' ? a : a.text;
      const values = (typeof a === 'string' ? b : a.values) ?? [];
      seen.push({ text, values });
      return pool.query(a as never, b);
    },
  } as unknown as pg.Pool;
  return { pool: stand, seen };
}

function seqScans(plan: Plan, big: Set<string>, found: string[] = []): string[] {
  if (plan['Node Type'] === 'Seq Scan' && plan['Relation Name'] && big.has(plan['Relation Name'])) found.push(plan['Relation Name']);
  for (const p of plan.Plans ?? []) seqScans(p, big, found);
  return found;
}

/** The resolvers' own projection queries, with the arguments the HTTP requests give them, EXPLAINed. */
async function checkPlans(pool: pg.Pool, l: BigLedger) {
  const { rows: tables } = await pool.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > $1`, [SEQ_SCAN_ROWS]);
  const big = new Set(tables.map((t) => t.relname));
  const calls: Record<string, (p: pg.Pool) => Promise<unknown>> = {
    inbox: async (p) => {
      await inbox.listInbox(p, { unitId: l.clerk.unitId, first: 20 });
      await inbox.inboxCounts(p, l.clerk.unitId, l.clerk.userId);
    },
    sentDocuments: (p) => sentBox.listSent(p, { unitId: l.clerk.unitId, first: 20 }),
    timeline: (p) => audit.documentTimeline(p, l.documentId, { first: 50 }),
    unitTimeline: (p) => audit.unitTimeline(p, l.leader.unitId, { first: 50 }),
    searchDocuments: (p) => search.searchDocuments(p, { query: l.searchTerm, visibleToUnitId: l.clerk.unitId, first: 20 }),
  };
  const out: Record<string, { statements: number; seqScansOfBigTables: string[] }> = {};
  for (const [name, call] of Object.entries(calls)) {
    const c = capturing(pool);
    await call(c.pool);
    const scans: string[] = [];
    for (const s of c.seen) {
      const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: Plan }] }>(`EXPLAIN (FORMAT JSON) ${s.text}`, s.values);
      scans.push(...seqScans(rows[0]!['QUERY PLAN'][0].Plan, big));
    }
    out[name] = { statements: c.seen.length, seqScansOfBigTables: scans };
  }
  return { bigTables: [...big].sort(), perQuery: out, ok: Object.values(out).every((q) => q.seqScansOfBigTables.length === 0) };
}

const ratio = (a: number, b: number) => (a > 0 && b > 0 ? round(a / b, 2) : null);

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!, 0) : null;
};

/**
 * The inbox under the 50 query clients alone, then with the lifecycle clients beside them (sending
 * to units of their own, then to units the query clients read), then alone again (interleaved, so
 * the ratios hold on a loaded machine); and the lifecycles alone.
 */
async function queriesWithMutations(url: string, l: BigLedger, units: BenchUnit[] | null) {
  const inboxQuery = queries(l).find((q) => q.name === 'inbox')!;
  const asks = units ? asksOf('inbox', units) : [];
  const cannonInbox = () => cannon(url, l.tokens.clerk, inboxQuery, SECONDS, asks);
  const lc = await lifecycleClients(url, l.tokens.admin, LIFECYCLE_CLIENTS);
  await lc.runUntil(Date.now() + 2_000); // warm-up: the new users' streams, the seals' first unlock
  const alone = await lc.runUntil(Date.now() + SECONDS * 1000);
  const before = await cannonInbox();
  const cacheBefore = await readCacheStats(url);
  const [during, underQueries] = await Promise.all([cannonInbox(), lc.runUntil(Date.now() + SECONDS * 1000)]);
  const hitRateDuring = hitRate(cacheBefore, await readCacheStats(url));
  // The same, with the documents sent to units the query clients read (one per lifecycle client):
  // each lifecycle then drops kept answers those clients ask for, not only the timelines of its own.
  const readers = (units ?? []).filter((u) => u.leader).slice(0, LIFECYCLE_CLIENTS);
  let onQueriedUnits: (Awaited<ReturnType<typeof cannonInbox>> & { readCacheHitRate: number | null; receivingUnits: number; lifecycles: ReturnType<typeof lifecycles> }) | null = null;
  if (readers.length > 0) {
    const toReaders = await lifecycleClients(
      url,
      l.tokens.admin,
      LIFECYCLE_CLIENTS,
      readers.map((u) => ({ unitId: u.unitId, clerk: u.clerk.token, clerkUserId: u.clerk.userId, leader: u.leader!.token })),
    );
    await toReaders.runUntil(Date.now() + 2_000);
    const cacheBeforeOnQueried = await readCacheStats(url);
    const [inboxOnQueried, lifecyclesOnQueried] = await Promise.all([cannonInbox(), toReaders.runUntil(Date.now() + SECONDS * 1000)]);
    onQueriedUnits = { ...inboxOnQueried, readCacheHitRate: hitRate(cacheBeforeOnQueried, await readCacheStats(url)), receivingUnits: readers.length, lifecycles: lifecycles(lifecyclesOnQueried) };
  }
  const afterwards = await cannonInbox();
  const inboxAlone = { p50Ms: (before.p50Ms + afterwards.p50Ms) / 2, p99Ms: (before.p99Ms + afterwards.p99Ms) / 2, requestsPerSecond: (before.requestsPerSecond + afterwards.requestsPerSecond) / 2 };
  function lifecycles(r: typeof alone) {
    return {
      perSecond: round(r.lifecycles / r.seconds, 2),
      mutationsPerSecond: round((r.lifecycles * 9) / r.seconds, 1),
      seconds: round(r.seconds, 1),
      p50Ms: percentile(r.msPerLifecycle, 50),
      p99Ms: percentile(r.msPerLifecycle, 99),
      medianMsByStep: r.medianMsByStep,
      failures: r.failures,
    };
  }
  return {
    lifecycleClients: LIFECYCLE_CLIENTS,
    queryClients: CLIENTS,
    lifecyclesAlone: lifecycles(alone),
    lifecyclesUnderQueries: lifecycles(underQueries),
    inbox: { before, during: { ...during, readCacheHitRate: hitRateDuring }, duringOnQueriedUnits: onQueriedUnits, after: afterwards },
    // null where a side had no answer to measure (a ratio to 0 would read as a figure).
    ratios: {
      inboxP50WithMutations: ratio(during.p50Ms, inboxAlone.p50Ms),
      inboxP99WithMutations: ratio(during.p99Ms, inboxAlone.p99Ms),
      inboxP99WithMutationsOnQueriedUnits: onQueriedUnits ? ratio(onQueriedUnits.p99Ms, inboxAlone.p99Ms) : null,
      inboxRequestsPerSecondWithMutations: ratio(during.requestsPerSecond, inboxAlone.requestsPerSecond),
      lifecyclesUnderQueriesToAlone: ratio(underQueries.lifecycles / underQueries.seconds, alone.lifecycles / alone.seconds),
    },
  };
}

export async function benchApi() {
  const buildStarted = performance.now();
  const l = await bigLedger({ events: EVENTS, seed: SEED, templateDocuments: TEMPLATE_DOCUMENTS, writers: 8, dataRoot: DATA_ROOT });
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  const units = await askers(l);
  const server = await startServer(l);
  const db = await openDatabase({ ...l.config, DATABASE_URL: undefined }, { migrate: false });
  try {
    // The ledger as served: the build's events, the supervision's first scan of them, earlier runs' lifecycles.
    const { rows: counted } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const plans = await checkPlans(db.pool, l);
    console.error('plans', JSON.stringify(plans));
    const perQuery: Record<string, unknown> = {};
    let floor = 0;
    for (const q of queries(l).filter((q) => !ONLY_QUERIES || q.name === 'floor (ledgerKey)' || ONLY_QUERIES.includes(q.name))) {
      const token = l.tokens[q.token];
      // Each run starts on a server that answers at once: no SERVER_BUSY left over from the previous one.
      const answer = await post(server.url, token, q);
      if (answer.errors) throw new Error(`${q.name} answered errors: ${JSON.stringify(answer.errors)}`);
      const asks = units ? asksOf(q.name, units) : [];
      await checkAsks(server.url, q, asks);
      await cannon(server.url, token, q, 2, asks); // warm-up: the JIT, the caches, PostgreSQL's buffers
      const cpuBefore = await server.cpuSeconds();
      const cacheBefore = await readCacheStats(server.url);
      const r = await cannon(server.url, token, q, SECONDS, asks);
      const readCacheHitRate = hitRate(cacheBefore, await readCacheStats(server.url));
      // The server's own CPU per answered request: the figure that a busy machine distorts least.
      const serverCpuMsPerRequest = round(((await server.cpuSeconds()) - cpuBefore) * 1000 / Math.max(1, r.requestsPerSecond * SECONDS), 2);
      if (!floor) floor = r.requestsPerSecond;
      const askers = new Set(asks.map((a) => a.token)).size || 1;
      perQuery[q.name] = { ...r, readCacheHitRate, askers, distinctAsks: asks.length || 1, serverCpuMsPerRequest, loadAverage: loadavg()[0]!.toFixed(1), ratioToFloor: round(r.requestsPerSecond / floor, 2), p99Target: r.p99Ms <= P99_TARGET_MS };
      console.error(q.name, JSON.stringify(perQuery[q.name]));
    }
    const mutations = LIFECYCLE_CLIENTS > 0 ? await queriesWithMutations(server.url, l, units) : undefined;
    if (mutations) console.error('mutations', JSON.stringify(mutations));
    const serverPeakRssMb = server.peakRssMb();
    return {
      events: counted[0]!.n,
      eventsBuilt: l.events,
      build: { ...l.build, reused: buildSeconds < 60 },
      clients: CLIENTS,
      readCacheBytes: process.env.GONGWEN_READ_CACHE_BYTES ?? 'default',
      secondsPerQuery: SECONDS,
      p99TargetMs: P99_TARGET_MS,
      perQuery,
      mutations,
      plans,
      serverPeakRssMb,
    };
  } finally {
    await db.pool.end();
    await server.stop();
    if (PROFILE_DIR) {
      // The main thread's profile is the largest (tsx's loader thread writes one too).
      const files = await Promise.all((await readdir(PROFILE_DIR)).filter((f) => f.endsWith('.cpuprofile')).map(async (f) => ({ f, size: (await stat(join(PROFILE_DIR, f))).size })));
      const main = files.sort((a, b) => b.size - a.size)[0];
      if (main) {
        const profile = JSON.parse(await readFile(join(PROFILE_DIR, main.f), 'utf8'));
        // The long stretches are what a cached answer waits behind (start-up's among them: read their frames).
        console.error(JSON.stringify({ top: topFrames(profile, 30), longTasks: longTasks(profile) }, null, 1));
      }
    }
  }
}
