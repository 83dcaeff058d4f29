import type pg from 'pg';
import { Actor } from '../../../schemas/common.ts';
import { EventSchemaError, formatIssues, type EventRegistry } from '../../../schemas/registry.ts';
import {
  CommandIdReusedError,
  ConcurrencyError,
  InvalidEventError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type BatchAppend,
  type FeedBacklog,
  type FeedPage,
  type FeedReadOptions,
  type FeedPosition,
  type NewEvent,
  type RecordedEvent,
  type StreamRead,
  type Subscription,
} from '../port.ts';
import { inTransaction } from '../../db/transaction.ts';
import { decodeFeedPosition, encodeFeedPosition } from './feed-position.ts';
import { ActorTexts, EVENT_ROW_COLUMNS, eventRowHash, HEX64, type EventRow as FeedRow } from './event-row.ts';
import { eventMac } from '../../integrity/event-hash.ts';
import { markHashProven } from '../hash-proof.ts';
import { FeedSubscription } from './feed-subscription.ts';
import { StreamTipCache, type StreamTip } from '../stream-tip-cache.ts';
import { chainEvents, NEW_STREAM, nextBase, prepareAppend, type ChainedEvent, type Envelope, type PreparedEvent } from '../event-envelope.ts';

/** The channel appends are announced on (after commit; see #announce); subscribers LISTEN on it. */
export const EVENTS_CHANNEL = 'gongwen_events';

export interface PostgresEventStoreOptions {
  /** The caller's pool; the store never ends it. */
  pool: pg.Pool;
  registry: EventRegistry;
  /** Key of the per-event HMAC-SM3 seal (see eventMac). */
  macKey: Buffer;
  /** Source of recordedAt. */
  clock?: () => Date;
  /** Fallback poll of subscriptions, for commits that were notified before they became visible. */
  pollIntervalMs?: number;
  /** Events read per query by subscriptions. */
  subscriptionBatchSize?: number;
  /**
   * NOTIFY subscribers in other processes after appends (default true). Without it they still
   * see every event, within their poll interval.
   */
  notify?: boolean;
  /**
   * Group commit: at most this many appends (or groups of appends) in flight at once (default 2).
   * An append that arrives while they are busy waits and leaves with the next group: one
   * statement and one commit for the whole group (see #fly). 1 = one flight at a time.
   */
  appendFlights?: number;
}

/** Anything that runs a query: the pool, or a client the caller holds (possibly inside BEGIN). */
type Queryable = Pick<pg.ClientBase, 'query'>;

/** Shortest time between two post-commit notifications from one store. */
const ANNOUNCE_GAP_MS = 20;
/** Appends sent together in one group-commit statement at most. */
const MAX_GROUP = 64;
/** Rounds of "my view of the tip was stale, refresh and retry" before giving up with a conflict. */
const MAX_TIP_REFRESHES = 8;

// The transaction id travels as text (xid8 can exceed 2^53) under its own name: an output column
// called transaction_id would make ORDER BY transaction_id sort the text ('1000' < '999').
// Times travel as the ISO text the events carry (what Date.toISOString prints: UTC, milliseconds,
// years 0001–9999 as isoTimestamp allows), so the feed does not parse a Date per time to print it
// again: that was a tenth of the cost of decoding an event.
const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
const EVENT_COLUMNS = `global_position, transaction_id::text AS txid, stream_id, revision, event_id::text AS event_id,
  type, schema_version, data, ${isoText('occurred_at')}, ${isoText('recorded_at')}, actor, command_id, correlation_id, causation_id,
  prev_hash, hash, mac`;

const APPEND_SQL = `SELECT * FROM gongwen_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

const APPEND_BATCH_SQL = `SELECT * FROM gongwen_append_batch($1)`;

/** An event's two times are mostly one instant, and so are a command's events': the last one is kept. */
class IsoTimes {
  #ms = NaN;
  #text = '';
  of(ms: number): string {
    if (ms !== this.#ms) {
      this.#text = new Date(ms).toISOString();
      this.#ms = ms;
    }
    return this.#text;
  }
}

// Feed order, and only below the oldest transaction still running: a row whose transaction has
// not committed yet (however low its sequence number) is waited for, never stepped over.
const READ_ALL_SQL = `SELECT ${EVENT_ROW_COLUMNS} FROM events
  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY events.transaction_id, events.global_position
  LIMIT $3`;

// Counted as the feed orders, but with no visibility bound: a lag that includes a commit the feed
// does not show yet is still a lag.
const BACKLOG_SQL = `SELECT count(*)::bigint AS events,
    to_char(min(recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS oldest FROM events
  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`;

const NOTIFY_SQL = `SELECT pg_notify('${EVENTS_CHANNEL}', '')`;

const READ_STREAM_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY revision`;

const READ_RANGE_SQL = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND revision BETWEEN $2 AND $3 ORDER BY revision`;

const LOCK_TIP_SQL = `SELECT revision, last_hash FROM streams WHERE stream_id = $1 FOR UPDATE`;

const FIND_COMMAND_SQL = `SELECT command_hash, stream_id, first_revision, last_revision FROM commands WHERE command_id = $1`;

// Step ids start with '<commandId>/': the byte-wise range ['<id>/', '<id>0') holds exactly them
// ('0' follows '/'), and the pattern operators let the partial index of migration 010 answer it.
const FIND_COMMAND_STEPS_SQL = `SELECT command_hash, stream_id, first_revision, last_revision FROM commands
  WHERE strpos(command_id, '/') > 0 AND command_id ~>=~ $1 AND command_id ~<~ $2`;

interface EventRow {
  global_position: number;
  txid: string;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  occurred_at: string;
  recorded_at: string;
  actor: unknown;
  command_id: string;
  correlation_id: string;
  causation_id: string | null;
  prev_hash: string;
  hash: string;
  mac: string;
}

interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'conflict';
  stream_revision: number | null;
  stream_last_hash: string | null;
  command_hash: string | null;
  command_stream_id: string | null;
  first_revision: number | null;
  last_revision: number | null;
  global_positions: (string | number)[] | null;
  transaction_id: string | null;
}

interface BatchRow {
  ord: number;
  outcome: AppendRow['outcome'];
  global_positions: (string | number)[] | null;
  transaction_id: string | null;
}

interface CommandRow {
  command_hash: string | null;
  stream_id: string;
  first_revision: number;
  last_revision: number;
}

interface AppendRequest {
  options: AppendOptions;
  expected: ExpectedRevision;
  prepared: PreparedEvent[];
  envelope: Envelope;
}

/** An append waiting for its flight (group commit), and its caller's promise. */
interface Waiting {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * The PostgreSQL adapter of the event store port (DESIGN.md, "Event store port").
 *
 * Append = one call of `gongwen_append` (migration 002) on the warm path: the application
 * validates, normalises and hashes in memory, chaining from the stream tip it cached; the function
 * claims the command id, checks the tip (revision AND last hash), inserts every event in one
 * statement and moves the tip. A cold or stale tip costs one extra round trip, never a broken
 * chain. Subscribers are woken in-process at once and in other processes by a NOTIFY sent after
 * the commit.
 *
 * The global feed is ordered by (transaction id, sequence) and stops below the oldest transaction
 * still running on the server, so it can lag behind a commit while an older transaction (in any
 * database of the cluster) is open, but it never skips one.
 */
export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #registry: EventRegistry;
  readonly #macKey: Buffer;
  readonly #clock: () => Date;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #notify: boolean;
  readonly #tips = new StreamTipCache();
  readonly #actors = new ActorTexts();
  readonly #times = new IsoTimes();
  readonly #subscriptions = new Set<FeedSubscription>();
  #listener: pg.PoolClient | null = null;
  #listenerStarting: Promise<void> | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  /** Failed LISTEN attempts in a row: the next is tried later each time (a database restarting). */
  #listenerFailures = 0;
  #announcing: Promise<void> | null = null;
  #announceWanted = false;
  #lastAnnounceAt = 0;
  /** Called when a flight lands: the announcer waits for one before a NOTIFY of its own (see #announce). */
  #onLanding: (() => void)[] = [];
  /** Appends whose own statement carried the NOTIFY (see #carryAnnouncement): nothing left to announce. */
  readonly #announcedBy = new WeakSet<AppendResult>();
  #closed = false;
  readonly #maxFlights: number;
  /** Appends that arrived while every flight was busy, in arrival order. */
  #waiting: Waiting[] = [];
  #flights = 0;
  /** Streams with an append in flight: the next append to one waits, to chain from its result. */
  readonly #flying = new Set<string>();

  constructor(options: PostgresEventStoreOptions) {
    this.#pool = options.pool;
    this.#registry = options.registry;
    this.#macKey = options.macKey;
    this.#clock = options.clock ?? (() => new Date());
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
    this.#batchSize = options.subscriptionBatchSize ?? 500;
    this.#notify = options.notify ?? true;
    this.#maxFlights = options.appendFlights ?? 2;
    if (!Number.isSafeInteger(this.#maxFlights) || this.#maxFlights < 1) throw new RangeError(`appendFlights must be a positive integer, got ${options.appendFlights}`);
  }

  /**
   * One append, group-committed: it leaves at once when a flight is free, else with the next
   * group (see #fly). Its result, duplicate or error is the one it would get alone, and it is
   * given only after the commit that holds its events.
   */
  async append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    // Refusals of the arguments and the events come here, before the append waits for anything.
    const request = this.#request(streamId, events, options);
    const result = await new Promise<AppendResult>((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#takeOff();
    });
    if (!result.duplicate) {
      this.#wakeSubscriptions();
      if (!this.#announcedBy.has(result)) this.#announce();
    }
    return result;
  }

  /**
   * Many appends in one transaction and one round trip (gongwen_append_batch, migration 190, which
   * calls gongwen_append for each in order): bulk loading, where a round trip and a commit per
   * append is most of the cost. Each append is validated, chained and MACed exactly as append()
   * does it, a later append to a stream of the batch chaining from the earlier one. All or
   * nothing: when the store cannot chain every append from a tip it knows (no cached tip for
   * 'any'/'stream_exists', an expectation the batch itself contradicts) or the database answers
   * anything but 'appended' for one of them (a duplicate command, a stale tip, the feed-order
   * guard), nothing of the batch is kept and the appends are made one by one through append's
   * own path, so each gets exactly the outcome (result, duplicate or error) it would alone.
   */
  async appendBatch(appends: BatchAppend[]): Promise<AppendResult[]> {
    const requests = appends.map((a) => this.#request(a.streamId, a.events, a.options));
    if (requests.length === 0) return [];
    const planned = this.#chainBatch(requests);
    let results: AppendResult[] | null = null;
    if (planned) {
      try {
        results = await inTransaction(this.#pool, async (client) => {
          const { rows } = await client.query<BatchRow>({
            name: 'gongwen_append_batch',
            text: APPEND_BATCH_SQL,
            values: [
              JSON.stringify(planned.map(({ request, base, chained }) => batchElement(request.envelope, base, chained))),
            ],
          });
          if (rows.length !== planned.length || rows.some((r) => r.outcome !== 'appended')) throw new BatchNotWhole();
          return planned.map(({ request, chained }, i) => recordedEvents(request.envelope.streamId, chained, rows[i]!));
        });
      } catch (error) {
        if (!(error instanceof BatchNotWhole) && !isFeedOrderRefusal(error)) throw error;
      }
    }
    if (results) {
      for (const r of results) this.#tips.remember(r.streamId, { revision: r.revision, lastHash: r.events.at(-1)!.hash });
    } else {
      results = [];
      for (const request of requests) results.push(await this.#append(this.#pool, request, true));
    }
    if (results.some((r) => !r.duplicate)) {
      this.#wakeSubscriptions();
      if (results.some((r) => !r.duplicate && !this.#announcedBy.has(r))) this.#announce();
    }
    return results;
  }

  /**
   * The same append on a client the caller holds, typically inside its own BEGIN … COMMIT (tests
   * that hold a transaction open; callers that must write something else atomically with the
   * events). The stream-tip cache is left alone, since the caller may still roll back; the
   * notification is part of the transaction and goes out when the caller commits.
   *
   * The feed orders by transaction id, so a transaction that took its id before the stream's tip
   * was written cannot append to that stream: gongwen_append refuses (FeedOrderError) rather than
   * put the stream's events out of order, and the caller's transaction is aborted.
   */
  async appendWithin(client: pg.ClientBase, streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    try {
      return await this.#append(client, this.#request(streamId, events, options), false);
    } catch (error) {
      throw isFeedOrderRefusal(error) ? new FeedOrderError(streamId) : error;
    }
  }

  async readStream(streamId: string): Promise<StreamRead> {
    const { rows } = await this.#pool.query<EventRow>({ name: 'gongwen_read_stream', text: READ_STREAM_SQL, values: [streamId] });
    const events = rows.map((row) => this.#toRecorded(row));
    const last = events.at(-1);
    if (last) this.#tips.remember(streamId, { revision: last.revision, lastHash: last.hash });
    return { streamId, revision: last ? last.revision : null, events };
  }

  async readAll(from: FeedPosition | null, limit: number, opts: FeedReadOptions = {}): Promise<FeedPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`readAll limit must be a positive integer, got ${limit}`);
    const point = decodeFeedPosition(from);
    const { rows } = await this.#pool.query<FeedRow>({
      name: 'gongwen_read_all',
      text: READ_ALL_SQL,
      values: [point.transactionId, point.globalPosition, limit],
      rowMode: 'array',
    });
    const prove = opts.proveHashes === true;
    const events = rows.map((row) => this.#fromFeedRow(row, prove));
    return { events, position: events.at(-1)?.position ?? from };
  }

  /** `batchSize`: events per read (default: the store's subscriptionBatchSize). */
  subscribeAll(from: FeedPosition | null, opts: { batchSize?: number } & FeedReadOptions = {}): FeedSubscription {
    if (this.#closed) throw new Error('event store is closed');
    decodeFeedPosition(from); // a bad position fails here, not on the first read
    const readOptions: FeedReadOptions = { proveHashes: opts.proveHashes };
    const subscription = new FeedSubscription(
      {
        readPage: (position, limit) => this.readAll(position, limit, readOptions),
        pollIntervalMs: this.#pollIntervalMs,
        batchSize: opts.batchSize ?? this.#batchSize,
        onClose: (s) => this.#subscriptions.delete(s),
      },
      from,
    );
    this.#subscriptions.add(subscription);
    this.#ensureListener();
    return subscription;
  }

  async backlog(from: FeedPosition | null): Promise<FeedBacklog> {
    const point = decodeFeedPosition(from);
    const { rows } = await this.#pool.query<{ events: string; oldest: string | null }>(BACKLOG_SQL, [point.transactionId, point.globalPosition]);
    return { events: Number(rows[0]!.events), oldestRecordedAt: rows[0]!.oldest };
  }

  /**
   * Waits until every transaction running on the server when it was called has ended, so that a
   * readAll afterwards shows everything committed before the call. The feed hides commits behind
   * any older open transaction (in any database of the cluster); callers that need "all I have
   * appended so far", such as a synchronous catch-up in tests or the CLI, call this first.
   * Throws when the horizon has not moved past that point within `timeoutMs`.
   */
  async awaitVisible(timeoutMs = 30_000): Promise<void> {
    const { rows } = await this.#pool.query<{ horizon: string }>(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon',
    );
    const horizon = rows[0]!.horizon;
    const deadline = Date.now() + timeoutMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      const { rows: reached } = await this.#pool.query<{ done: boolean }>({
        name: 'gongwen_feed_reached',
        text: 'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS done',
        values: [horizon],
      });
      if (reached[0]!.done) return;
      if (Date.now() > deadline) {
        throw new Error(`the event feed did not pass transaction ${horizon} within ${timeoutMs} ms: a transaction is being held open`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async findCommand(commandId: string): Promise<AppendResult | null> {
    const first = await this.#findCommand(this.#pool, commandId);
    if (!first) return null;
    return {
      streamId: first.stream_id,
      revision: first.last_revision,
      events: await this.#readRange(this.#pool, first.stream_id, first.first_revision, first.last_revision),
      duplicate: true,
      commandHash: first.command_hash,
    };
  }

  async findCommandSteps(commandId: string): Promise<AppendResult[]> {
    const { rows } = await this.#pool.query<CommandRow>({ name: 'gongwen_find_command_steps', text: FIND_COMMAND_STEPS_SQL, values: [`${commandId}/`, `${commandId}0`] });
    const steps = await Promise.all(
      rows.map(async (row) => ({
        streamId: row.stream_id,
        revision: row.last_revision,
        events: await this.#readRange(this.#pool, row.stream_id, row.first_revision, row.last_revision),
        duplicate: true,
        commandHash: row.command_hash,
      })),
    );
    return steps.sort((a, b) => (a.events[0]?.globalPosition ?? 0) - (b.events[0]?.globalPosition ?? 0));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const subscription of [...this.#subscriptions]) await subscription.close();
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    await this.#listenerStarting;
    await this.#announcing;
    const listener = this.#listener;
    this.#listener = null;
    // Destroyed, not returned: a pooled connection must not keep listening for its next borrower.
    listener?.release(true);
  }

  // ---- append -------------------------------------------------------------------------------

  /** Starts flights while there are free ones and appends waiting whose stream is not in flight. */
  #takeOff(): void {
    while (this.#flights < this.#maxFlights && this.#waiting.length > 0) {
      const group = this.#board();
      if (group.length === 0) return; // every waiting append's stream is in flight: its flight's landing calls again
      this.#flights++;
      for (const w of group) this.#flying.add(w.request.envelope.streamId);
      void this.#fly(group)
        // Anything unforeseen fails the appends not yet answered (a settled promise ignores it), never leaves them hanging.
        .catch((error: unknown) => group.forEach((w) => w.reject(error)))
        .finally(() => {
          this.#flights--;
          for (const w of group) this.#flying.delete(w.request.envelope.streamId);
          this.#takeOff();
          const landed = this.#onLanding;
          this.#onLanding = [];
          for (const f of landed) f();
        });
    }
  }

  /**
   * The next group, in arrival order: at most one append per stream and none for a stream in
   * flight, so each chains from the tip its predecessor left (the others keep their places).
   */
  #board(): Waiting[] {
    const group: Waiting[] = [];
    const streams = new Set<string>();
    const left: Waiting[] = [];
    for (const w of this.#waiting) {
      const { streamId } = w.request.envelope;
      if (group.length < MAX_GROUP && !streams.has(streamId) && !this.#flying.has(streamId)) {
        group.push(w);
        streams.add(streamId);
      } else left.push(w);
    }
    this.#waiting = left;
    return group;
  }

  /**
   * One flight. Alone, an append is gongwen_append's one round trip. A group goes as one
   * statement of gongwen_append_batch (migration 190) outside any BEGIN, so it is one transaction
   * and one commit for all, and its answer arrives only after that commit. The function appends
   * in order and stops at the first refusal; that statement then commits the appends before the
   * refusal (each is whole: it would have been appended alone too) and nothing of the refused one
   * (a duplicate writes nothing, a conflict gives its command id back). The refused append and
   * those after it, and every append of a group whose statement failed (rolled back whole), are
   * then made alone, each through append's own path: so each gets the outcome it would alone.
   * (A connection lost after the group's commit but before its answer: the appends made alone
   * find their commands and answer with that first outcome, as a client's retry would.)
   */
  async #fly(group: Waiting[]): Promise<void> {
    const alone = (w: Waiting) => this.#append(this.#pool, w.request, true).then(w.resolve, w.reject);
    const planned: { waiting: Waiting; base: StreamTip; chained: ChainedEvent[] }[] = [];
    const unplanned: Waiting[] = [];
    for (const waiting of group) {
      const { request } = waiting;
      // No tip known to chain from (a cold cache, an expectation the cache does not meet): alone, which probes.
      const base = group.length > 1 ? this.#initialBase(request.envelope.streamId, request.expected) : null;
      if (!base) unplanned.push(waiting);
      else {
        try {
          planned.push({ waiting, base, chained: chainEvents(this.#macKey, base, request.prepared, request.envelope) });
        } catch (error) {
          waiting.reject(error);
        }
      }
    }
    if (planned.length === 1) unplanned.push(planned.pop()!.waiting);
    const settled: Promise<void>[] = unplanned.map(alone);
    if (planned.length > 0) {
      let rows: BatchRow[] | null = null;
      try {
        ({ rows } = await this.#pool.query<BatchRow>({
          name: 'gongwen_append_batch',
          text: APPEND_BATCH_SQL,
          values: [JSON.stringify(planned.map(({ waiting, base, chained }) => batchElement(waiting.request.envelope, base, chained)))],
        }));
      } catch {
        // Rolled back whole (an append's own fault, such as a reused event id, or a lost connection): each alone.
      }
      let landed = 0;
      for (const row of rows ?? []) {
        if (row.outcome !== 'appended') break;
        const { waiting, chained } = planned[landed]!;
        const result = recordedEvents(waiting.request.envelope.streamId, chained, row);
        this.#tips.remember(result.streamId, { revision: result.revision, lastHash: chained.at(-1)!.hash });
        waiting.resolve(result);
        landed++;
      }
      settled.push(...planned.slice(landed).map(({ waiting }) => alone(waiting)));
    }
    await Promise.all(settled);
  }

  #request(streamId: string, events: NewEvent[], options: AppendOptions): AppendRequest {
    // Not spread into the literal: see recordedEvents.
    const { expected, prepared, envelope } = prepareAppend(this.#registry, this.#clock(), streamId, events, options);
    return { options, expected, prepared, envelope };
  }

  /**
   * Optimistic rounds: chain from the tip we believe in, let the function check it, and on a
   * 'conflict' answer either refresh (the expectation still holds) or report the conflict.
   * `lockTip` takes the tip with SELECT … FOR UPDATE first (inside the caller's transaction).
   */
  async #append(db: Queryable, request: AppendRequest, ownsCache: boolean, lockTip = false): Promise<AppendResult> {
    const { streamId } = request.envelope;
    const { expected } = request;
    let base = lockTip ? await this.#lockTip(db, request) : this.#initialBase(streamId, expected);
    let actual: number | null = null;
    for (let round = 0; round <= MAX_TIP_REFRESHES; round++) {
      const outcome = await this.#attempt(db, request, base, ownsCache);
      if ('events' in outcome) return outcome;
      const tip = outcome.tip;
      actual = tip ? tip.revision : null;
      if (ownsCache) this.#tips.set(streamId, tip);
      if (!lockTip && round >= 1 && (expected === 'any' || expected === 'stream_exists')) {
        // Writers without a fixed expectation keep overtaking each other on a busy stream; rather
        // than retry at random, queue on the stream's row lock, where each one's turn is certain.
        return ownsCache ? this.#appendUnderLock(request) : this.#append(db, request, false, true);
      }
      base = lockTip ? await this.#lockTip(db, request) : nextBase(streamId, expected, tip);
    }
    throw new ConcurrencyError(streamId, expected, actual);
  }

  async #appendUnderLock(request: AppendRequest): Promise<AppendResult> {
    let result: AppendResult;
    for (let attempt = 1; ; attempt++) {
      try {
        result = await inTransaction(this.#pool, (client) => this.#append(client, request, false, true));
        break;
      } catch (error) {
        // SELECT … FOR UPDATE takes the transaction id before it queues on the row lock, so the
        // writer it queued behind may hold a younger one: a fresh transaction takes a fresh id.
        if (!isFeedOrderRefusal(error) || attempt >= MAX_TIP_REFRESHES) throw error;
      }
    }
    const last = result.events.at(-1);
    if (!result.duplicate && last) this.#tips.remember(result.streamId, { revision: last.revision, lastHash: last.hash });
    return result;
  }

  async #lockTip(db: Queryable, request: AppendRequest): Promise<StreamTip> {
    const { rows } = await db.query<{ revision: number; last_hash: string }>({
      name: 'gongwen_lock_tip',
      text: LOCK_TIP_SQL,
      values: [request.envelope.streamId],
    });
    const row = rows[0];
    return nextBase(request.envelope.streamId, request.expected, row ? { revision: row.revision, lastHash: row.last_hash } : null);
  }

  /** One call of gongwen_append: the result, or the actual tip when the function saw a conflict. */
  async #attempt(db: Queryable, request: AppendRequest, base: StreamTip | null, ownsCache: boolean): Promise<AppendResult | { tip: StreamTip | null }> {
    const { prepared, envelope } = request;
    const chained = base ? chainEvents(this.#macKey, base, prepared, envelope) : null;
    // In the caller's own transaction the NOTIFY rides along always (it goes out at the caller's
    // commit); on the pool, only when one is due (see #carryAnnouncement), and never on a probe.
    const carries = ownsCache ? chained !== null && this.#carryAnnouncement() : this.#notify;
    let appended = false;
    try {
      const outcome = await this.#call(db, request, base, chained, carries, ownsCache);
      appended = 'events' in outcome && !outcome.duplicate;
      if (appended && carries && ownsCache) this.#announcedBy.add(outcome as AppendResult);
      return outcome;
    } finally {
      // What the carried NOTIFY was to cover must still be announced, by the announcer's own.
      if (carries && ownsCache && !appended) this.#announce();
    }
  }

  async #call(
    db: Queryable,
    request: AppendRequest,
    base: StreamTip | null,
    chained: ChainedEvent[] | null,
    notify: boolean,
    ownsCache: boolean,
  ): Promise<AppendResult | { tip: StreamTip | null }> {
    const { envelope } = request;
    const { rows } = await db.query<AppendRow>({
      name: 'gongwen_append',
      text: APPEND_SQL,
      values: [
        envelope.streamId,
        base ? base.revision : null,
        base ? base.lastHash : null,
        envelope.commandId,
        envelope.commandHash,
        JSON.stringify(envelope.actor),
        envelope.correlationId,
        envelope.causationId,
        envelope.recordedAt,
        chained ? JSON.stringify(eventRows(chained)) : '[]',
        notify,
      ],
    });
    const row = rows[0];
    if (!row) throw new Error('gongwen_append returned no row');

    if (row.outcome === 'duplicate') {
      return this.#asDuplicate(envelope.streamId, request.options, {
        command_hash: row.command_hash,
        stream_id: row.command_stream_id!,
        first_revision: row.first_revision!,
        last_revision: row.last_revision!,
      }, db);
    }
    if (row.outcome === 'appended' && chained) {
      const result = recordedEvents(envelope.streamId, chained, row);
      if (ownsCache) this.#tips.remember(envelope.streamId, { revision: result.revision, lastHash: chained.at(-1)!.hash });
      return result;
    }
    // 'conflict': our view of the tip was missing, stale or lost a race.
    return { tip: row.stream_revision === null ? null : { revision: row.stream_revision, lastHash: row.stream_last_hash! } };
  }

  /** Each append of a batch chained from the tip before it (the batch's own, else the cache); null when one cannot be. */
  #chainBatch(requests: AppendRequest[]): { request: AppendRequest; base: StreamTip; chained: ChainedEvent[] }[] | null {
    const tips = new Map<string, StreamTip>();
    const planned = [];
    for (const request of requests) {
      const { streamId } = request.envelope;
      const inBatch = tips.get(streamId);
      let base: StreamTip | null;
      if (inBatch) {
        try {
          base = nextBase(streamId, request.expected, inBatch);
        } catch {
          return null; // the expectation fails against the batch itself: one by one, so it is reported as alone
        }
      } else base = this.#initialBase(streamId, request.expected);
      if (!base) return null;
      const chained = chainEvents(this.#macKey, base, request.prepared, request.envelope);
      const last = chained.at(-1)!;
      tips.set(streamId, { revision: last.revision, lastHash: last.hash });
      planned.push({ request, base, chained });
    }
    return planned;
  }

  #initialBase(streamId: string, expected: ExpectedRevision): StreamTip | null {
    if (expected === 'no_stream') return NEW_STREAM;
    const cached = this.#tips.get(streamId);
    if (typeof expected === 'number') return cached?.revision === expected ? cached : null;
    // 'any' and 'stream_exists' chain from the cached tip; without one, the first call probes.
    return cached ?? null;
  }

  async #asDuplicate(streamId: string, options: AppendOptions, first: CommandRow, db: Queryable = this.#pool): Promise<AppendResult> {
    // The same key for another stream or another fingerprint is a different command, not a retry.
    if (first.stream_id !== streamId || (first.command_hash ?? null) !== (options.commandHash ?? null)) {
      throw new CommandIdReusedError(options.commandId);
    }
    return {
      streamId,
      revision: first.last_revision,
      events: await this.#readRange(db, streamId, first.first_revision, first.last_revision),
      duplicate: true,
      commandHash: first.command_hash,
    };
  }

  // ---- reads --------------------------------------------------------------------------------

  async #findCommand(db: Queryable, commandId: string): Promise<CommandRow | null> {
    const { rows } = await db.query<CommandRow>({ name: 'gongwen_find_command', text: FIND_COMMAND_SQL, values: [commandId] });
    return rows[0] ?? null;
  }

  async #readRange(db: Queryable, streamId: string, first: number, last: number): Promise<RecordedEvent[]> {
    const { rows } = await db.query<EventRow>({ name: 'gongwen_read_range', text: READ_RANGE_SQL, values: [streamId, first, last] });
    return rows.map((row) => this.#toRecorded(row));
  }

  /**
   * A feed row as an event. With `prove`, the row's hash is recomputed from its stored fields and
   * its MAC with the ledger key: a row that passes both, at its type's current schema version, is
   * byte for byte what the append path wrote, and that path hashes only a payload and an actor the
   * schemas have parsed (prepareAppend in event-envelope.ts). The schemas only check, trim and drop
   * unknown keys, so parsing such a payload again gives it back unchanged: its payload and actor are
   * taken as stored, without zod (7 % of a rebuild's Node time, profiled), and the event is marked
   * proven for the audit model, which would otherwise hash it again. Every other row — altered,
   * forged, un-MACed, an older version to upcast, or read without `prove` — is parsed as before.
   */
  #fromFeedRow(row: FeedRow, prove: boolean): RecordedEvent {
    const type = row[5];
    const schemaVersion = row[6];
    const streamId = row[2];
    const revision = Number(row[3]);
    const globalPosition = Number(row[0]);
    const prevHash = row[14];
    const hash = row[15];
    const mac = row[16];
    const rawData = JSON.parse(row[7]) as unknown;
    const rawActor = (prove ? this.#actors.of(row[8]) : JSON.parse(row[8])) as Actor;
    const proven =
      prove &&
      this.#registry.definition(type)?.schemaVersion === schemaVersion &&
      HEX64.test(prevHash) &&
      HEX64.test(hash) &&
      this.#hashes(prevHash, hash, row, streamId, revision, rawActor, rawData) &&
      eventMac(this.#macKey, hash) === mac;
    let data = rawData;
    let actor = rawActor;
    if (!proven) {
      const where = `${streamId}@${revision}`;
      try {
        data = this.#registry.parse(type, schemaVersion, rawData).data;
      } catch (error) {
        if (error instanceof EventSchemaError) throw new InvalidEventError(type, where, error.issues);
        throw error;
      }
      const parsed = Actor.safeParse(rawActor);
      if (!parsed.success) throw new InvalidEventError(type, where, `actor: ${formatIssues(parsed.error)}`);
      actor = parsed.data;
    }
    const event: RecordedEvent = {
      eventId: row[4],
      type,
      schemaVersion,
      streamId,
      revision,
      globalPosition,
      position: encodeFeedPosition(row[1], globalPosition),
      occurredAt: this.#times.of(row[9]),
      recordedAt: this.#times.of(row[10]),
      actor,
      commandId: row[11],
      correlationId: row[12],
      causationId: row[13],
      data,
      prevHash,
      hash,
      mac,
    };
    if (proven) markHashProven(event);
    return event;
  }

  /** Whether the row's stored hash is the hash of its stored fields (false when it cannot be computed). */
  #hashes(prevHash: string, hash: string, row: FeedRow, streamId: string, revision: number, actor: Actor, data: unknown): boolean {
    try {
      return eventRowHash(prevHash, row, streamId, revision, actor, data) === hash;
    } catch {
      return false;
    }
  }

  #toRecorded(row: EventRow): RecordedEvent {
    const where = `${row.stream_id}@${row.revision}`;
    let data: unknown;
    try {
      data = this.#registry.parse(row.type, row.schema_version, row.data).data;
    } catch (error) {
      if (error instanceof EventSchemaError) throw new InvalidEventError(row.type, where, error.issues);
      throw error;
    }
    const actor = Actor.safeParse(row.actor);
    if (!actor.success) throw new InvalidEventError(row.type, where, `actor: ${formatIssues(actor.error)}`);
    return {
      eventId: row.event_id,
      type: row.type,
      schemaVersion: row.schema_version,
      streamId: row.stream_id,
      revision: row.revision,
      globalPosition: row.global_position,
      position: encodeFeedPosition(row.txid, row.global_position),
      occurredAt: row.occurred_at,
      recordedAt: row.recorded_at,
      actor: actor.data,
      commandId: row.command_id,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      data,
      prevHash: row.prev_hash,
      hash: row.hash,
      mac: row.mac,
    };
  }

  // ---- wake-ups -----------------------------------------------------------------------------

  /**
   * Whether a lone append about to leave carries the NOTIFY in its own statement
   * (gongwen_append's p_notify): yes when one is due, that is when none went out for
   * ANNOUNCE_GAP_MS. PostgreSQL serialises the commits of all notifying transactions on one lock
   * (held through the WAL flush), so a NOTIFY in every append would cost concurrent writers their
   * group commit; one in at most one append per gap costs no one a wait, and saves the NOTIFY's
   * own round trip (at one writer 0.15–0.66 statements per append, the longer the append the more). Its commit
   * also covers every commit that landed before it left, so what the announcer was waiting to
   * announce is taken over; an append that then does not append hands it back (#attempt).
   */
  #carryAnnouncement(): boolean {
    if (!this.#notify || this.#closed) return false;
    const now = Date.now();
    if (now < this.#lastAnnounceAt + ANNOUNCE_GAP_MS) return false;
    this.#lastAnnounceAt = now;
    this.#announceWanted = false;
    return true;
  }

  /**
   * Tells other processes' subscribers that a commit not carrying its own NOTIFY landed. Not from
   * inside every append transaction (see #carryAnnouncement): one NOTIFY at a time, at most one
   * per ANNOUNCE_GAP_MS, so under load many appends share one notification. When it is due while
   * an append is in flight, the announcer first waits for a flight to land: the next lone append
   * then carries it, costing no statement of its own. So a subscriber hears of every commit within
   * that gap, or a flight later.
   */
  #announce(): void {
    if (!this.#notify || this.#closed) return;
    this.#announceWanted = true;
    if (this.#announcing) return;
    this.#announcing = (async () => {
      try {
        let deferred = false;
        while (this.#announceWanted) {
          const wait = this.#lastAnnounceAt + ANNOUNCE_GAP_MS - Date.now();
          if (wait > 0) {
            // Again after the sleep: an append may have carried it meanwhile.
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          if (this.#flights > 0 && !deferred) {
            // Once only: under a steady stream of groups (which carry none) it goes out a flight later.
            deferred = true;
            await new Promise<void>((resolve) => this.#onLanding.push(resolve));
            // The landed append's caller sends its next one in the same turn: let it leave first.
            await new Promise((resolve) => setImmediate(resolve));
            continue;
          }
          deferred = false;
          this.#announceWanted = false;
          this.#lastAnnounceAt = Date.now();
          await this.#pool.query({ name: 'gongwen_notify', text: NOTIFY_SQL });
        }
      } catch {
        // Subscribers elsewhere fall back to their poll; the appends themselves have succeeded.
      } finally {
        this.#announcing = null;
      }
    })();
  }

  #wakeSubscriptions(): void {
    for (const subscription of this.#subscriptions) subscription.wake();
  }

  /** One LISTEN connection per store, started with the first subscription and kept until close. */
  #ensureListener(): void {
    if (this.#closed || this.#listener || this.#listenerStarting) return;
    this.#listenerStarting = (async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.#pool.connect();
        const own = client;
        own.on('notification', (message) => {
          if (message.channel === EVENTS_CHANNEL) this.#wakeSubscriptions();
        });
        own.on('error', () => this.#listenerLost(own));
        own.on('end', () => this.#listenerLost(own));
        await own.query(`LISTEN ${EVENTS_CHANNEL}`);
        if (this.#closed) {
          own.release(true);
          return;
        }
        this.#listener = own;
        this.#listenerFailures = 0;
        // Commits may have been announced while nobody listened.
        this.#wakeSubscriptions();
      } catch {
        client?.release(true);
        this.#scheduleListenerRetry();
      } finally {
        this.#listenerStarting = null;
      }
    })();
  }

  #listenerLost(client: pg.PoolClient): void {
    if (this.#listener !== client) return;
    this.#listener = null;
    client.release(true);
    // Until it is back, the subscriptions' poll timer keeps them moving.
    this.#scheduleListenerRetry();
  }

  #scheduleListenerRetry(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = Math.min(250 * 2 ** this.#listenerFailures++, 5_000);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#ensureListener();
    }, delay);
    this.#reconnectTimer.unref();
  }
}

/** The events as gongwen_append takes them (p_events). */
function eventRows(chained: ChainedEvent[]) {
  return chained.map((e) => ({
    event_id: e.eventId,
    type: e.type,
    schema_version: e.schemaVersion,
    data: e.data,
    occurred_at: e.occurredAt,
    hash: e.hash,
    mac: e.mac,
  }));
}

/** One append as gongwen_append_batch takes it (p_appends). */
function batchElement(e: Envelope, base: StreamTip, chained: ChainedEvent[]) {
  return {
    stream_id: e.streamId,
    base_revision: base.revision,
    base_hash: base.lastHash,
    command_id: e.commandId,
    command_hash: e.commandHash,
    actor: e.actor,
    correlation_id: e.correlationId,
    causation_id: e.causationId,
    recorded_at: e.recordedAt,
    events: eventRows(chained),
  };
}

/** The appended events with their places in the feed, from gongwen_append's answer. */
function recordedEvents(streamId: string, chained: ChainedEvent[], row: Pick<AppendRow, 'global_positions' | 'transaction_id'>): AppendResult {
  // int8[] arrives as text (only scalar int8 has a parser installed).
  const positions = row.global_positions!.map(Number);
  const txid = row.transaction_id!;
  // Written out, not spread ({ ...e, globalPosition, position }): V8 copies a spread with more keys
  // after it the slow way, 31 µs for five events against 0.6 written out (measured).
  const events = chained.map(
    (e, i): RecordedEvent => ({
      eventId: e.eventId,
      type: e.type,
      schemaVersion: e.schemaVersion,
      streamId: e.streamId,
      revision: e.revision,
      globalPosition: positions[i]!,
      position: encodeFeedPosition(txid, positions[i]!),
      occurredAt: e.occurredAt,
      recordedAt: e.recordedAt,
      actor: e.actor,
      commandId: e.commandId,
      correlationId: e.correlationId,
      causationId: e.causationId,
      data: e.data,
      prevHash: e.prevHash,
      hash: e.hash,
      mac: e.mac,
    }),
  );
  return { streamId, revision: events.at(-1)!.revision, events, duplicate: false };
}

/** A batch the database did not append whole: rolled back, then appended one by one. */
class BatchNotWhole extends Error {}

/**
 * An append inside a transaction that took its id before the stream's last event was written:
 * the feed (ordered by transaction id) would replay the new events before their predecessor.
 */
export class FeedOrderError extends Error {
  constructor(readonly streamId: string) {
    super(`stream ${streamId}: this transaction is older than the one that wrote the stream's last event; append in a fresh transaction`);
    this.name = 'FeedOrderError';
  }
}

/** gongwen_append's refusal to append behind a younger transaction (migration 020). */
function isFeedOrderRefusal(error: unknown): boolean {
  const e = error as { code?: string; hint?: string };
  return e?.code === '40001' && e.hint === 'gongwen-feed-order';
}
