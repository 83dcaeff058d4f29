/**
 * The big ledgers of the API bench (bench/api.ts) and the scale bench (bench/scale.ts): a city-year
 * generated from a seed through the real command service (test/support/city-year.ts) once, into
 * a template folder copied for every size, then its documents cloned into later years
 * (bench/projections.ts's cloneFamily) until the ledger holds the events asked for, loaded
 * through the store's batch path (appendBatch: many families per transaction, each append
 * validated, chained and MACed as a single one). Kept in a data folder (BENCH_DATA_DIR, default
 * ./.bench-data) under a name made of the prefix, the seed and the size, so a second run
 * reuses it; delete the folder to rebuild.
 *
 * The folder is a `gongwen serve` data folder (embedded PostgreSQL, ledger key). The clones are
 * written as already dispatched and rendered (their delivery streams are cloned with them), so the
 * process managers' checkpoints are set to the end of the feed after the load. bigLedger then
 * rebuilds every projection and issues the bench's users their tokens; eventsOnlyLedger leaves the
 * read models to the rebuild the scale bench measures.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventRegistry } from '../schemas/events/index.ts';
import { createLedger } from '../src/app/ledger.ts';
import { newToken } from '../src/api/api-commands.ts';
import { loadConfig, type Config } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { encodeFeedPosition } from '../src/eventstore/postgres/feed-position.ts';
import { createCityClock, generateCityYear } from '../test/support/city-year.ts';
import { appendByStream, appendFamilies, cloneBatches, cloneFamily, readTemplate, runWorkers } from './projections.ts';
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

export interface BigLedgerOptions {
  events: number;
  seed: number;
  templateDocuments: number;
  /** Concurrent batches while loading the clones. */
  writers: number;
  dataRoot: string;
  /** The folder's name before `-seed…` (default `api`; the scale bench uses `scale`). */
  prefix?: string;
  /** Families per appendBatch (one transaction each; default BENCH_LOAD_BATCH_FAMILIES or 20). */
  batchFamilies?: number;
  /** Run the supervision jobs until they settle (default true; see settle). */
  settleJobs?: boolean;
}

/** Interleaved rounds of the old and the new load path at the start of a build (BENCH_LOAD_AB_ROUNDS). */
const LOAD_AB_ROUNDS = Number(process.env.BENCH_LOAD_AB_ROUNDS ?? 2);

/** A big ledger's events alone (eventsOnlyLedger): no read models yet, the Merkle log checkpointed over it. */
export type LedgerFolder = Pick<BigLedger, 'dataDir' | 'config' | 'events' | 'build'>;

/** The big ledger with its read models, the bench's users and their tokens (the API bench). */
export async function bigLedger(opts: BigLedgerOptions): Promise<BigLedger> {
  return (await buildLedger(opts, true)) as BigLedger;
}

/**
 * The big ledger's events only, for the scale bench, whose own `gongwen rebuild` then builds the
 * read models (a rebuild at build time would only do the same work twice).
 */
export async function eventsOnlyLedger(opts: BigLedgerOptions): Promise<LedgerFolder> {
  return buildLedger({ ...opts, settleJobs: false }, false);
}

async function buildLedger(opts: BigLedgerOptions, readModels: boolean): Promise<BigLedger | LedgerFolder> {
  const dataDir = join(opts.dataRoot, `${opts.prefix ?? 'api'}-seed${opts.seed}-${opts.events}`);
  const marker = join(dataDir, 'bench-ledger.json');
  if (existsSync(marker)) {
    const recorded = JSON.parse(await readFile(marker, 'utf8')) as BigLedger & { readModels?: false };
    // The marker records the folder it was built in; a copy (`cp -a` into another BENCH_DATA_DIR,
    // so a bench never writes into a ledger others use) must run on itself, not on the original.
    const built = { ...recorded, dataDir, config: { ...recorded.config, GONGWEN_DATA_DIR: dataDir } };
    if (built.readModels === false) {
      if (readModels) throw new Error(`${dataDir} was built without its read models and users (eventsOnlyLedger): delete it, or give the API bench another folder`);
      return built;
    }
    const settleJobs = opts.settleJobs !== false && !built.supervisionSettled;
    const settled = await settle(built.config, settleJobs);
    if (settleJobs) await writeFile(marker, JSON.stringify({ ...built, supervisionSettled: true, settled }, null, 2));
    return built;
  }
  // 1. The template year (generated once per seed and size, then copied: see templateYear).
  const template = await templateYear(opts);
  // `cp -a`: the cluster's files keep their owner (the account PostgreSQL runs as). A folder
  // without its marker is a build cut short: started again from the template.
  await rm(dataDir, { recursive: true, force: true });
  execFileSync('cp', ['-a', template.dataDir, dataDir]);
  await rm(join(dataDir, 'embedded-postgres.json'), { force: true });
  const config = loadConfig({ GONGWEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = await openDatabase(config);
  try {
    let ledger = await createLedger(config, db);

    // 2. Clones until the size is reached, appended through the store (validated, hashed, MACed),
    // many families per transaction (appendBatch). The first rounds interleave the old path (one
    // append and one commit per stream chunk) with the batched one on equal work, for their ratio.
    const store = new PostgresEventStore({ pool: db.pool, registry: eventRegistry, macKey: ledger.key.macKey });
    const { families, events: templateEvents } = await readTemplate(store);
    const perRound = families.reduce((n, f) => n + f.commands.reduce((m, c) => m + c.events.length, 0), 0);
    const rounds = Math.max(1, Math.ceil((opts.events - templateEvents) / perRound));
    const size = opts.batchFamilies ?? Number(process.env.BENCH_LOAD_BATCH_FAMILIES ?? 20);
    const batches = cloneBatches(families, 1, rounds, size);
    const ab = { perAppend: { events: 0, seconds: 0 }, batched: { events: 0, seconds: 0 } };
    const loadStarted = performance.now();
    let next = 0;
    const abBatches = Math.min(opts.writers * 2, Math.floor(batches.length / (2 * Math.max(1, LOAD_AB_ROUNDS))));
    for (let r = 0; r < LOAD_AB_ROUNDS && abBatches > 0; r++) {
      for (const path of ['perAppend', 'batched'] as const) {
        const slice = batches.slice(next, (next += abBatches));
        const started = performance.now();
        ab[path].events += await runWorkers(slice, opts.writers, (batch) =>
          path === 'batched'
            ? appendFamilies(store, batch.map(({ f, k }) => cloneFamily(f, k)))
            : Promise.all(batch.map(({ f, k }) => appendByStream(store, cloneFamily(f, k)))).then((ns) => ns.reduce((a, b) => a + b, 0)),
        );
        ab[path].seconds += (performance.now() - started) / 1000;
      }
    }
    await runWorkers(batches.slice(next), opts.writers, (batch) => appendFamilies(store, batch.map(({ f, k }) => cloneFamily(f, k))));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await store.awaitVisible();
    await store.close();
    const { rows: count } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const events = count[0]!.n;
    const rate = (x: { events: number; seconds: number }) => (x.seconds > 0 ? Math.round(x.events / x.seconds) : null);
    const loadAb = {
      perAppendEventsPerSecond: rate(ab.perAppend),
      batchedEventsPerSecond: rate(ab.batched),
      ratio: ab.perAppend.seconds > 0 && ab.batched.seconds > 0 ? round(rate(ab.batched)! / rate(ab.perAppend)!, 2) : null,
      note: `${LOAD_AB_ROUNDS} interleaved rounds of ${abBatches} batches of ${size} families each way, ${opts.writers} writers: appendByStream (a round trip and a commit per stream chunk, the old load) vs appendFamilies (appendBatch)`,
    };
    await ledger.close();
    const buildFigures = () => ({
      seed: opts.seed,
      templateDocuments: opts.templateDocuments,
      templateEvents,
      templateSeconds: template.seconds,
      clonedYears: rounds,
      batchFamilies: size,
      loadSeconds: round(loadSeconds, 1),
      loadEventsPerSecond: Math.round((events - templateEvents) / loadSeconds),
      loadAb,
    });

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
    if (!readModels) {
      await ledger.close();
      await db.close();
      const folder = { dataDir, config, events, build: { ...buildFigures(), rebuildSeconds: null } };
      const settled = await settle(config, false, false);
      await writeFile(marker, JSON.stringify({ ...folder, readModels: false, settled }, null, 2));
      return folder;
    }
    const rebuildStarted = performance.now();
    await ledger.projections.rebuild();
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;

    // 4. The bench's users: the clerk and a leader of the unit that received most, and the super administrator.
    const { rows: top } = await db.pool.query<{ unit_id: string }>('SELECT unit_id FROM inbox_items GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1');
    const unitId = top[0]!.unit_id;
    const people = template.people;
    const clerk = people.find((p) => p.unitId === unitId && p.active && p.roles.includes('CLERK'))!;
    const leader = people.find((p) => p.unitId === unitId && p.active && p.roles.includes('LEADER'))!;
    const admin = people.find((p) => p.active && p.roles.includes('SUPER_ADMIN'))!;
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
        ...buildFigures(),
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
    const settleJobs = opts.settleJobs !== false;
    const settled = await settle(config, settleJobs);
    await writeFile(marker, JSON.stringify({ ...result, supervisionSettled: settleJobs, settled }, null, 2));
    return result;
  } catch (error) {
    await db.close();
    throw error;
  }
}

interface TemplatePerson {
  userId: string;
  unitId: string;
  active: boolean;
  roles: string[];
}

/**
 * The template year of a seed, generated through the real command service on the simulated clock
 * into a folder of its own (`template-seed<seed>-<documents>`), once: every big ledger of that seed
 * starts as a copy of it (the ledger key included), so a second size does not generate the year
 * again. Kept with the people of its directory, whom the bench's users are chosen from.
 */
async function templateYear(opts: BigLedgerOptions): Promise<{ dataDir: string; seconds: number; people: TemplatePerson[] }> {
  const dataDir = join(opts.dataRoot, `template-seed${opts.seed}-${opts.templateDocuments}`);
  const marker = join(dataDir, 'bench-template.json');
  if (existsSync(marker)) return { dataDir, ...(JSON.parse(await readFile(marker, 'utf8')) as { seconds: number; people: TemplatePerson[] }) };
  await rm(dataDir, { recursive: true, force: true }); // an interrupted generation
  await mkdir(dataDir, { recursive: true });
  const config = loadConfig({ GONGWEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = await openDatabase(config);
  try {
    const clock = createCityClock();
    const started = performance.now();
    const ledger = await createLedger(config, db, { now: clock.now });
    // With the attachments' bytes stored (the clones name the same digests), so `gongwen verify`
    // finds every attachment an event names: a ledger of metadata only fails it by the thousand.
    const year = await generateCityYear(ledger, { clock, seed: opts.seed, documents: opts.templateDocuments, attachmentBytes: true });
    await ledger.close();
    const seconds = round((performance.now() - started) / 1000, 1);
    const people = [...year.directory.people.values()].map((p) => ({ userId: p.userId, unitId: p.unitId, active: p.active, roles: [...p.roles] }));
    await db.close();
    await writeFile(marker, JSON.stringify({ seconds, people }, null, 2));
    return { dataDir, seconds, people };
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
 * while it is measured. `readModels` false (eventsOnlyLedger): the Merkle log only.
 */
async function settle(config: Config, withJobs: boolean, readModels = true): Promise<Record<string, number>> {
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
    if (readModels) await ledger.settle();
    await ledger.close();
    return { jobsSeconds: round(jobsSeconds, 1), merkleAppended: log.appended, seconds: round((performance.now() - started) / 1000, 1) };
  } finally {
    await db.close();
  }
}
