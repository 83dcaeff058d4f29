/**
 * The read side's budget (DESIGN.md, "Performance budget"):
 * (a) rebuild: every registered projection replayed from scratch over ≥ 200k realistic events,
 *     per projection and in total; target ≥ 20,000 events/s;
 * (b) lag: from the return of the append of a DocumentDelivered to the commit of the inbox batch
 *     that contains it, while writers are busy appending realistic traffic and the runner follows
 *     the feed in the background; target p99 ≤ 100 ms.
 *
 * The events are realistic: a year of the city is generated through the command service
 * (test/support/city-year.ts), then each document's streams are cloned into later years (ids,
 * dates and numbers varied) and appended straight through the event store, validated by the
 * registry like every append.
 *
 * Environment: BENCH_REBUILD_EVENTS (default 200000), BENCH_TEMPLATE_DOCUMENTS (80),
 * BENCH_CLONE_WRITERS (8), BENCH_LAG_WRITERS (8), BENCH_LAG_SECONDS (20), BENCH_LAG_APPENDS_PER_SECOND
 * (all lag writers together; default: as fast as they can), BENCH_LAG_PROJECTION
 * (inbox), BENCH_LAG_FOLLOWERS (all: every projection follows the feed meanwhile; target: only
 * the measured one), BENCH_PROJECTIONS (comma-separated names; default every registered one, or
 * the test application counter `appcount` while none is).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { allProjections } from '../projections/index.ts';
import { eventRegistry } from '../schemas/events/index.ts';
import { createLedger } from '../src/app/ledger.ts';
import { loadConfig } from '../src/config/config.ts';
import type { Actor } from '../schemas/common.ts';
import type { ExpectedRevision, NewEvent, RecordedEvent } from '../src/eventstore/port.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import type { Projection } from '../src/projections/projection.ts';
import { ProjectionRunner } from '../src/projections/projection-runner.ts';
import { createCityClock, generateCityYear } from '../test/support/city-year.ts';
import { applicationCountProjection } from '../test/support/test-projections.ts';
import { createBenchDatabase, round } from './server.ts';

const REBUILD_EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 200_000);
const TEMPLATE_DOCUMENTS = Number(process.env.BENCH_TEMPLATE_DOCUMENTS ?? 80);
const CLONE_WRITERS = Number(process.env.BENCH_CLONE_WRITERS ?? 8);
const LAG_WRITERS = Number(process.env.BENCH_LAG_WRITERS ?? 8);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
/** Appends per second of all lag writers together; unset: as fast as they can. */
const LAG_RATE = process.env.BENCH_LAG_APPENDS_PER_SECOND ? Number(process.env.BENCH_LAG_APPENDS_PER_SECOND) : undefined;
const LAG_PROJECTION = process.env.BENCH_LAG_PROJECTION ?? 'inbox';
/** `all` (default: the runner follows with every projection, as `gongwen serve` does) or `target`. */
const LAG_FOLLOWERS = process.env.BENCH_LAG_FOLLOWERS ?? 'all';
const REBUILD_TARGET = 20_000;
const LAG_P99_TARGET_MS = 100;

// ---- template: one generated year, grouped by document -------------------------------------------

/** One append of the template: a run of events of one stream written by one command. */
interface TemplateAppend {
  streamId: string;
  actor: Actor;
  events: RecordedEvent[];
}

/** A document's streams (its own and its recipients' copies) as they were appended, in feed order. */
interface DocumentFamily {
  documentId: string;
  commands: TemplateAppend[];
}

function documentOf(streamId: string): string | null {
  if (streamId.startsWith('document-')) return streamId.slice('document-'.length);
  if (streamId.startsWith('delivery-')) return streamId.slice('delivery-'.length, streamId.lastIndexOf('.'));
  return null;
}

export async function readTemplate(store: PostgresEventStore): Promise<{ families: DocumentFamily[]; events: number }> {
  const families = new Map<string, DocumentFamily>();
  let position: string | null = null;
  let events = 0;
  for (;;) {
    const page = await store.readAll(position, 5000);
    if (page.events.length === 0) break;
    for (const e of page.events) {
      events++;
      const documentId = documentOf(e.streamId);
      if (!documentId) continue; // the directory, seals and numbering are not cloned
      const family = families.get(documentId) ?? { documentId, commands: [] };
      families.set(documentId, family);
      const last = family.commands.at(-1);
      if (last && last.streamId === e.streamId && last.events[0]!.commandId === e.commandId) last.events.push(e);
      else family.commands.push({ streamId: e.streamId, actor: e.actor, events: [e] });
    }
    position = page.position;
  }
  return { families: [...families.values()], events };
}

// ---- clones: the same documents in a later year ---------------------------------------------------

const DATE = /^(\d{4})(-\d{2}-\d{2}(?:T.*)?)$/;

/**
 * The family as it would be in year 2025 + k: ids suffixed, every date and 〔year〕 moved k years on
 * (so 发文字号 and 收文号 stay unique), DocumentSent given a fresh id that its deliveries point at.
 */
export function cloneFamily(family: DocumentFamily, k: number): { streamId: string; actor: Actor; events: NewEvent[] }[] {
  const sentIds = new Map<string, string>();
  const id = (value: string) => `${value}-k${k}`;
  const shift = (value: string): string => {
    const date = DATE.exec(value);
    if (date) return `${Number(date[1]) + k}${date[2]}`;
    return value.replace(/〔(\d{4})〕/g, (_, y: string) => `〔${Number(y) + k}〕`);
  };
  const transform = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') {
      if (key === 'documentId' || key === 'replyDocumentId' || key === 'recallCommandId') return id(value);
      if (key === 'sentEventId') return sentIds.get(value) ?? value;
      return shift(value);
    }
    if (typeof value === 'number') return key === 'year' ? value + k : value;
    if (Array.isArray(value)) return value.map((v) => transform(v, ''));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([kk, v]) => [kk, transform(v, kk)]));
    return value;
  };
  return family.commands.map((c) => {
    const documentId = documentOf(c.streamId)!;
    const streamId = c.streamId.replace(documentId, id(documentId));
    return {
      streamId,
      actor: c.actor,
      events: c.events.map((e) => {
        const eventId = e.type === 'DocumentSent' ? randomUUID() : undefined;
        if (eventId) sentIds.set(e.eventId, eventId);
        return { type: e.type, data: transform(e.data, ''), occurredAt: shift(e.occurredAt), ...(eventId && { eventId }) };
      }),
    };
  });
}

/** Appends a cloned family one command at a time (as the ledger writes it); returns each append's events. */
async function appendByCommand(
  store: PostgresEventStore,
  appends: { streamId: string; actor: Actor; events: NewEvent[] }[],
  onAppended?: (events: RecordedEvent[]) => void,
  pace?: () => Promise<void>,
): Promise<number> {
  const revisions = new Map<string, number>();
  let n = 0;
  for (const a of appends) {
    await pace?.();
    const result = await store.append(a.streamId, a.events, {
      expectedRevision: revisions.get(a.streamId) ?? 'no_stream',
      commandId: randomUUID(),
      actor: a.actor,
    });
    revisions.set(a.streamId, result.revision);
    n += result.events.length;
    onAppended?.(result.events);
  }
  return n;
}

/**
 * A cloned family in few appends (bulk loading for the rebuild): the document stream up to its
 * DocumentSent, each recipient's stream, then the rest of the document stream, each in one append
 * under the actor of its first event.
 */
function streamChunks(appends: { streamId: string; actor: Actor; events: NewEvent[] }[]): { streamId: string; actor: Actor; events: NewEvent[] }[] {
  type Chunk = { streamId: string; actor: Actor; events: NewEvent[] };
  const documentStream = appends[0]!.streamId;
  let head: Chunk | undefined;
  let tail: Chunk | undefined;
  const copies = new Map<string, Chunk>();
  for (const a of appends) {
    if (a.streamId === documentStream) {
      if (!tail && head?.events.some((e) => e.type === 'DocumentSent')) tail = { ...a, events: [] };
      const chunk = tail ?? (head ??= { ...a, events: [] });
      chunk.events.push(...a.events);
    } else {
      const chunk = copies.get(a.streamId) ?? { ...a, events: [] };
      copies.set(a.streamId, chunk);
      chunk.events.push(...a.events);
    }
  }
  return [head!, ...copies.values(), ...(tail ? [tail] : [])];
}

/** A cloned family appended chunk by chunk (streamChunks), one round trip and one commit each. */
export async function appendByStream(store: PostgresEventStore, appends: { streamId: string; actor: Actor; events: NewEvent[] }[]): Promise<number> {
  return appendByCommand(store, streamChunks(appends));
}

/**
 * Cloned families appended together through the store's batch path (appendBatch: one transaction
 * and one round trip for all their chunks, each validated, chained and MACed as a single append).
 */
export async function appendFamilies(store: PostgresEventStore, families: { streamId: string; actor: Actor; events: NewEvent[] }[][]): Promise<number> {
  const batch = families.flatMap((appends) => {
    const revisions = new Map<string, number>();
    return streamChunks(appends).map((c) => {
      const expectedRevision: ExpectedRevision = revisions.get(c.streamId) ?? 'no_stream';
      revisions.set(c.streamId, (revisions.get(c.streamId) ?? -1) + c.events.length);
      return { streamId: c.streamId, events: c.events, options: { expectedRevision, commandId: randomUUID(), actor: c.actor } };
    });
  });
  const results = await store.appendBatch(batch);
  return results.reduce((n, r) => n + r.events.length, 0);
}

/** The clone years' work in batches of `size` families (one appendBatch each). */
export function cloneBatches(families: DocumentFamily[], fromYear: number, years: number, size: number): { f: DocumentFamily; k: number }[][] {
  const work = Array.from({ length: years }, (_, r) => families.map((f) => ({ f, k: fromYear + r }))).flat();
  return Array.from({ length: Math.ceil(work.length / size) }, (_, i) => work.slice(i * size, (i + 1) * size));
}

// ---- the sections ---------------------------------------------------------------------------------

/**
 * A year of the city through the real ledger (on the simulated clock), then a store on the real
 * clock over the same database and key for everything after: appends (so recordedAt is the time
 * of writing) and the runners (so in-process wake-ups reach them, as in `gongwen serve`).
 */
async function generateTemplate(adminUrl: string) {
  const db = await createBenchDatabase(adminUrl, 'projections', { maxConnections: Math.max(CLONE_WRITERS, LAG_WRITERS) + 16 });
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-bench-ledger-'));
  const clock = createCityClock();
  const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: dataDir });
  const ledger = await createLedger(config, { url: db.url, pool: db.pool, embedded: false, close: async () => {} }, { now: clock.now });
  const started = performance.now();
  const year = await generateCityYear(ledger, { clock, seed: 2025, documents: TEMPLATE_DOCUMENTS });
  const seconds = (performance.now() - started) / 1000;
  await ledger.close();
  const store = new PostgresEventStore({ pool: db.pool, registry: eventRegistry, macKey: ledger.key.macKey });
  return {
    pool: db.pool,
    store,
    year: { documents: year.documents + year.replyDocuments, commands: year.commands, events: year.events, seconds: round(seconds, 1) },
    async close() {
      await store.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function runWorkers<T>(items: readonly T[], workers: number, work: (item: T) => Promise<number>): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) {
        const n = await work(items[next++]!);
        total += n;
      }
    }),
  );
  return total;
}

async function benchRebuild(pool: pg.Pool, store: PostgresEventStore, families: DocumentFamily[], templateEvents: number, projections: readonly Projection[]) {
  const perRound = families.reduce((n, f) => n + f.commands.reduce((m, c) => m + c.events.length, 0), 0);
  const rounds = Math.max(1, Math.ceil((REBUILD_EVENTS - templateEvents) / perRound));
  const loadStarted = performance.now();
  // Through the store's batch path (appendBatch), 20 families a transaction: the load is set-up, not measured here.
  await runWorkers(cloneBatches(families, 1, rounds, 20), CLONE_WRITERS, (batch) => appendFamilies(store, batch.map(({ f, k }) => cloneFamily(f, k))));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  await store.awaitVisible();
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  const events = rows[0]!.n;

  // The floor under every projection: reading and validating the feed, with nothing applied.
  const readStarted = performance.now();
  let read = 0;
  for (let position: string | null = null; ; ) {
    const page = await store.readAll(position, 1000);
    if (page.events.length === 0) break;
    read += page.events.length;
    position = page.position;
  }
  const readSeconds = (performance.now() - readStarted) / 1000;
  // The same rows fetched by the same query without the store's decoding (schema validation of
  // every payload and actor): what validation costs the read.
  const rawStarted = performance.now();
  let raw = 0;
  for (let after: [string, string] = ['0', '0']; ; ) {
    const { rows: page } = await pool.query<{ txid: string; global_position: number }>({
      text: `SELECT global_position, transaction_id::text AS txid, stream_id, revision, event_id::text AS event_id, type, schema_version, data,
                    occurred_at, recorded_at, actor, command_id, correlation_id, causation_id, prev_hash, hash, mac
               FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY transaction_id, global_position LIMIT 1000`,
      values: after,
    });
    if (page.length === 0) break;
    raw += page.length;
    after = [page.at(-1)!.txid, String(page.at(-1)!.global_position)];
  }
  const rawSeconds = (performance.now() - rawStarted) / 1000;

  // Each projection's apply is timed, to tell its own cost from the runner's (read, transaction).
  const applied = new Map<string, number>();
  const timed = projections.map(
    (p): Projection => ({
      ...p,
      async apply(tx, batch) {
        const started = performance.now();
        await p.apply(tx, batch);
        applied.set(p.name, (applied.get(p.name) ?? 0) + performance.now() - started);
      },
    }),
  );
  const runner = new ProjectionRunner(pool, store, timed);
  await runner.prepare();
  const perProjection = [];
  let totalSeconds = 0;
  for (const p of timed) {
    applied.set(p.name, 0);
    const started = performance.now();
    await runner.rebuild([p.name]);
    const seconds = (performance.now() - started) / 1000;
    totalSeconds += seconds;
    const handled = (await runner.status()).find((s) => s.name === p.name)!.eventsApplied;
    const rate = events / seconds;
    perProjection.push({
      projection: p.name,
      eventsHandled: handled,
      seconds: round(seconds, 2),
      applySeconds: round(applied.get(p.name)! / 1000, 2),
      eventsPerSecond: Math.round(rate),
      ratioToTarget: round(rate / REBUILD_TARGET, 2),
    });
  }
  // `gongwen rebuild` of every projection: all of them dropped and replayed from one read of the feed.
  const allStarted = performance.now();
  await runner.rebuild();
  const allSeconds = (performance.now() - allStarted) / 1000;
  const allRate = events / allSeconds;
  const result = {
    events,
    templateEvents,
    clonedYears: rounds,
    loadSeconds: round(loadSeconds, 1),
    loadEventsPerSecond: Math.round((events - templateEvents) / loadSeconds),
    feedReadOnly: {
      eventsPerSecond: Math.round(read / readSeconds),
      sqlOnlyEventsPerSecond: Math.round(raw / rawSeconds),
      note: 'store.readAll in pages of 1000, nothing applied: the floor of every rebuild; sqlOnly: the same query without the store decoding and validating each event',
    },
    targetEventsPerSecond: REBUILD_TARGET,
    perProjection,
    allProjections: {
      seconds: round(allSeconds, 2),
      eventsPerSecond: Math.round(allRate),
      ratioToTarget: round(allRate / REBUILD_TARGET, 2),
      oneAfterAnotherSeconds: round(totalSeconds, 2),
      oneAfterAnotherEventsPerSecond: Math.round(events / totalSeconds),
      note: '`gongwen rebuild` of every projection (runner.rebuild()): one read of the feed applied to all side by side; oneAfterAnother: the sum of the per-projection rebuilds above',
    },
  };
  return { result, nextYear: rounds + 1 };
}

function raise(message: string): never {
  throw new Error(message);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function benchLag(pool: pg.Pool, store: PostgresEventStore, families: DocumentFamily[], firstYear: number, projections: readonly Projection[], target: string) {
  const runner = new ProjectionRunner(pool, store, projections);
  await runner.prepare();
  await runner.catchUp();
  const pending = new Map<string, number>();
  const lags: number[] = [];
  const errors: string[] = [];
  runner.on('applied', (b) => {
    if (b.projection !== target) return;
    const now = performance.now();
    for (const e of b.handled) {
      const at = pending.get(e.eventId);
      if (at === undefined) continue;
      pending.delete(e.eventId);
      lags.push(now - at);
    }
  });
  runner.on('error', (error, name) => errors.push(`${name}: ${String(error)}`));
  runner.start();

  let next = 0;
  let appended = 0;
  let appends = 0;
  let scheduled = 0;
  const pace = LAG_RATE
    ? async () => {
        const due = started + (scheduled++ * 1000) / LAG_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    : undefined;
  const until = performance.now() + LAG_SECONDS * 1000;
  const started = performance.now();
  // Whether this process (writers and runner share its one thread) was the bottleneck.
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: LAG_WRITERS }, async () => {
      while (performance.now() < until) {
        const i = next++;
        const family = families[i % families.length]!;
        await appendByCommand(store, cloneFamily(family, firstYear + Math.floor(i / families.length)), (events) => {
          appends++;
          appended += events.length;
          const at = performance.now();
          for (const e of events) if (e.type === 'DocumentDelivered') pending.set(e.eventId, at);
        }, pace);
      }
    }),
  );
  const writingSeconds = (performance.now() - started) / 1000;
  const loop = performance.eventLoopUtilization(loopBefore);
  const cpu = process.cpuUsage(cpuBefore);
  const measuredWhileWriting = lags.length;
  for (let waited = 0; pending.size > 0 && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  await runner.stop();

  const sorted = [...lags].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  return {
    projection: target,
    following: projections.map((p) => p.name),
    writers: LAG_WRITERS,
    pacedAppendsPerSecond: LAG_RATE ?? 'unpaced',
    seconds: round(writingSeconds, 1),
    appends,
    appendsPerSecond: Math.round(appends / writingSeconds),
    eventsPerSecond: Math.round(appended / writingSeconds),
    deliveries: lags.length + pending.size,
    measured: lags.length,
    measuredAfterWritersStopped: lags.length - measuredWhileWriting,
    neverApplied: pending.size,
    p50Ms: round(percentile(sorted, 50), 1),
    p90Ms: round(percentile(sorted, 90), 1),
    p99Ms: round(p99, 1),
    maxMs: round(sorted.at(-1) ?? NaN, 1),
    targetP99Ms: LAG_P99_TARGET_MS,
    p99RatioToTarget: round(p99 / LAG_P99_TARGET_MS, 2),
    eventLoopUtilization: round(loop.utilization, 2),
    processCpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
    runnerErrors: errors,
  };
}

export async function benchProjections(adminUrl: string) {
  const registered = allProjections.map((p) => p.name);
  // Until the read models land, the machinery is measured with the application counter.
  const chosen = process.env.BENCH_PROJECTIONS?.split(',').filter(Boolean);
  const known = [...allProjections, applicationCountProjection];
  const projections = chosen
    ? chosen.map((name) => known.find((p) => p.name === name) ?? raise(`BENCH_PROJECTIONS: no projection ${name} (known: ${known.map((p) => p.name)})`))
    : allProjections.length > 0
      ? allProjections
      : [applicationCountProjection];
  const lagTarget = projections.some((p) => p.name === LAG_PROJECTION) ? LAG_PROJECTION : projections[0]!.name;
  const notes: string[] = [];
  if (chosen) notes.push(`only the projections named in BENCH_PROJECTIONS`);
  else if (allProjections.length === 0) notes.push('no projection is registered in projections/index.ts yet: measured with the test application counter (appcount)');
  if (lagTarget !== LAG_PROJECTION) notes.push(`projection ${LAG_PROJECTION} is not registered: lag measured on ${lagTarget}`);

  const template = await generateTemplate(adminUrl);
  try {
    const { families, events: templateEvents } = await readTemplate(template.store);
    const rebuild = await benchRebuild(template.pool, template.store, families, templateEvents, projections);
    const followers = LAG_FOLLOWERS === 'target' ? projections.filter((p) => p.name === lagTarget) : projections;
    const lag = await benchLag(template.pool, template.store, families, rebuild.nextYear, followers, lagTarget);
    return {
      registered,
      measuredWith: projections.map((p) => p.name),
      notes,
      template: { ...template.year, families: families.length },
      rebuild: rebuild.result,
      lag,
      meetsTargets: {
        rebuildAllProjections: rebuild.result.allProjections.ratioToTarget >= 1,
        rebuildEachProjection: rebuild.result.perProjection.every((p) => p.ratioToTarget >= 1),
        lagP99: lag.p99RatioToTarget <= 1,
      },
    };
  } finally {
    await template.close();
  }
}
