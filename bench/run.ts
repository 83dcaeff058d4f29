/**
 * `npm run bench`: the append path against a raw multi-row INSERT baseline, in the same run on the
 * same PostgreSQL (DESIGN.md performance budget: ≥ 0.6× raw with 8 writers, 5 events per new
 * stream). Prints JSON. Figures are ratios to the baseline, because absolute rates depend on the
 * machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { createPool, ensureDatabase, allMigrations } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { verifyLedger } from '../src/integrity/verify-ledger.ts';
import { ledgerKeyFromPrivateKey, generateSm2PrivateKey } from '../src/integrity/ledger-key.ts';

const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });

async function forSeconds(writers: number, seconds: number, once: () => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < until) {
        await once();
        done++;
      }
    }),
  );
  return done / seconds;
}

async function main() {
  let dir: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = await mkdtemp(join(tmpdir(), 'gongwen-bench-'));
    const server = await startEmbeddedPostgres(dir, { persistent: false });
    stop = server.stop;
    adminUrl = server.adminUrl;
  }
  const name = `bench_${Date.now()}`;
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), { max: WRITERS + 4 });
  await migrate(pool, allMigrations);
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
  await pool.end();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
  await stop?.();
  if (dir) await rm(dir, { recursive: true, force: true });

  console.log(
    JSON.stringify(
      {
        writers: WRITERS,
        eventsPerStream: EVENTS_PER_STREAM,
        seconds: SECONDS,
        rawInsertTransactionsPerSecond: Math.round(raw),
        ledgerAppendTransactionsPerSecond: Math.round(ledger),
        appendRatioToRaw: Number((ledger / raw).toFixed(3)),
        appendBudgetRatio: 0.6,
        verify: { events: report.eventsChecked, eventsPerSecond: Math.round(report.eventsChecked / verifySeconds), ok: report.ok },
      },
      null,
      2,
    ),
  );
}

await main();
