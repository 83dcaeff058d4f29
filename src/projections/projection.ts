import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { RecordedEvent } from '../eventstore/port.ts';

/**
 * A read model built from the event feed. It owns its tables (created by its schema SQL, dropped
 * and re-created on a rebuild), declares the event types it consumes, and applies a batch of
 * events inside the runner's transaction — the same transaction that moves its checkpoint.
 *
 * `apply` gets only the events it handles, in feed order, and should touch the database a few
 * times per batch, not per event (load the touched rows, fold in memory, write back in bulk):
 * a rebuild replays the whole ledger.
 */
export interface Projection {
  name: string;
  /** Bump when the tables or the meaning of the rows change: the runner then rebuilds it. */
  version: number;
  handles: ReadonlySet<string>;
  /** CREATE TABLE/INDEX statements for its tables. */
  schemaSql: string;
  /**
   * Optional: indexes only its queries need, not its `apply` (`CREATE INDEX IF NOT EXISTS …`).
   * A rebuild creates them after the replay, one sort per index instead of one insertion per row
   * and index; `reset` creates them with the tables, and `prepare` creates any that are missing
   * (a rebuild cut short).
   */
  indexSql?: string;
  /** Its tables, dropped (CASCADE) before the schema is created again. */
  tables: readonly string[];
  /**
   * May return the read scopes its writes changed (see `scopesOf`), when it knows them better than
   * the events alone say (the sent box: the issuers of the documents it loaded).
   */
  apply(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void | ReadonlySet<string>>;
  /**
   * Optional: the read scopes these events (of the types it handles) change, from the events
   * alone — a scope is what one of its queries' answers reads, e.g. `unit:<id>` for a unit's inbox,
   * `document:<id>` for a document's timeline (src/api/read-cache.ts keeps answers by them); null
   * when the events do not say (every answer of the projection may have changed). Pure.
   */
  scopesOf?(events: readonly RecordedEvent[]): ReadonlySet<string> | null;
  /**
   * Optional: CPU work that depends on the events alone (no database, no state), which `apply`
   * would otherwise do inside its transaction. The runner calls it as soon as a page of the feed
   * has been read — while the previous batch's statements are still running in PostgreSQL — with
   * the page's events this projection handles, so the two overlap. It may memoise per event
   * object (a WeakMap); `apply` must give the same rows whether or not it was called.
   */
  precompute?(events: readonly RecordedEvent[]): void;
  /**
   * Optional: it checks every event's hash (the audit model). The runner then reads the feed with
   * `proveHashes`, so each event is hashed once, in the read, for all the projections it feeds,
   * and the events proven there skip the schema parse (FeedReadOptions).
   */
  checksHashes?: boolean;
}

/** Reads a projection's schema file beside its module (`new URL('./schema.sql', import.meta.url)`). */
export const schemaFile = (url: URL): string => readFileSync(url, 'utf8');
