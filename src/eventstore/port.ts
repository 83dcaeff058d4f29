import type { Actor } from '../../schemas/common.ts';

/**
 * The event store port. Every adapter (PostgreSQL, EventStoreDB) passes the same contract suite
 * (test/contract/event-store.contract.ts).
 *
 * Revisions are 0-based: the first event of a stream has revision 0, and a stream's revision is
 * that of its last event.
 */
export type ExpectedRevision =
  | number
  /** the stream must not exist yet */
  | 'no_stream'
  /** the stream must exist */
  | 'stream_exists'
  /** no check */
  | 'any';

/**
 * A position in the global feed. Opaque to callers: each adapter encodes its own order (the
 * PostgreSQL adapter orders by transaction id, then sequence). Store it as text, compare never.
 */
export type FeedPosition = string;

export interface NewEvent {
  type: string;
  data: unknown;
  /** Generated when absent. */
  eventId?: string;
  /** When it happened, as claimed; defaults to the time of recording. */
  occurredAt?: string;
}

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  /** Idempotency key: a second append with the same commandId appends nothing and returns the first outcome. */
  commandId: string;
  /**
   * Fingerprint of the command that produced the events. The same commandId arriving with another
   * fingerprint is a client bug (a reused key), refused with CommandIdReusedError.
   */
  commandHash?: string;
  actor: Actor;
  correlationId?: string;
  causationId?: string | null;
}

/** One append of a batch (EventStore.appendBatch). */
export interface BatchAppend {
  streamId: string;
  events: NewEvent[];
  options: AppendOptions;
}

export interface RecordedEvent<Data = unknown> {
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  revision: number;
  /**
   * Unique, increasing number the store gives the event (PostgreSQL: a sequence value, with gaps
   * after rollbacks and not in commit order). The feed's order is `position`, not this.
   */
  globalPosition: number;
  /** This event's place in the global feed; pass it to readAll/subscribeAll to continue after it. */
  position: FeedPosition;
  occurredAt: string;
  recordedAt: string;
  actor: Actor;
  commandId: string;
  correlationId: string;
  causationId: string | null;
  data: Data;
  prevHash: string;
  hash: string;
  mac: string;
}

export interface AppendResult {
  streamId: string;
  /** Revision of the stream's last event after this append. */
  revision: number;
  /** The events this command appended (on a repeated command: the ones its first run appended). */
  events: RecordedEvent[];
  /** True when the commandId had been seen before: nothing was appended. */
  duplicate: boolean;
  /** The fingerprint stored with the command (set by findCommand), to catch a reused commandId. */
  commandHash?: string | null;
}

export interface StreamRead {
  streamId: string;
  /** null when the stream does not exist. */
  revision: number | null;
  events: RecordedEvent[];
}

export interface FeedReadOptions {
  /**
   * Recompute each event's hash and MAC as it is read, for a reader that checks them anyway (the
   * audit model): an event proven so is marked (`hashProven`, hash-proof.ts), and its payload, being
   * what the append path wrote after the schema parsed it, is not parsed again. A store may ignore
   * it (EventStoreDB): the events are the same, merely not marked.
   */
  proveHashes?: boolean;
}

export interface FeedPage {
  events: RecordedEvent[];
  /** Where to continue; equal to the input position when nothing new was visible. */
  position: FeedPosition | null;
}

/** The ledger's events in the feed after a position: how many, and since when they wait. */
export interface FeedBacklog {
  events: number;
  /** recordedAt of the first of them (null: none). */
  oldestRecordedAt: string | null;
}

export interface Subscription extends AsyncIterable<RecordedEvent> {
  /** The same events in pages (what arrived together, at most the batch size): consume one way only. */
  pages(): AsyncGenerator<RecordedEvent[], void, undefined>;
  close(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Many appends in one transaction, where the store can (PostgreSQL): each with exactly the
   * outcome it would have alone, the whole batch kept or none of it before the appends are made
   * one by one. Optional: a caller without it appends one by one (appendEach).
   */
  appendBatch?(appends: BatchAppend[]): Promise<AppendResult[]>;
  readStream(streamId: string): Promise<StreamRead>;
  /** Events after `from` (null = from the beginning), in feed order, never skipping a late commit. */
  readAll(from: FeedPosition | null, limit: number, opts?: FeedReadOptions): Promise<FeedPage>;
  /** Follows the feed after `from`, waking on new commits, until closed. */
  subscribeAll(from: FeedPosition | null, opts?: { batchSize?: number } & FeedReadOptions): Subscription;
  /**
   * How many events the feed holds after `from` (null: all of them) and when the first of them was
   * recorded: the ledger's size (`ledger.status()`) and a reader's lag (`gongwen projections`),
   * asked of whichever store holds the events.
   */
  backlog(from: FeedPosition | null): Promise<FeedBacklog>;
  /**
   * Resolves once everything committed before the call is visible to readAll (the PostgreSQL feed
   * waits for older transactions; EventStoreDB shows an acknowledged append at once).
   */
  awaitVisible(timeoutMs?: number): Promise<void>;
  /** The first outcome of a command, or null if the commandId was never seen. */
  findCommand(commandId: string): Promise<AppendResult | null>;
  /**
   * The appends of a command's earlier steps (commandIds `<commandId>/<step>`, written by a command
   * that spans several streams), in feed order: with the command's own append they are its outcome.
   */
  findCommandSteps(commandId: string): Promise<AppendResult[]>;
  close(): Promise<void>;
}

export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual ?? 'no stream'}`);
    this.name = 'ConcurrencyError';
  }
}

export class CommandIdReusedError extends Error {
  constructor(readonly commandId: string) {
    super(`commandId ${commandId} was already used for a different command`);
    this.name = 'CommandIdReusedError';
  }
}

/** A stored event that no longer matches its schema (or an unknown type) — never silently passed on. */
export class InvalidEventError extends Error {
  constructor(
    readonly type: string,
    readonly where: string,
    readonly issues: string,
  ) {
    super(`event ${type} at ${where} fails its schema: ${issues}`);
    this.name = 'InvalidEventError';
  }
}

/** The appends through the store's batch where it has one, else one after another in order. */
export async function appendEach(store: EventStore, appends: BatchAppend[]): Promise<AppendResult[]> {
  if (appends.length === 0) return [];
  if (store.appendBatch) return store.appendBatch(appends);
  const results: AppendResult[] = [];
  for (const a of appends) results.push(await store.append(a.streamId, a.events, a.options));
  return results;
}
