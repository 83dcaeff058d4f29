/**
 * The append path against a raw multi-row INSERT baseline and against a peer, Emmett's PostgreSQL
 * event store (bench/emmett-append.ts), in the same run on the same PostgreSQL database (DESIGN.md
 * performance budget: ≥ 0.6× raw with 8 writers, 5 events per new stream; issue 16: ≥ 1.5×
 * Emmett's rate with the hash chain, MAC and idempotency on). At each of BENCH_WRITERS (1,8,32)
 * writers, BENCH_APPEND_ROUNDS (2) rounds of raw, ledger and Emmett runs of BENCH_SECONDS (5)
 * each, interleaved (raw, ledger, Emmett, raw, ledger, Emmett, …) so that the machine's load
 * falls on all three alike. For each side: transactions per second, the Node CPU and the
 * PostgreSQL server CPU each transaction cost (bench/postgres-cpu.ts; null when the server is not
 * on this machine), and the queries (round trips) each one sent. BENCH_APPEND_PEER=0 leaves
 * Emmett out; BENCH_APPEND_PROFILE=1 profiles the ledger's first run at the most writers;
 * BENCH_APPEND_FLIGHTS sets the store's group-commit flights (appendFlights);
 * BENCH_APPEND_GROUP_AB=1 adds, in each round, a run of a second store whose flights are as many
 * as the writers (so no append ever waits: group commit off, the same code otherwise), and reports
 * the ledger's rate over it (a same-run A/B of group commit). Then
 * the verifier's walk over what was appended. Figures are ratios, because absolute rates depend
 * on the machine.
 */
import { randomUUID } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import pg from 'pg';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../src/integrity/ledger-key.ts';
import { verifyLedger } from '../src/integrity/verify-ledger.ts';
import { createBenchDatabase, forSeconds } from './server.ts';
import { topFrames, type CpuProfile } from './cpu-profile.ts';
import { postgresCpu, postgresCpuBetween } from './postgres-cpu.ts';
import { openEmmettStore, type PeerStore } from './emmett-append.ts';

/** A CPU profile of this process from now until `stop` (node:inspector, no restart needed). */
async function startProfile(): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

/** One or more writer counts, `1,8,32`: raw, ledger and peer interleaved at each. */
const WRITER_COUNTS = (process.env.BENCH_WRITERS ?? '1,8,32').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_APPEND_ROUNDS ?? 2);
const PEER = process.env.BENCH_APPEND_PEER !== '0';
/** Set: the ledger's first run at the largest writer count is CPU-profiled, and the top frames reported. */
const PROFILE = process.env.BENCH_APPEND_PROFILE === '1';
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** The store's group commit: appends in flight at once (PostgresEventStore's appendFlights; unset = its default). */
const FLIGHTS = process.env.BENCH_APPEND_FLIGHTS ? Number(process.env.BENCH_APPEND_FLIGHTS) : undefined;
const GROUP_AB = process.env.BENCH_APPEND_GROUP_AB === '1';

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });
const benchEvents = () => Array.from({ length: EVENTS_PER_STREAM }, (_, n) => ({ type: 'BenchEvent', data: payload(n) }));

/** CPU time of this process (the bench client and the store's Node side), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Round trips: every statement any pool of this process sends goes through Client#query.
let queriesSent = 0;
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queriesSent++;
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

interface Totals {
  transactions: number;
  seconds: number;
  nodeCpuMs: number;
  postgresCpuMs: number | null;
  queries: number;
}

const emptyTotals = (): Totals => ({ transactions: 0, seconds: 0, nodeCpuMs: 0, postgresCpuMs: 0, queries: 0 });

/** One timed run of `once` at `writers`, added to `totals`. */
async function measure(pool: pg.Pool, totals: Totals, writers: number, once: () => Promise<void>): Promise<void> {
  const pgBefore = await postgresCpu(pool);
  const queriesBefore = queriesSent;
  const cpuBefore = cpuMs();
  const perSecond = await forSeconds(writers, SECONDS, once);
  const nodeCpu = cpuMs() - cpuBefore;
  const queries = queriesSent - queriesBefore;
  const pgCpu = postgresCpuBetween(pgBefore, await postgresCpu(pool));
  totals.transactions += perSecond * SECONDS;
  totals.seconds += SECONDS;
  totals.nodeCpuMs += nodeCpu;
  totals.queries += queries;
  totals.postgresCpuMs = totals.postgresCpuMs === null || pgCpu === null ? null : totals.postgresCpuMs + pgCpu;
}

function summary(t: Totals) {
  const per = (x: number) => Number((x / t.transactions).toFixed(3));
  return {
    transactionsPerSecond: Math.round(t.transactions / t.seconds),
    nodeCpuMsPerTransaction: per(t.nodeCpuMs),
    postgresCpuMsPerTransaction: t.postgresCpuMs === null ? null : per(t.postgresCpuMs),
    queriesPerTransaction: Number((t.queries / t.transactions).toFixed(2)),
  };
}

export async function benchAppend(adminUrl: string) {
  const maxWriters = Math.max(...WRITER_COUNTS);
  const db = await createBenchDatabase(adminUrl, 'append', { maxConnections: maxWriters + 4 });
  const { pool } = db;
  await pool.query(`CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_id text, revision int, type text, data jsonb, UNIQUE (stream_id, revision))`);

  const rawSql = `INSERT INTO raw_events (stream_id, revision, type, data) SELECT $1, r, 'BenchEvent', $2::jsonb FROM generate_series(0, ${EVENTS_PER_STREAM - 1}) r`;
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new PostgresEventStore({ pool, registry, macKey: key.macKey, ...(FLIGHTS ? { appendFlights: FLIGHTS } : {}) });
  // As many flights as writers: every append leaves at once, alone, as before group commit.
  const alone = GROUP_AB ? new PostgresEventStore({ pool, registry, macKey: key.macKey, appendFlights: maxWriters }) : null;
  const peer: PeerStore | null = PEER ? await openEmmettStore(db.url, maxWriters + 4) : null;
  const actor = { userId: 'bench', unitId: 'bench', role: 'CLERK' as const };
  const perWriters = [];
  let profile: unknown;
  try {
    for (const writers of WRITER_COUNTS) {
      const raw = emptyTotals();
      const ledger = emptyTotals();
      const emmett = emptyTotals();
      const ledgerAlone = emptyTotals();
      for (let round = 0; round < ROUNDS; round++) {
        await measure(pool, raw, writers, async () => {
          await pool.query(rawSql, [randomUUID(), JSON.stringify(payload(1))]);
        });
        const session = PROFILE && writers === maxWriters && round === 0 ? await startProfile() : null;
        await measure(pool, ledger, writers, async () => {
          await store.append(`bench-${randomUUID()}`, benchEvents(), { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
        });
        if (session) profile = topFrames(await session.stop(), 25);
        if (alone) {
          await measure(pool, ledgerAlone, writers, async () => {
            await alone.append(`bench-${randomUUID()}`, benchEvents(), { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
          });
        }
        if (peer) await measure(pool, emmett, writers, () => peer.appendNewStream(benchEvents()));
      }
      const ledgerRate = ledger.transactions / ledger.seconds;
      perWriters.push({
        writers,
        raw: summary(raw),
        ledger: summary(ledger),
        ...(peer ? { emmett: summary(emmett) } : {}),
        appendRatioToRaw: Number((ledgerRate / (raw.transactions / raw.seconds)).toFixed(3)),
        ...(peer ? { ledgerToEmmett: Number((ledgerRate / (emmett.transactions / emmett.seconds)).toFixed(3)) } : {}),
        ...(alone
          ? { ledgerWithoutGroupCommit: summary(ledgerAlone), groupCommitGain: Number((ledgerRate / (ledgerAlone.transactions / ledgerAlone.seconds)).toFixed(3)) }
          : {}),
        loadAverage: Number(loadavg()[0]!.toFixed(1)),
      });
    }
  } finally {
    await peer?.close();
    await alone?.close();
  }

  const started = Date.now();
  // No sequencer runs here, so no checkpoint covers these events: the coverage rule (events older
  // than a checkpoint interval plus a minute) is not what this walk is for, and a long run would trip it.
  const report = await verifyLedger(pool, { macKey: key.macKey, publicKeyHex: key.publicKeyHex, coverageGraceMs: 86_400_000 });
  const verifySeconds = (Date.now() - started) / 1000;

  await store.close();
  await db.drop();
  return {
    eventsPerStream: EVENTS_PER_STREAM,
    seconds: SECONDS,
    rounds: ROUNDS,
    perWriters,
    appendBudgetRatio: 0.6,
    ...(peer ? { peer: '@event-driven-io/emmett-postgresql (no hash chain, MAC or idempotency)', ledgerToEmmettTarget: 1.5 } : {}),
    ...(profile ? { ledgerProfileAtMostWriters: profile } : {}),
    verify: { events: report.eventsChecked, eventsPerSecond: Math.round(report.eventsChecked / verifySeconds), ok: report.ok },
  };
}
