/**
 * The append path against a raw multi-row INSERT baseline, in the same run on the same PostgreSQL
 * (DESIGN.md performance budget: ≥ 0.6× raw with 8 writers, 5 events per new stream), at
 * BENCH_WRITERS (1,8,32) writers, raw and ledger interleaved, with the Node CPU each transaction
 * cost this process; BENCH_APPEND_PROFILE=1 profiles the ledger's run at the most writers; and the
 * verifier's walk over what was appended. Figures are ratios to the baseline, because absolute
 * rates depend on the machine.
 */
import { randomUUID } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../src/integrity/ledger-key.ts';
import { verifyLedger } from '../src/integrity/verify-ledger.ts';
import { createBenchDatabase, forSeconds } from './server.ts';
import { topFrames, type CpuProfile } from './cpu-profile.ts';

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

/** One or more writer counts, `1,8,32`: raw and ledger interleaved at each. */
const WRITER_COUNTS = (process.env.BENCH_WRITERS ?? '1,8,32').split(',').map(Number);
/** Set: the ledger's runs at the largest writer count are CPU-profiled, and the top frames reported. */
const PROFILE = process.env.BENCH_APPEND_PROFILE === '1';
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });

/** CPU time of this process (the bench client and the store's Node side), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function benchAppend(adminUrl: string) {
  const maxWriters = Math.max(...WRITER_COUNTS);
  const db = await createBenchDatabase(adminUrl, 'append', { maxConnections: maxWriters + 4 });
  const { pool } = db;
  await pool.query(`CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_id text, revision int, type text, data jsonb, UNIQUE (stream_id, revision))`);

  const rawSql = `INSERT INTO raw_events (stream_id, revision, type, data) SELECT $1, r, 'BenchEvent', $2::jsonb FROM generate_series(0, ${EVENTS_PER_STREAM - 1}) r`;
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new PostgresEventStore({ pool, registry, macKey: key.macKey });
  const actor = { userId: 'bench', unitId: 'bench', role: 'CLERK' as const };
  const perWriters = [];
  let profile: unknown;
  for (const writers of WRITER_COUNTS) {
    const rawCpu = cpuMs();
    const raw = await forSeconds(writers, SECONDS, async () => {
      await pool.query(rawSql, [randomUUID(), JSON.stringify(payload(1))]);
    });
    const rawNodeCpu = (cpuMs() - rawCpu) / (raw * SECONDS);
    const session = PROFILE && writers === maxWriters ? await startProfile() : null;
    const ledgerCpu = cpuMs();
    const ledger = await forSeconds(writers, SECONDS, async () => {
      const events = Array.from({ length: EVENTS_PER_STREAM }, (_, n) => ({ type: 'BenchEvent', data: payload(n) }));
      await store.append(`bench-${randomUUID()}`, events, { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
    });
    const ledgerNodeCpu = (cpuMs() - ledgerCpu) / (ledger * SECONDS);
    if (session) profile = topFrames(await session.stop(), 20);
    perWriters.push({
      writers,
      rawInsertTransactionsPerSecond: Math.round(raw),
      ledgerAppendTransactionsPerSecond: Math.round(ledger),
      appendRatioToRaw: Number((ledger / raw).toFixed(3)),
      nodeCpuMsPerTransaction: { raw: Number(rawNodeCpu.toFixed(3)), ledger: Number(ledgerNodeCpu.toFixed(3)) },
      loadAverage: Number(loadavg()[0]!.toFixed(1)),
    });
  }

  const started = Date.now();
  const report = await verifyLedger(pool, { macKey: key.macKey, publicKeyHex: key.publicKeyHex });
  const verifySeconds = (Date.now() - started) / 1000;

  await store.close();
  await db.drop();
  return {
    eventsPerStream: EVENTS_PER_STREAM,
    seconds: SECONDS,
    perWriters,
    appendBudgetRatio: 0.6,
    ...(profile ? { ledgerProfileAtMostWriters: profile } : {}),
    verify: { events: report.eventsChecked, eventsPerSecond: Math.round(report.eventsChecked / verifySeconds), ok: report.ok },
  };
}
