/**
 * The append path against a raw multi-row INSERT baseline, in the same run on the same PostgreSQL
 * (DESIGN.md performance budget: ≥ 0.6× raw with 8 writers, 5 events per new stream), and the
 * verifier's walk over what was appended. Figures are ratios to the baseline, because absolute
 * rates depend on the machine.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../src/integrity/ledger-key.ts';
import { verifyLedger } from '../src/integrity/verify-ledger.ts';
import { createBenchDatabase, forSeconds } from './server.ts';

const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });

export async function benchAppend(adminUrl: string) {
  const db = await createBenchDatabase(adminUrl, 'append', { maxConnections: WRITERS + 4 });
  const { pool } = db;
  await pool.query(`CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_id text, revision int, type text, data jsonb, UNIQUE (stream_id, revision))`);

  const rawSql = `INSERT INTO raw_events (stream_id, revision, type, data) SELECT $1, r, 'BenchEvent', $2::jsonb FROM generate_series(0, ${EVENTS_PER_STREAM - 1}) r`;
  const raw = await forSeconds(WRITERS, SECONDS, async () => {
    await pool.query(rawSql, [randomUUID(), JSON.stringify(payload(1))]);
  });

  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new PostgresEventStore({ pool, registry, macKey: key.macKey });
  const actor = { userId: 'bench', unitId: 'bench', role: 'CLERK' as const };
  const ledger = await forSeconds(WRITERS, SECONDS, async () => {
    const events = Array.from({ length: EVENTS_PER_STREAM }, (_, n) => ({ type: 'BenchEvent', data: payload(n) }));
    await store.append(`bench-${randomUUID()}`, events, { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
  });

  const started = Date.now();
  const report = await verifyLedger(pool, { macKey: key.macKey, publicKeyHex: key.publicKeyHex });
  const verifySeconds = (Date.now() - started) / 1000;

  await store.close();
  await db.drop();
  return {
    writers: WRITERS,
    eventsPerStream: EVENTS_PER_STREAM,
    seconds: SECONDS,
    rawInsertTransactionsPerSecond: Math.round(raw),
    ledgerAppendTransactionsPerSecond: Math.round(ledger),
    appendRatioToRaw: Number((ledger / raw).toFixed(3)),
    appendBudgetRatio: 0.6,
    verify: { events: report.eventsChecked, eventsPerSecond: Math.round(report.eventsChecked / verifySeconds), ok: report.ok },
  };
}
