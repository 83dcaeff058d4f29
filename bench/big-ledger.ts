/**
 * The big ledger of the API bench (bench/api.ts): a city-year generated from a seed through the
 * real command service (test/support/city-year.ts), then its documents cloned into later years
 * (bench/projections.ts's cloneFamily) until the ledger holds BENCH_API_EVENTS events, then every
 * projection rebuilt. Kept in a data folder (BENCH_DATA_DIR, default /work/bench-data) under a
 * name made of the seed and the size, so a second run reuses it; delete the folder to rebuild.
 *
 * The folder is a `gongwen serve` data folder (embedded PostgreSQL, ledger key). The clones are
 * written as already dispatched and rendered (their delivery streams are cloned with them), so the
 * process managers' checkpoints are set to the end of the feed after the load.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventRegistry } from '../schemas/events/index.ts';
import { createLedger } from '../src/app/ledger.ts';
import { newToken } from '../src/api/api-commands.ts';
import { loadConfig, type Config } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { encodeFeedPosition } from '../src/eventstore/postgres/feed-position.ts';
import { createCityClock, generateCityYear } from '../test/support/city-year.ts';
import { appendByStream, cloneFamily, readTemplate, runWorkers } from './projections.ts';
import { round } from './server.ts';

export interface BigLedger {
  dataDir: string;
  config: Config;
  events: number;
  build: Record<string, unknown>;
  /** Bearer tokens of the bench's users, issued on the real clock (valid a year). */
  tokens: { clerk: string; leader: string; admin: string };
  clerk: { userId: string; unitId: string };
  leader: { userId: string; unitId: string };
  /** A document the clerk's unit received (for `timeline`), a word its titles contain (for `search`). */
  documentId: string;
  searchTerm: string;
  /** The supervision jobs have reviewed every deadline of the clones once (see settle). */
  supervisionSettled?: boolean;
}

const SYSTEM = { kind: 'system' } as const;

export async function bigLedger(opts: { events: number; seed: number; templateDocuments: number; writers: number; dataRoot: string }): Promise<BigLedger> {
  const dataDir = join(opts.dataRoot, `api-seed${opts.seed}-${opts.events}`);
  const marker = join(dataDir, 'bench-ledger.json');
  if (existsSync(marker)) {
    const built = JSON.parse(await readFile(marker, 'utf8')) as BigLedger;
    const settled = await settle(built.config, !built.supervisionSettled);
    if (!built.supervisionSettled) await writeFile(marker, JSON.stringify({ ...built, supervisionSettled: true, settled }, null, 2));
    return built;
  }
  await mkdir(dataDir, { recursive: true });
  const config = loadConfig({ GONGWEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = await openDatabase(config);
  try {
    // 1. The template year, on the simulated clock.
    const clock = createCityClock();
    const started = performance.now();
    let ledger = await createLedger(config, db, { now: clock.now });
    const year = await generateCityYear(ledger, { clock, seed: opts.seed, documents: opts.templateDocuments });
    await ledger.close();
    const yearSeconds = (performance.now() - started) / 1000;

    // 2. Clones until the size is reached, appended through the store (validated, hashed, MACed).
    const store = new PostgresEventStore({ pool: db.pool, registry: eventRegistry, macKey: ledger.key.macKey });
    const { families, events: templateEvents } = await readTemplate(store);
    const perRound = families.reduce((n, f) => n + f.commands.reduce((m, c) => m + c.events.length, 0), 0);
    const rounds = Math.max(1, Math.ceil((opts.events - templateEvents) / perRound));
    const work = Array.from({ length: rounds }, (_, r) => families.map((f) => ({ f, k: r + 1 }))).flat();
    const loadStarted = performance.now();
    await runWorkers(work, opts.writers, ({ f, k }) => appendByStream(store, cloneFamily(f, k)));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await store.awaitVisible();
    await store.close();
    const { rows: count } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const events = count[0]!.n;

    // 3. The process managers start at the end (the clones carry their deliveries), the read models are rebuilt.
    ledger = await createLedger(config, db);
    const { rows: tail } = await db.pool.query<{ txid: string; g: string }>(
      'SELECT transaction_id::text AS txid, global_position::text AS g FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1',
    );
    const end = encodeFeedPosition(tail[0]!.txid, tail[0]!.g);
    for (const r of [...ledger.reactors, ledger.renderings]) {
      await db.pool.query(
        `INSERT INTO reactor_checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`,
        [r.reactor.name, end],
      );
    }
    const rebuildStarted = performance.now();
    await ledger.projections.rebuild();
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;

    // 4. The bench's users: the clerk and a leader of the unit that received most, and the super administrator.
    const { rows: top } = await db.pool.query<{ unit_id: string }>('SELECT unit_id FROM inbox_items GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1');
    const unitId = top[0]!.unit_id;
    const people = [...year.directory.people.values()];
    const clerk = people.find((p) => p.unitId === unitId && p.active && p.roles.has('CLERK'))!;
    const leader = people.find((p) => p.unitId === unitId && p.active && p.roles.has('LEADER'))!;
    const admin = people.find((p) => p.active && p.roles.has('SUPER_ADMIN'))!;
    const expiresAt = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const issue = async (userId: string) => {
      const { token, tokenHash } = newToken(userId);
      await ledger.commands.execute(SYSTEM, 'IssueCredential', { commandId: `bench-${tokenHash.slice(0, 16)}`, userId, credentialId: `bench-${tokenHash.slice(0, 12)}`, tokenHash, expiresAt, label: 'bench' });
      return token;
    };
    const tokens = { clerk: await issue(clerk.userId), leader: await issue(leader.userId), admin: await issue(admin.userId) };
    await ledger.projections.catchUp();
    const { rows: doc } = await db.pool.query<{ document_id: string }>('SELECT document_id FROM inbox_items WHERE unit_id = $1 ORDER BY document_id LIMIT 1', [unitId]);
    await ledger.close();

    const result: BigLedger = {
      dataDir,
      config,
      events,
      build: {
        seed: opts.seed,
        templateDocuments: opts.templateDocuments,
        templateEvents,
        templateSeconds: round(yearSeconds, 1),
        clonedYears: rounds,
        loadSeconds: round(loadSeconds, 1),
        loadEventsPerSecond: Math.round((events - templateEvents) / loadSeconds),
        rebuildSeconds: round(rebuildSeconds, 1),
        rebuildEventsPerSecond: Math.round(events / rebuildSeconds),
      },
      tokens,
      clerk: { userId: clerk.userId, unitId },
      leader: { userId: leader.userId, unitId },
      documentId: doc[0]!.document_id,
      searchTerm: '通知',
    };
    await db.close();
    const settled = await settle(config, true);
    await writeFile(marker, JSON.stringify({ ...result, supervisionSettled: true, settled }, null, 2));
    return result;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * Leaves nothing for the server to catch up on at start (which the bench would measure instead of
 * the requests): the Merkle log sequenced and checkpointed over the whole ledger, every read model
 * up to date. Quick when a previous run did it. `withJobs` (once per folder): the supervision jobs
 * run until a whole cron period appends nothing, since their first scans of the clones set
 * thousands of deadlines and warnings, which a server started on the folder would otherwise do
 * while it is measured.
 */
async function settle(config: Config, withJobs: boolean): Promise<Record<string, number>> {
  const db = await openDatabase(config);
  try {
    const ledger = await createLedger(config, db);
    const started = performance.now();
    if (withJobs) {
      ledger.start();
      await ledger.jobs.start();
      const count = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
      for (let before = -1, now = await count(); now !== before; ) {
        await new Promise((resolve) => setTimeout(resolve, 75_000));
        [before, now] = [now, await count()];
      }
    }
    const jobsSeconds = (performance.now() - started) / 1000;
    const log = await ledger.merkleLog.catchUp({ timeoutMs: 3_600_000 });
    await ledger.merkleLog.checkpoint();
    await ledger.settle();
    await ledger.close();
    return { jobsSeconds: round(jobsSeconds, 1), merkleAppended: log.appended, seconds: round((performance.now() - started) / 1000, 1) };
  } finally {
    await db.close();
  }
}
