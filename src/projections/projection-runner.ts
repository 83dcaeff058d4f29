import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { FeedPosition, RecordedEvent } from '../eventstore/port.ts';
import type { PostgresEventStore } from '../eventstore/postgres/postgres-event-store.ts';
import { decodeFeedPosition } from '../eventstore/postgres/feed-position.ts';
import { inTransaction } from '../db/transaction.ts';
import { batches } from './batches.ts';
import type { Projection } from './projection.ts';

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
  committedAt: Date;
}

/** Another runner moved the checkpoint under us; the batch was rolled back and is not applied twice. */
class CheckpointMoved extends Error {}

/**
 * Keeps projections up to date with the feed. Each batch is applied and its checkpoint moved in
 * one transaction (the checkpoint row is locked, so two runners never apply the same batch), so a
 * crash at any point leaves each projection exactly at some checkpoint. Emits 'applied' after
 * every commit (subscriptions, lag measurement).
 */
export class ProjectionRunner extends EventEmitter<{ applied: [AppliedBatch]; error: [unknown, string] }> {
  readonly #byName: Map<string, Projection>;
  #stopping = false;
  readonly #loops: Promise<void>[] = [];
  readonly #subscriptions = new Set<{ close(): Promise<void> }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: PostgresEventStore,
    readonly projections: readonly Projection[],
    private readonly opts: { batchSize?: number } = {},
  ) {
    super();
    this.#byName = new Map(projections.map((p) => [p.name, p]));
  }

  get batchSize(): number {
    return this.opts.batchSize ?? 1000;
  }

  projection(name: string): Projection {
    const p = this.#byName.get(name);
    if (!p) throw new Error(`no projection named ${name} (known: ${[...this.#byName.keys()].join(', ')})`);
    return p;
  }

  /**
   * Creates missing projections' tables, and rebuilds from scratch (tables dropped and created,
   * checkpoint reset) every projection whose code version differs from the stored one: a
   * projection's schema change is handled by replaying the events into the new tables.
   */
  async prepare(): Promise<string[]> {
    const reset: string[] = [];
    for (const p of this.projections) {
      const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM projection_checkpoints WHERE name = $1', [p.name]);
      if (rows[0]?.version !== p.version) {
        await this.reset(p);
        reset.push(p.name);
      }
    }
    return reset;
  }

  /** Drops the projection's tables, creates them empty and moves its checkpoint to the start. */
  async reset(p: Projection): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gongwen.projection.${p.name}`]);
      for (const table of p.tables) await client.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
      await client.query(p.schemaSql);
      await client.query(
        `INSERT INTO projection_checkpoints (name, version, position, events_applied, last_recorded_at, updated_at)
         VALUES ($1, $2, NULL, 0, NULL, now())
         ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, position = NULL, events_applied = 0, last_recorded_at = NULL, updated_at = now()`,
        [p.name, p.version],
      );
    });
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
    await inTransaction(this.pool, async (client) => {
      // Read models can always be replayed from the events, and rows and checkpoint commit together:
      // a batch lost in a crash is simply applied again, so no need to wait for the disk flush.
      await client.query('SET LOCAL synchronous_commit = off');
      const { rows } = await client.query<{ position: string | null }>('SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE', [p.name]);
      if (!rows[0]) throw new Error(`projection ${p.name} is not prepared`);
      if ((rows[0].position ?? null) !== from) throw new CheckpointMoved(p.name);
      if (handled.length > 0) await p.apply(client, handled);
      await client.query(
        `UPDATE projection_checkpoints SET position = $2, events_applied = events_applied + $3, last_recorded_at = $4, updated_at = now() WHERE name = $1`,
        [p.name, last.position, handled.length, last.recordedAt],
      );
    });
    this.emit('applied', { projection: p.name, events, handled, committedAt: new Date() });
  }

  /**
   * Applies everything committed before the call, then returns (CLI, tests). `onProgress` gets
   * the number of events read so far.
   */
  async catchUp(names?: readonly string[], onProgress?: (name: string, read: number) => void): Promise<void> {
    await this.store.awaitVisible();
    for (const p of names ? names.map((n) => this.projection(n)) : this.projections) {
      let position = await this.checkpoint(p.name);
      let read = 0;
      for (;;) {
        const page = await this.store.readAll(position, this.batchSize);
        if (page.events.length === 0) break;
        await this.applyBatch(p, position, page.events);
        position = page.position;
        read += page.events.length;
        onProgress?.(p.name, read);
      }
    }
  }

  /** `gongwen rebuild`: drop and replay the named projections (all when none named). */
  async rebuild(names?: readonly string[], onProgress?: (name: string, read: number) => void): Promise<void> {
    const chosen = names?.length ? names.map((n) => this.projection(n)) : this.projections;
    for (const p of chosen) {
      await this.reset(p);
      await this.catchUp([p.name], onProgress);
    }
  }

  /** Follows the feed in the background until stop(); errors are emitted and the loop restarts. */
  start(): void {
    for (const p of this.projections) this.#loops.push(this.#follow(p));
  }

  async #follow(p: Projection): Promise<void> {
    while (!this.#stopping) {
      let position = await this.checkpoint(p.name).catch(() => null);
      const subscription = this.store.subscribeAll(position);
      this.#subscriptions.add(subscription);
      try {
        for await (const batch of batches(subscription, this.batchSize)) {
          if (this.#stopping) break;
          await this.applyBatch(p, position, batch);
          position = batch.at(-1)!.position;
        }
      } catch (error) {
        if (!(error instanceof CheckpointMoved)) this.emit('error', error, p.name);
        if (!this.#stopping) await new Promise((ok) => setTimeout(ok, 500));
      } finally {
        this.#subscriptions.delete(subscription);
        await subscription.close();
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await Promise.all(this.#loops);
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
      const point = decodeFeedPosition(row?.position ?? null);
      const { rows: behind } = await this.pool.query<{ n: number; oldest: Date | null }>(
        `SELECT count(*)::bigint AS n, min(recorded_at) AS oldest FROM events
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
        [point.transactionId, point.globalPosition],
      );
      out.push({
        name: p.name,
        version: row?.version ?? p.version,
        position: row?.position ?? null,
        eventsApplied: Number(row?.events_applied ?? 0),
        eventsBehind: Number(behind[0]!.n),
        msBehind: behind[0]!.oldest ? Math.max(0, Date.now() - behind[0]!.oldest.getTime()) : 0,
        updatedAt: (row?.updated_at ?? new Date(0)).toISOString(),
      });
    }
    return out;
  }
}
