import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { EventStore, FeedPosition, FeedReadOptions, RecordedEvent, Subscription } from '../eventstore/port.ts';
import { compareFeedPositions } from '../eventstore/feed-order.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Projection } from './projection.ts';
import { ScratchSchema } from './scratch-schema.ts';

/** Where a reset or rebuild announces, inside its transaction, the projections whose tables it replaced (src/api/read-cache.ts listens). */
export const READ_MODELS_CHANNEL = 'gongwen_read_models';

export interface ProjectionStatus {
  name: string;
  version: number;
  position: FeedPosition | null;
  eventsApplied: number;
  /** Committed events the projection has not applied yet. */
  eventsBehind: number;
  /** How long the oldest unapplied event has been waiting (0 when caught up). */
  msBehind: number;
  updatedAt: string;
}

export interface AppliedBatch {
  projection: string;
  events: readonly RecordedEvent[];
  /** The batch's events this projection consumed. */
  handled: readonly RecordedEvent[];
  /** The read scopes the batch changed (Projection.scopesOf); null: not known, any of its answers may have. */
  scopes: ReadonlySet<string> | null;
  committedAt: Date;
}

/** A page of the shared read, kept until every following projection has taken it. */
interface SharedPage {
  seq: number;
  /** The position the page was read after. */
  from: FeedPosition | null;
  events: readonly RecordedEvent[];
}

/** A projection following the shared read. */
interface Lane {
  /** Its checkpoint (the end of its last batch). */
  position: FeedPosition | null;
  /** The seq of the next page for it to take. */
  next: number;
  wake: (() => void) | null;
  done: Promise<void>;
}

/** Another runner moved the checkpoint under us; the batch was rolled back and is not applied twice. */
class CheckpointMoved extends Error {}

/** How long a projection whose batch failed waits before it tries again from its checkpoint. */
const RETRY_MS = 500;

/** Events per read when replaying the feed (catch-up, rebuild): fewer, larger transactions. */
const REPLAY_BATCH = 2000;

/** The events of a page that lie after `position` (a page is in feed order). */
export function eventsAfter(events: readonly RecordedEvent[], position: FeedPosition | null, pageFrom?: FeedPosition | null): readonly RecordedEvent[] {
  if (position === null || position === pageFrom) return events;
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareFeedPositions(events[mid]!.position, position) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? events : events.slice(lo);
}

/** Runs each projection's precompute on the page's events it handles; a failure is left for its apply to meet. */
function precompute(projections: readonly Projection[], events: readonly RecordedEvent[]): void {
  for (const p of projections) {
    if (!p.precompute) continue;
    try {
      p.precompute(events.filter((e) => p.handles.has(e.type)));
    } catch {
      // apply computes the same and fails in its own transaction, reported as that projection's.
    }
  }
}

const earliest = (positions: Iterable<FeedPosition | null>): FeedPosition | null | undefined => {
  let out: FeedPosition | null | undefined;
  for (const p of positions) if (out === undefined || compareFeedPositions(p, out) < 0) out = p;
  return out;
};

const latest = (positions: Iterable<FeedPosition | null>): FeedPosition | null | undefined => {
  let out: FeedPosition | null | undefined;
  for (const p of positions) if (out === undefined || compareFeedPositions(p, out) > 0) out = p;
  return out;
};

/**
 * Keeps projections up to date with the feed. Each batch is applied and its checkpoint moved in
 * one transaction per projection (the checkpoint moves only if it is still where the batch began,
 * so two runners never both commit one batch), so a crash at any point leaves each projection
 * exactly at some checkpoint. Emits 'applied' after every commit (subscriptions, lag measurement).
 *
 * The feed is read once for all projections of the runner, not once per projection: every read
 * is decoded once and each projection is handed the events after its own checkpoint, applied side
 * by side, each in its own transaction. So one projection failing never holds back or corrupts
 * another: it leaves the shared reading, retries from its own checkpoint with reads of its own,
 * and joins again once it has caught up (as does a projection reset for a new version, which
 * rebuilds alone while the others follow).
 */
export class ProjectionRunner extends EventEmitter<{
  applied: [AppliedBatch];
  error: [unknown, string];
  /** Another runner committed the batch this one was applying: the projection's rows changed all the same. */
  moved: [string];
  /** A reset or rebuild replaced these projections' tables (other processes hear it on READ_MODELS_CHANNEL). */
  swapped: [readonly string[]];
  /** stop() ended the following: what listened beside it (the read cache's LISTEN connection) lets go. */
  stopped: [];
}> {
  readonly #byName: Map<string, Projection>;
  #stopping = false;
  #following: Promise<void> | null = null;
  /** Projections following the shared read, each taking its pages at its own pace. */
  readonly #lanes = new Map<Projection, Lane>();
  /** Pages read and not yet taken by every lane, in feed order, numbered from #nextSeq - length. */
  readonly #pages: SharedPage[] = [];
  #nextSeq = 0;
  /** Where the shared read's next page starts: the end of the last page read. */
  #sharedAt: FeedPosition | null = null;
  #readerWake: (() => void) | null = null;
  #subscription: Subscription | null = null;
  readonly #chasing = new Set<Promise<void>>();
  readonly #pauses = new Set<() => void>();
  /** An 'error' listener that threw: the background work stopped, and stop() rethrows it. */
  #fatal: unknown = null;
  /**
   * Projections whose stored version is newer than this code's (found by prepare): a newer
   * process, in a rolling deploy, owns their tables. This one neither resets nor applies them,
   * or the two would reset each other back and forth.
   */
  readonly #newerElsewhere = new Set<Projection>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    private readonly opts: { batchSize?: number } = {},
  ) {
    super();
    this.#byName = new Map(projections.map((p) => [p.name, p]));
  }

  /** Events per transaction when following, and per read; catch-up and rebuild read larger pages unless it is set. */
  get batchSize(): number {
    return this.opts.batchSize ?? 1000;
  }

  get #replayBatch(): number {
    return this.opts.batchSize ?? REPLAY_BATCH;
  }

  projection(name: string): Projection {
    const p = this.#byName.get(name);
    if (!p) throw new Error(`no projection named ${name} (known: ${[...this.#byName.keys()].join(', ')})`);
    return p;
  }

  /**
   * Creates missing projections' tables, and rebuilds from scratch (tables dropped and created,
   * checkpoint reset) every projection whose stored version is older than the code's: a
   * projection's schema change is handled by replaying the events into the new tables. One whose
   * stored version is newer is left alone, and not run by this process (see #newerElsewhere). Also
   * creates any missing deferred index (a rebuild cut short before it built them).
   */
  async prepare(): Promise<string[]> {
    const reset: string[] = [];
    for (const p of this.projections) {
      const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM projection_checkpoints WHERE name = $1', [p.name]);
      const stored = rows[0]?.version;
      this.#newerElsewhere.delete(p);
      if (stored !== undefined && stored > p.version) {
        this.#newerElsewhere.add(p);
      } else if (stored !== p.version) {
        await this.reset(p);
        reset.push(p.name);
      } else if (p.indexSql && (await this.#missingIndexes(p))) {
        await this.pool.query(p.indexSql);
      }
    }
    return reset;
  }

  /**
   * Drops the projection's tables, creates them empty and moves its checkpoint to the start.
   * `deferIndexes`: leave out its `indexSql` (a rebuild creates those indexes after the replay).
   */
  async reset(p: Projection, opts: { deferIndexes?: boolean } = {}): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gongwen.projection.${p.name}`]);
      await this.#refuseIfNewer(client, p);
      for (const table of p.tables) await client.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
      await client.query(p.schemaSql);
      if (p.indexSql && !opts.deferIndexes) await client.query(p.indexSql);
      await client.query(
        `INSERT INTO projection_checkpoints (name, version, position, events_applied, last_recorded_at, updated_at)
         VALUES ($1, $2, NULL, 0, NULL, now())
         ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, position = NULL, events_applied = 0, last_recorded_at = NULL, updated_at = now()`,
        [p.name, p.version],
      );
      await client.query('SELECT pg_notify($1, $2)', [READ_MODELS_CHANNEL, p.name]);
    });
    this.emit('swapped', [p.name]);
  }

  /** Whether any index of `indexSql` is missing (checked first: CREATE INDEX locks out writers even when it has nothing to do). */
  async #missingIndexes(p: Projection): Promise<boolean> {
    const names = [...p.indexSql!.matchAll(/CREATE\s+INDEX\s+IF\s+NOT\s+EXISTS\s+(\w+)/gi)].map((m) => m[1]!);
    if (names.length === 0) return true;
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(to_regclass(n))::int AS n FROM unnest($1::text[]) AS n', [names]);
    return rows[0]!.n < names.length;
  }

  async checkpoint(name: string): Promise<FeedPosition | null> {
    const { rows } = await this.pool.query<{ position: string | null }>('SELECT position FROM projection_checkpoints WHERE name = $1', [name]);
    return rows[0]?.position ?? null;
  }

  /** Applies one batch in one transaction with the checkpoint move, if the checkpoint is still `from`. */
  async applyBatch(p: Projection, from: FeedPosition | null, events: readonly RecordedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (!last) return;
    const handled = events.filter((e) => p.handles.has(e.type));
    const name = pg.escapeLiteral(p.name);
    const client = await this.pool.connect();
    let broken = false;
    let scopes: ReadonlySet<string> | null = null;
    try {
      // Two round trips of bookkeeping per batch, the opening and the closing. Read models can
      // always be replayed from the events, and rows and checkpoint commit together: a batch lost
      // in a crash is simply applied again, so no need to wait for the disk flush.
      //
      // The checkpoint is only read here, not locked: a lock is a write, and a transaction that
      // has written holds back the whole feed (the feed shows no commit newer than the oldest
      // running writer), so every event appended while a batch is applied would wait for it. The
      // projection's own writes come as late as its apply allows; the checkpoint is claimed last.
      const opened = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = off; SELECT position FROM projection_checkpoints WHERE name = ${name}`,
      )) as unknown as pg.QueryResult<{ position: string | null }>[];
      const row = opened[2]!.rows[0];
      if (!row) throw new Error(`projection ${p.name} is not prepared`);
      if ((row.position ?? null) !== from) throw new CheckpointMoved(p.name);
      if (handled.length > 0) scopes = (await p.apply(client, handled)) ?? p.scopesOf?.(handled) ?? null;
      // The checkpoint moves only if it still is `from` (under the row lock, re-checked after any
      // concurrent mover commits): otherwise the count is 0, the division fails, and the COMMIT of
      // the same query string never runs — so two runners never both commit one batch.
      await client.query(
        `WITH moved AS (
           UPDATE projection_checkpoints SET position = ${pg.escapeLiteral(last.position)}, events_applied = events_applied + ${handled.length},
                  last_recorded_at = ${pg.escapeLiteral(last.recordedAt)}, updated_at = now()
            WHERE name = ${name} AND position IS NOT DISTINCT FROM ${from === null ? 'NULL' : pg.escapeLiteral(from)}
           RETURNING 1)
         SELECT 1 / count(*)::int AS moved FROM moved; COMMIT`,
      );
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      // Lost to another runner (directly, or through a conflict on the rows both were writing).
      if (error instanceof CheckpointMoved || (error as { code?: string }).code === '22012' || (await this.checkpoint(p.name).then((now) => now !== from, () => false))) {
        this.emit('moved', p.name);
        throw new CheckpointMoved(p.name);
      }
      throw error;
    } finally {
      client.release(broken);
    }
    this.emit('applied', { projection: p.name, events, handled, scopes, committedAt: new Date() });
  }

  /**
   * Applies everything committed before the call, then returns (CLI, tests). `onProgress` gets
   * the number of events of the feed each projection has passed so far. The named projections
   * share each read of the feed; one that fails drops out while the others carry on, and the
   * first failure is thrown at the end (every failure, in an AggregateError, when several failed).
   */
  async catchUp(names?: readonly string[], onProgress?: (name: string, read: number) => void): Promise<void> {
    await this.store.awaitVisible();
    await this.#replay(names ? names.map((n) => this.projection(n)) : this.#active, onProgress);
  }

  /**
   * `gongwen rebuild`: replays the feed once into new tables of the named projections (all when
   * none named), built aside in a scratch schema while the live rows go on being served; their
   * deferred indexes are built there at the end. Then, in one transaction, the live tables are
   * locked, the events committed meanwhile applied aside, and the new tables swapped in with their
   * checkpoints. Queries never see an empty or partial read model, and a rebuild that fails
   * leaves the live rows as they were.
   */
  async rebuild(names?: readonly string[], onProgress?: (name: string, read: number) => void): Promise<void> {
    const chosen = names?.length ? names.map((n) => this.projection(n)) : this.#active;
    for (const p of chosen) await this.#refuseIfNewer(this.pool, p);
    const scratch = await ScratchSchema.create(this.pool, 'rebuild', chosen);
    try {
      const aside = new ProjectionRunner(scratch.scratchPool, this.store, chosen, this.opts);
      await aside.catchUp(undefined, onProgress);
      // The projections' deferred indexes and statistics side by side (as many as the scratch
      // pool has connections): one index build sorts on one core.
      await Promise.all(
        chosen.map(async (p) => {
          if (p.indexSql) await scratch.scratchPool.query(p.indexSql);
          await scratch.analyze(p);
        }),
      );
      await inTransaction(this.pool, async (client) => {
        for (const p of chosen) {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gongwen.projection.${p.name}`]);
          await this.#refuseIfNewer(client, p);
        }
        const tables = chosen.flatMap((p) => p.tables);
        const { rows } = await client.query<{ t: string }>(`SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass('public.' || t) IS NOT NULL`, [tables]);
        // Held still (appliers and readers wait) while the last events go in aside. Neither a lock
        // nor the advisory lock takes a transaction id, so the feed is not held back by this one.
        if (rows.length) await client.query(`LOCK TABLE ${rows.map((r) => `public.${r.t}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
        // What the feed shows now, without waiting for older transactions under the lock: the
        // feed never shows a position past one of those, so the swapped checkpoint is safe to
        // go on from and the live runner applies the rest.
        await aside.#replay(chosen);
        for (const p of chosen) await scratch.restoreAutovacuum(client, p);
        for (const t of tables) {
          await client.query(`DROP TABLE IF EXISTS public.${t} CASCADE`);
          await client.query(`ALTER TABLE ${scratch.name}.${t} SET SCHEMA public`);
        }
        await client.query(
          `INSERT INTO public.projection_checkpoints (name, version, position, events_applied, last_recorded_at, updated_at)
           SELECT name, version, position, events_applied, last_recorded_at, now() FROM ${scratch.name}.projection_checkpoints WHERE name = ANY($1::text[])
           ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position, events_applied = EXCLUDED.events_applied,
                                            last_recorded_at = EXCLUDED.last_recorded_at, updated_at = now()`,
          [chosen.map((p) => p.name)],
        );
        await client.query('SELECT pg_notify($1, $2)', [READ_MODELS_CHANNEL, chosen.map((p) => p.name).join(',')]);
      });
      this.emit('swapped', chosen.map((p) => p.name));
    } finally {
      await scratch.drop();
    }
  }

  /** A stored version newer than the code's belongs to a newer process: never reset or replaced from here. */
  async #refuseIfNewer(db: Pick<pg.ClientBase, 'query'>, p: Projection): Promise<void> {
    const { rows } = await db.query<{ version: number }>('SELECT version FROM projection_checkpoints WHERE name = $1', [p.name]);
    if (rows[0] && rows[0].version > p.version) {
      throw new Error(`projection ${p.name}: version ${rows[0].version} is stored, newer than this code's ${p.version}; a newer process owns it, not reset`);
    }
  }

  /** The feed is read proving its hashes when one of the projections checks them anyway (the audit model). */
  #readOptions(projections: readonly Projection[]): FeedReadOptions {
    return { proveHashes: projections.some((p) => p.checksHashes === true) };
  }

  /** Catches the projections up from their checkpoints to the end of the feed (or until `stop` says so). */
  async #replay(chosen: readonly Projection[], onProgress?: (name: string, read: number) => void, stop?: () => boolean): Promise<void> {
    const at = new Map<Projection, FeedPosition | null>();
    for (const p of chosen) at.set(p, await this.checkpoint(p.name));
    const read = new Map<Projection, number>(chosen.map((p) => [p, 0]));
    const failures: unknown[] = [];
    const limit = this.#replayBatch;
    let from = earliest(at.values());
    // The next page is read while the current one is applied, and the projections' precompute
    // runs as it arrives: Node works on the next page while PostgreSQL writes the current one.
    const readPage = (position: FeedPosition | null) => {
      const page = this.store.readAll(position, limit, this.#readOptions(chosen)).then((read) => {
        precompute([...at.keys()], read.events);
        return read;
      });
      // Awaited only once the current page is applied: a read failing before that (the database
      // restarting) would be an unhandled rejection, which ends the process. Marked handled here;
      // awaiting it still throws.
      page.catch(() => {});
      return page;
    };
    let next = from === undefined ? null : readPage(from);
    while (next && at.size > 0 && !stop?.()) {
      const page = await next;
      next = null;
      if (page.events.length === 0) break;
      const pageFrom = from!;
      next = readPage(page.position);
      from = page.position;
      await Promise.all(
        [...at].map(async ([p, position]) => {
          const events = eventsAfter(page.events, position, pageFrom);
          if (events.length === 0 || compareFeedPositions(position, page.position) >= 0) return;
          try {
            await this.applyBatch(p, position, events);
            at.set(p, page.position);
            read.set(p, read.get(p)! + events.length);
            onProgress?.(p.name, read.get(p)!);
          } catch (error) {
            if (error instanceof CheckpointMoved) {
              // Another runner applied it; carry on from wherever that one got to.
              at.set(p, await this.checkpoint(p.name));
              return;
            }
            at.delete(p);
            failures.push(error);
          }
        }),
      );
      // Usually every projection now stands at the page's end; if one was moved elsewhere (by
      // another runner), or none is left behind, the read continues from the earliest.
      const lowest = earliest(at.values());
      if (lowest !== undefined && lowest !== from) {
        from = lowest;
        next = readPage(lowest);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} projections failed to catch up`);
  }

  /**
   * Follows the feed in the background until stop(): one subscription for all projections. Each
   * page read is kept until every projection has taken it; each projection takes the pages at its
   * own pace (several at once, up to a batch, when it has fallen behind), so a slow one does not
   * hold up the others' next page, and the reading stops only when one is more than a few batches
   * behind. A projection whose batch fails is reported ('error'), leaves the shared read, and
   * retries from its checkpoint after a pause; projections behind the shared read (a new version
   * rebuilding, a retry) catch up with reads of their own and then join it.
   */
  start(): void {
    if (this.#following) return;
    this.#stopping = false;
    this.#fatal = null;
    this.#following = this.#follow().catch((error: unknown) => {
      this.#fatal ??= error;
      this.#stopping = true;
      this.#wakeAll();
    });
  }

  /**
   * Whether this runner is following the feed with the projection now, so that its 'applied'
   * batches report every commit as it comes (what a cache invalidated by them relies on).
   */
  follows(name: string): boolean {
    return this.#following !== null && !this.#stopping && this.#active.some((p) => p.name === name);
  }

  /** The projections this process runs (all but those a newer process owns). */
  get #active(): readonly Projection[] {
    return this.projections.filter((p) => !this.#newerElsewhere.has(p));
  }

  async #follow(): Promise<void> {
    const active = this.#active;
    let positions: (FeedPosition | null)[] | null = null;
    while (!this.#stopping && !positions) {
      try {
        positions = await Promise.all(active.map((p) => this.checkpoint(p.name)));
      } catch (error) {
        for (const p of active) this.#report(error, p.name);
        await this.#pause(RETRY_MS);
      }
    }
    if (!positions) return;
    // The shared read starts at the most advanced projection; the others catch up and join.
    this.#sharedAt = latest(positions) ?? null;
    active.forEach((p, i) => {
      if (compareFeedPositions(positions[i]!, this.#sharedAt) >= 0) this.#join(p, positions[i]!);
      else this.#chase(p, 0);
    });
    while (!this.#stopping) {
      const subscription = this.store.subscribeAll(this.#sharedAt, { batchSize: this.batchSize, ...this.#readOptions(active) });
      this.#subscription = subscription;
      const pages = subscription.pages();
      try {
        for (;;) {
          const result = await pages.next();
          if (result.done || this.#stopping) break;
          this.#pages.push({ seq: this.#nextSeq++, from: this.#sharedAt, events: result.value });
          this.#sharedAt = result.value.at(-1)!.position;
          for (const lane of this.#lanes.values()) lane.wake?.();
          // With nobody following (every projection retrying on its own), nothing is kept.
          if (this.#lanes.size === 0) this.#prunePages();
          await this.#roomToRead();
        }
      } catch (error) {
        // A failed read: every projection following the shared read is held up by it.
        for (const p of this.#lanes.keys()) this.#report(error, p.name);
        await this.#pause(RETRY_MS);
      } finally {
        this.#subscription = null;
        await subscription.close();
      }
    }
    this.#wakeAll();
    await Promise.all([...this.#lanes.values()].map((lane) => lane.done));
    await Promise.all([...this.#chasing]);
    this.#lanes.clear();
    this.#pages.length = 0;
  }

  /** Waits while a projection has more than a few batches of read pages still to take. */
  async #roomToRead(): Promise<void> {
    const limit = 4 * this.batchSize;
    const queued = (lane: Lane): number => {
      let n = 0;
      for (let i = lane.next - (this.#pages[0]?.seq ?? this.#nextSeq); i < this.#pages.length; i++) n += this.#pages[i]!.events.length;
      return n;
    };
    while (!this.#stopping && [...this.#lanes.values()].some((lane) => queued(lane) > limit)) {
      await new Promise<void>((resolve) => (this.#readerWake = resolve));
    }
  }

  /** A projection at or after the shared read's next page follows it from now on. */
  #join(p: Projection, position: FeedPosition | null): void {
    const lane: Lane = { position, next: this.#nextSeq, wake: null, done: Promise.resolve() };
    this.#lanes.set(p, lane);
    lane.done = this.#runLane(p, lane).catch((error: unknown) => {
      this.#fatal ??= error;
      this.#stopping = true;
      this.#wakeAll();
    });
  }

  async #runLane(p: Projection, lane: Lane): Promise<void> {
    while (!this.#stopping) {
      const oldest = this.#pages[0]?.seq ?? this.#nextSeq;
      const first = lane.next - oldest;
      if (first >= this.#pages.length) {
        await new Promise<void>((resolve) => (lane.wake = resolve));
        lane.wake = null;
        continue;
      }
      // Everything read since its last batch, up to a batch (at least one page).
      let last = first;
      let size = this.#pages[first]!.events.length;
      while (last + 1 < this.#pages.length && size + this.#pages[last + 1]!.events.length <= this.batchSize) size += this.#pages[++last]!.events.length;
      const taken = this.#pages.slice(first, last + 1);
      lane.next = taken.at(-1)!.seq + 1;
      this.#prunePages();
      const page = taken.length === 1 ? taken[0]!.events : taken.flatMap((t) => t.events);
      const events = eventsAfter(page, lane.position, taken[0]!.from);
      if (events.length === 0) continue;
      try {
        await this.applyBatch(p, lane.position, events);
        lane.position = events.at(-1)!.position;
      } catch (error) {
        this.#lanes.delete(p);
        this.#prunePages();
        // Moved by another runner: pick up from its checkpoint at once. Failed: after a pause.
        const moved = error instanceof CheckpointMoved;
        this.#chase(p, moved ? 0 : RETRY_MS);
        if (!moved) this.#report(error, p.name);
        return;
      }
    }
  }

  /** Drops the pages every following projection has taken, and lets the reading go on. */
  #prunePages(): void {
    let keepFrom = this.#nextSeq;
    for (const lane of this.#lanes.values()) keepFrom = Math.min(keepFrom, lane.next);
    const oldest = this.#pages[0]?.seq ?? this.#nextSeq;
    if (keepFrom > oldest) this.#pages.splice(0, keepFrom - oldest);
    const wake = this.#readerWake;
    this.#readerWake = null;
    wake?.();
  }

  #wakeAll(): void {
    for (const lane of this.#lanes.values()) lane.wake?.();
    const wake = this.#readerWake;
    this.#readerWake = null;
    wake?.();
  }

  /**
   * A projection behind the shared read: after `delayMs`, from its stored checkpoint, it replays
   * the feed on its own (as a catch-up does) until it stands at or after the end of the last page
   * of the shared read, then joins. Joining is checked and done synchronously, so no page is read
   * in between.
   */
  #chase(p: Projection, delayMs: number): void {
    const task = (async () => {
      if (delayMs > 0) await this.#pause(delayMs);
      while (!this.#stopping) {
        try {
          for (;;) {
            // The same replay as a catch-up (read-ahead, precompute), up to the end of the feed.
            await this.#replay([p], undefined, () => this.#stopping);
            if (this.#stopping) return;
            const position = await this.checkpoint(p.name);
            if (compareFeedPositions(position, this.#sharedAt) >= 0) {
              this.#join(p, position);
              return;
            }
            // Behind the shared read yet at the end of what this read saw: the shared read has
            // gone on meanwhile, or a commit it saw is not visible to this read yet.
            await this.#pause(20);
          }
        } catch (error) {
          if (!(error instanceof CheckpointMoved)) this.#report(error, p.name);
          await this.#pause(RETRY_MS);
        }
      }
    })();
    const settled = task.catch((error: unknown) => {
      this.#fatal ??= error;
    });
    this.#chasing.add(settled);
    void settled.then(() => this.#chasing.delete(settled));
  }

  /** Tells the 'error' listeners, if any (an EventEmitter with none would throw the error instead). */
  #report(error: unknown, name: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, name);
  }

  /** A pause that stop() cuts short. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#pauses.add(done);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const done of [...this.#pauses]) done();
    this.#wakeAll();
    await this.#subscription?.close();
    await this.#following;
    await Promise.all([...this.#chasing]);
    this.#following = null;
    this.emit('stopped');
    if (this.#fatal) throw this.#fatal;
  }

  /** Checkpoint, events behind and time behind of every projection (`gongwen projections`). */
  async status(): Promise<ProjectionStatus[]> {
    const out: ProjectionStatus[] = [];
    for (const p of this.projections) {
      const { rows } = await this.pool.query<{ version: number; position: string | null; events_applied: number; updated_at: Date }>(
        'SELECT version, position, events_applied, updated_at FROM projection_checkpoints WHERE name = $1',
        [p.name],
      );
      const row = rows[0];
      const behind = await this.store.backlog(row?.position ?? null);
      out.push({
        name: p.name,
        version: row?.version ?? p.version,
        position: row?.position ?? null,
        eventsApplied: Number(row?.events_applied ?? 0),
        eventsBehind: behind.events,
        msBehind: behind.oldestRecordedAt ? Math.max(0, Date.now() - Date.parse(behind.oldestRecordedAt)) : 0,
        updatedAt: (row?.updated_at ?? new Date(0)).toISOString(),
      });
    }
    return out;
  }
}
