/**
 * 电子监察 (issue 12): the deadline scan over a generated month, and the statistics queries.
 *
 * A city of BENCH_SUPERVISION_UNITS units (default 20, a clerk and a leader each) receives
 * BENCH_SUPERVISION_DELIVERIES deliveries (default 2000) spread over the working hours of November
 * 2025, written straight through the event store as the delivery process writes them (urgency 1:2:7
 * 特急/加急/平件; four in five signed for, some late; a third of the 请示 assigned and most of those
 * completed). Then, on the simulated clock at the start of December:
 * - `scan`: one `scanDeadlines` over the month (what the supervision job runs every minute), as
 *   deliveries reviewed per second and the warnings, clearings and escalations (催办/督办) it
 *   appended; then the same scan again, which finds nothing to do (its time is the steady cost);
 * - `queries`: each statistics read the API serves (the same functions as the GraphQL resolvers
 *   and the CSV downloads), BENCH_SUPERVISION_QUERY_ROUNDS times (default 20): p50 / p95 / max ms.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervisionReads } from '../src/api/supervision-resolvers.ts';
import { SYSTEM_ACTOR, type Principal } from '../src/app/authorization.ts';
import { createLedger } from '../src/app/ledger.ts';
import { loadConfig } from '../src/config/config.ts';
import { streams } from '../src/domain/streams.ts';
import type { NewEvent } from '../src/eventstore/port.ts';
import { beijingTime } from '../src/supervision/calendar.ts';
import { scanDeadlines } from '../src/supervision/supervision.ts';
import { seededRandom } from '../src/demo/names.ts';
import { runWorkers } from './projections.ts';
import { createBenchDatabase, round } from './server.ts';

const UNITS = Number(process.env.BENCH_SUPERVISION_UNITS ?? 20);
const DELIVERIES = Number(process.env.BENCH_SUPERVISION_DELIVERIES ?? 2000);
const QUERY_ROUNDS = Number(process.env.BENCH_SUPERVISION_QUERY_ROUNDS ?? 20);
const MONTH = '2025-11';
const HOUR = 3600_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function benchSupervision(adminUrl: string) {
  const db = await createBenchDatabase(adminUrl, 'supervision', { maxConnections: 24 });
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-bench-supervision-'));
  let t = beijingTime(`${MONTH}-01`, 8 * 60);
  const now = () => new Date(t);
  const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: dataDir });
  const ledger = await createLedger(config, { url: db.url, pool: db.pool, embedded: false, close: async () => {} }, { now });
  try {
    // ---- the city and its month ----
    let n = 0;
    const run = (p: Principal, type: string, input: Record<string, unknown>) => ledger.commands.execute(p, type, { commandId: `bench-supervision-${++n}`, ...input });
    await run({ kind: 'system' }, 'RegisterUnit', { unitId: 'office', name: '阜阳市人民政府办公室', kind: 'city-office', fondsCode: '0001', docNumberPrefixes: ['阜政办'] });
    await run({ kind: 'system' }, 'RegisterUser', { userId: 'admin', unitId: 'office', name: '王管理', roles: ['SUPER_ADMIN'] });
    const admin: Principal = { kind: 'user', userId: 'admin', unitId: 'office', roles: ['SUPER_ADMIN'], active: true };
    const units = Array.from({ length: UNITS }, (_, i) => `u${String(i + 1).padStart(2, '0')}`);
    for (const unitId of units) {
      await run(admin, 'RegisterUnit', { unitId, name: `阜阳市第${unitId.slice(1)}局`, kind: 'city-department', parentUnitId: 'office', docNumberPrefixes: [`阜${unitId}`] });
      await run(admin, 'RegisterUser', { userId: `${unitId}-clerk`, unitId, name: '张文书', roles: ['CLERK', 'STAFF'] });
      await run(admin, 'RegisterUser', { userId: `${unitId}-leader`, unitId, name: '李领导', roles: ['LEADER'] });
    }
    const r = seededRandom(2025); // two runs bench the same month
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const days = Array.from({ length: 30 }, (_, i) => `${MONTH}-${String(i + 1).padStart(2, '0')}`).filter((d) => ledger.supervision.calendar.isWorkingDay(d));
    const monthEnd = beijingTime('2025-12-01', 0);
    /** Nothing after the moment the scan runs. */
    const by = (ms: number) => new Date(Math.min(ms, monthEnd - HOUR)).toISOString();
    const streamsToWrite: { streamId: string; events: NewEvent[] }[] = [];
    for (let i = 0; i < DELIVERIES; i++) {
      const documentId = `bench-${i + 1}`;
      const unitId = pick(units);
      const deliveredAt = beijingTime(pick(days), Math.floor(8.5 * 60 + r() * 8 * 60));
      const u = r();
      const urgency = u < 0.1 ? '特急' : u < 0.3 ? '加急' : '平件';
      const docType = r() < 0.25 ? '请示' : pick(['通知', '函', '报告', '通报'] as const);
      const key = { documentId, unitId };
      const events: NewEvent[] = [
        {
          type: 'DocumentDelivered',
          data: { ...key, kind: 'main', issuerUnitId: 'office', title: `关于第${i + 1}号事项的${docType}`, docNumber: `阜政办〔2025〕${i + 1}号`, docType, urgency, sentAt: new Date(deliveredAt).toISOString(), sentEventId: randomUUID(), deliveredAt: new Date(deliveredAt).toISOString() },
        },
      ];
      if (r() < 0.8) {
        // Most sign within the hour; one in five takes up to two working days.
        const receivedAt = deliveredAt + (r() < 0.8 ? r() * HOUR : r() * 48 * HOUR);
        events.push({ type: 'DocumentReceived', data: { ...key, receivedBy: `${unitId}-clerk`, receivedAt: by(receivedAt) } });
        if (docType === '请示' && r() < 0.33 && receivedAt + 2 * HOUR < monthEnd) {
          const assignedAt = receivedAt + HOUR;
          const due = new Date(assignedAt + 7 * 24 * HOUR).toISOString().slice(0, 10);
          events.push({ type: 'HandlingAssigned', data: { ...key, assigneeUserId: `${unitId}-clerk`, dueDate: due, assignedBy: `${unitId}-leader`, assignedAt: new Date(assignedAt).toISOString() } });
          if (r() < 0.7) events.push({ type: 'HandlingCompleted', data: { ...key, result: '已办结', completedBy: `${unitId}-clerk`, completedAt: by(assignedAt + r() * 12 * 24 * HOUR) } });
        }
      }
      streamsToWrite.push({ streamId: streams.delivery(documentId, unitId), events });
    }
    // The month has deliveries without their documents' streams: only the read models the
    // supervision reads (and the reminders' process manager) follow it here.
    const settle = async () => {
      await ledger.store.awaitVisible();
      for (const reactor of ledger.reactors) await reactor.catchUp();
      await ledger.projections.catchUp(['directory', 'supervision']);
    };
    const loadStarted = performance.now();
    await runWorkers(streamsToWrite, 8, async (s) => {
      await ledger.store.append(s.streamId, s.events, { expectedRevision: 'no_stream', commandId: `bench-${s.streamId}`, actor: SYSTEM_ACTOR });
      return s.events.length;
    });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    t = monthEnd;
    await settle();

    // ---- the scan ----
    const deps = { store: ledger.store, pool: db.pool, config, supervision: ledger.supervision, now } as never;
    const count = async () => {
      const { rows } = await db.pool.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM events WHERE type IN ('DeadlineSet', 'WarningIssued', 'WarningCleared', 'HandlingUrged') GROUP BY type`);
      return Object.fromEntries(rows.map((row) => [row.type, row.n]));
    };
    const scanStarted = performance.now();
    const reviewed = await scanDeadlines(deps);
    const scanSeconds = (performance.now() - scanStarted) / 1000;
    const appended = await count();
    await settle();
    const againStarted = performance.now();
    const reviewedAgain = await scanDeadlines(deps);
    const againMs = performance.now() - againStarted;
    const { rows: levels } = await db.pool.query<{ level: string; n: number }>(`SELECT data->>'level' AS level, count(*)::int AS n FROM events WHERE type = 'WarningIssued' GROUP BY 1`);
    await settle();

    // ---- the statistics queries (as the API serves them) ----
    const reads = supervisionReads(ledger);
    const inspector = { kind: 'user', userId: 'inspector', unitId: 'office', roles: ['INSPECTOR'], active: true } as never;
    const queries: Record<string, () => Promise<unknown>> = {
      unitStatistics: () => reads.unitStatistics(inspector, { month: MONTH }),
      unitRanking: () => reads.unitRanking(inspector, { month: MONTH }),
      scorecard: () => reads.scorecard(inspector, { year: 2025 }),
      warnings特急: () => reads.warnings(inspector, { urgency: '特急', from: `${MONTH}-01T00:00:00+08:00`, to: '2025-12-01T00:00:00+08:00', first: 100 }),
      // The same list's last page (Relay's last/before: the index read from its other end).
      warnings特急Last: () => reads.warnings(inspector, { urgency: '特急', from: `${MONTH}-01T00:00:00+08:00`, to: '2025-12-01T00:00:00+08:00', last: 100 }),
      overdue: () => reads.overdue(inspector, { first: 100 }),
      overdueLast: () => reads.overdue(inspector, { last: 100 }),
      overdueTotalCount: async () => (await reads.overdue(inspector, { first: 1, count: true })).page.totalCount(),
      dailyCheck: () => reads.dailyCheck(inspector, { day: `${MONTH}-28` }),
    };
    const latency: Record<string, { p50: number; p95: number; max: number }> = {};
    for (const [name, query] of Object.entries(queries)) {
      await query(); // warm: plans cached, pages in memory
      const ms: number[] = [];
      for (let i = 0; i < QUERY_ROUNDS; i++) {
        const started = performance.now();
        await query();
        ms.push(performance.now() - started);
      }
      ms.sort((a, b) => a - b);
      latency[name] = { p50: round(percentile(ms, 50), 1), p95: round(percentile(ms, 95), 1), max: round(ms.at(-1)!, 1) };
    }
    return {
      month: MONTH,
      units: UNITS,
      deliveries: DELIVERIES,
      loadSeconds: round(loadSeconds, 1),
      scan: {
        reviewed,
        seconds: round(scanSeconds, 1),
        deliveriesPerSecond: round(reviewed / scanSeconds, 1),
        appended,
        warningsByLevel: Object.fromEntries(levels.map((l) => [l.level, l.n])),
        rescan: { reviewed: reviewedAgain, ms: round(againMs, 1) },
      },
      queryLatencyMs: latency,
    };
  } finally {
    await ledger.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
