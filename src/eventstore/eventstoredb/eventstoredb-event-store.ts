import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { EventSchemaError, formatIssues, type EventRegistry } from '../../../schemas/registry.ts';
import { eventHash, eventMac, GENESIS_HASH } from '../../integrity/event-hash.ts';
import {
  CommandIdReusedError,
  ConcurrencyError,
  InvalidEventError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type FeedBacklog,
  type FeedPage,
  type FeedPosition,
  type NewEvent,
  type RecordedEvent,
  type StreamRead,
} from '../port.ts';
import { chainEvents, NEW_STREAM, nextBase, prepareAppend, type ChainedEvent } from '../event-envelope.ts';
import { StreamTipCache, type StreamTip } from '../stream-tip-cache.ts';
import { AllSubscription } from './all-subscription.ts';
import {
  COMMAND_ABANDONED,
  COMMAND_PLANNED,
  COMMAND_STEP_NOTED,
  CommandPlanned,
  CommandStepNoted,
  commandStepsStream,
  commandStream,
  LedgerEventMetadata,
  parentCommandId,
  type PlannedEvent,
} from './event-metadata.ts';
import { decodeEsdbPosition, encodeEsdbPosition, samePosition, type EsdbPosition } from './feed-position.ts';

export interface EventStoreDbStoreOptions {
  /** `esdb://host:2113?tls=false` …; or a client the caller owns (then close() leaves it open). */
  url?: string;
  client?: EventStoreDBClient;
  registry: EventRegistry;
  macKey: Buffer;
  /**
   * Stream-name prefixes of the ledger's streams (`document-`, …). $all is read and subscribed to
   * through them, so system streams and the adapter's command records never reach a reader.
   */
  categories: readonly string[];
  clock?: () => Date;
  /** Pause before a dropped subscription is opened again from its last event. */
  resubscribeDelayMs?: number;
}

/** One event of `auditAll`: the event, or why it failed its checks, at its place in $all. */
export interface AuditedEvent {
  eventId: string;
  streamId: string;
  revision: number;
  position: FeedPosition;
  /** The commit position as a number (exact below 2^53), for ordering findings. */
  globalPosition: number;
  event: RecordedEvent | null;
  invalid: InvalidEventError | null;
}

/** Rounds of plan → append → (conflict) before giving up; each round re-reads the truth. */
const MAX_ROUNDS = 12;
/** Events read per round trip of readAll (the ledger's filter is applied on this side). */
const ALL_CHUNK = 512;

interface CommandState {
  /** Revision of the command stream's last record (null: no record). */
  revision: number | null;
  /** The plan in force: written and not abandoned. */
  plan: CommandPlanned | null;
}

/**
 * The EventStoreDB adapter of the event store port, over the real gRPC protocol of
 * `@eventstore/db-client` (README, "EventStoreDB as the event store").
 *
 * One EventStoreDB write is atomic for one stream only, so an append is two writes:
 *  1. `CommandPlanned` on the command's own stream `gongwen_command-<commandId>`, with expected
 *     revision "no stream" (or the revision after an abandoned plan): the idempotency claim, and
 *     the complete events (ids, data, envelope, hashes, MACs, the revision they chain on);
 *  2. those events on the target stream, with the exact expected revision they were chained on.
 * Whoever finds a plan — a retry of the command, a concurrent duplicate, findCommand — looks at the
 * target stream at base+1: the plan's first event id there means the command is done; an empty
 * place means it is finished with the plan's own events (the same bytes, at the same expected
 * revision, so two finishers cannot both succeed); another command's event there means the plan
 * can never be written, and it is closed with `CommandAbandoned` (expected revision checked, so
 * only one closer). A writer that dies between the writes thus leaves a plan that the next attempt
 * completes exactly once.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;
  readonly #ownsClient: boolean;
  readonly #registry: EventRegistry;
  readonly #macKey: Buffer;
  readonly #categories: readonly string[];
  readonly #clock: () => Date;
  readonly #resubscribeDelayMs: number;
  readonly #tips = new StreamTipCache();
  readonly #subscriptions = new Set<AllSubscription>();
  #closed = false;
  /** The ledger's events in $all up to `position`, as last counted (see backlog). */
  #feedCount: FeedBacklog & { position: EsdbPosition | null } = { position: null, events: 0, oldestRecordedAt: null };

  constructor(options: EventStoreDbStoreOptions) {
    if (options.client) this.#client = options.client;
    else if (options.url) this.#client = EventStoreDBClient.connectionString(options.url);
    else throw new TypeError('EventStoreDbEventStore needs a url or a client');
    this.#ownsClient = !options.client;
    this.#registry = options.registry;
    this.#macKey = options.macKey;
    if (options.categories.length === 0 || options.categories.some((c) => c.length === 0)) {
      throw new TypeError('EventStoreDbEventStore needs the non-empty stream-name prefixes of the ledger');
    }
    this.#categories = [...options.categories];
    this.#clock = options.clock ?? (() => new Date());
    this.#resubscribeDelayMs = options.resubscribeDelayMs ?? 500;
  }

  // ---- append -------------------------------------------------------------------------------

  async append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    // Validation before anything is written: a refused batch does not use up its commandId.
    const { expected, prepared, envelope } = prepareAppend(this.#registry, this.#clock(), streamId, events, options);
    if (!this.isLedgerStream(streamId)) throw new TypeError(`stream ${streamId} is outside the ledger's categories (${this.#categories.join(', ')})`);
    const { commandHash } = envelope;

    let command: CommandState = { revision: null, plan: null };
    let commandRead = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (command.plan) {
        if (command.plan.streamId !== streamId || command.plan.commandHash !== commandHash) throw new CommandIdReusedError(options.commandId);
        const settled = await this.#settle(options.commandId, command);
        if (settled) return settled;
        command = await this.#readCommand(options.commandId);
        commandRead = true;
        continue;
      }
      const tip = await this.#tipFor(streamId, expected);
      let base: StreamTip;
      try {
        base = nextBase(streamId, expected, tip); // a failed expectation is refused before anything is written
      } catch (error) {
        // …unless it is this very command, already done, that moved the stream on.
        if (!(error instanceof ConcurrencyError) || commandRead) throw error;
        command = await this.#readCommand(options.commandId);
        commandRead = true;
        if (command.plan) continue;
        throw error;
      }
      const plan: CommandPlanned = { streamId, commandHash, baseRevision: base.revision, events: chainEvents(this.#macKey, base, prepared, envelope).map((e) => plannedEvent(e, commandHash)) };
      const parent = command.revision === null ? parentCommandId(options.commandId) : null;
      if (parent) {
        await this.#client.appendToStream(commandStepsStream(parent), jsonEvent({ type: COMMAND_STEP_NOTED, data: { stepCommandId: options.commandId } }), {
          expectedRevision: 'any',
        });
      }
      try {
        await this.#client.appendToStream(commandStream(options.commandId), jsonEvent({ type: COMMAND_PLANNED, data: plan }), {
          expectedRevision: command.revision === null ? 'no_stream' : BigInt(command.revision),
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // The command id is being (or was) used: look at what is there and settle it.
        command = await this.#readCommand(options.commandId);
        commandRead = true;
        continue;
      }
      command = { revision: (command.revision ?? -1) + 1, plan };
      const written = await this.#writePlan(plan);
      if (written) return { streamId, revision: written.at(-1)!.revision, events: written, duplicate: false };
      // Our place in the stream was taken: close the plan (unless someone else settled it) and
      // decide again on the stream as it is now.
      if (!(await this.#abandon(options.commandId, command))) {
        command = await this.#readCommand(options.commandId);
        commandRead = true;
        continue;
      }
      command = { revision: command.revision! + 1, plan: null };
      this.#tips.set(streamId, null);
    }
    throw new ConcurrencyError(streamId, expected, (await this.#readTip(streamId))?.revision ?? null);
  }

  /**
   * Copies one command's events from another store as they are — ids, envelope, times, hashes,
   * MACs — through the same plan-then-write protocol (`gongwen migrate-events`). They must continue
   * the target stream's chain exactly; the copy is refused otherwise, never re-chained.
   */
  async importCommand(events: RecordedEvent[], commandHash: string | null): Promise<RecordedEvent[]> {
    const first = events[0];
    if (!first) throw new TypeError('importCommand needs events');
    const tip = await this.#readTip(first.streamId);
    const base = tip ?? NEW_STREAM;
    events.forEach((e, i) => {
      if (e.streamId !== first.streamId || e.commandId !== first.commandId) throw new TypeError('importCommand takes the events of one command on one stream');
      const prev = i === 0 ? base.lastHash : events[i - 1]!.hash;
      if (e.revision !== base.revision + 1 + i || e.prevHash !== prev) {
        throw new Error(`${e.streamId}@${e.revision} does not continue the copied chain (at revision ${base.revision + i})`);
      }
    });
    const plan: CommandPlanned = {
      streamId: first.streamId,
      commandHash,
      baseRevision: base.revision,
      events: events.map((e) => plannedEvent(e, commandHash)),
    };
    await this.#client.appendToStream(commandStream(first.commandId), jsonEvent({ type: COMMAND_PLANNED, data: plan }), { expectedRevision: 'no_stream' });
    const written = await this.#writePlan(plan);
    if (!written) throw new Error(`stream ${first.streamId} moved while it was being copied`);
    return written;
  }

  /**
   * A plan found in force: its events are in the stream (the command is done: its first outcome),
   * or written now from the plan, or the plan is abandoned (null: the caller decides again).
   */
  async #settle(commandId: string, command: CommandState): Promise<AppendResult | null> {
    const plan = command.plan!;
    const done = await this.#planOutcome(plan);
    if (done) return done;
    const written = await this.#writePlan(plan);
    if (written) return { streamId: plan.streamId, revision: written.at(-1)!.revision, events: written, duplicate: true, commandHash: plan.commandHash };
    await this.#abandon(commandId, command);
    return null;
  }

  /** The plan's events as stored, when the stream holds them at their planned revisions. */
  async #planOutcome(plan: CommandPlanned): Promise<AppendResult | null> {
    const first = plan.baseRevision + 1;
    const stored = await this.#readRange(plan.streamId, first, plan.events.length);
    if (stored.length === plan.events.length && stored.every((e, i) => e.eventId === plan.events[i]!.eventId)) {
      return { streamId: plan.streamId, revision: stored.at(-1)!.revision, events: stored, duplicate: true, commandHash: plan.commandHash };
    }
    return null;
  }

  /** Writes a plan's events at their planned revision; null when that place is another command's. */
  async #writePlan(plan: CommandPlanned): Promise<RecordedEvent[] | null> {
    const expectedRevision: AppendExpectedRevision = plan.baseRevision < 0 ? 'no_stream' : BigInt(plan.baseRevision);
    let answer: Awaited<ReturnType<EventStoreDBClient['appendToStream']>>;
    try {
      answer = await this.#client.appendToStream(
        plan.streamId,
        plan.events.map((e) => jsonEvent({ id: e.eventId, type: e.type, data: e.data as Record<string, unknown>, metadata: e.metadata })),
        { expectedRevision },
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // A concurrent finisher of the same plan may have won the place: that is success too.
      const done = await this.#planOutcome(plan);
      if (done) return done.events;
      this.#tips.set(plan.streamId, null);
      return null;
    }
    const only = plan.events.length === 1 ? plan.events[0]! : null;
    if (only && answer.position && answer.nextExpectedRevision === BigInt(plan.baseRevision + 1)) {
      // One event: the answer's position is its own, so it is not read back (one round trip of
      // three; most commands append one event). The event is the plan's, as the read would show it.
      const recorded = fromPlan(plan.streamId, plan.baseRevision + 1, only, answer.position);
      this.#tips.remember(plan.streamId, { revision: recorded.revision, lastHash: recorded.hash });
      return [recorded];
    }
    // The append answers with the last event's position only; read the batch back for each one's.
    const stored = await this.#readRange(plan.streamId, plan.baseRevision + 1, plan.events.length);
    if (stored.length !== plan.events.length || !stored.every((e, i) => e.eventId === plan.events[i]!.eventId)) {
      throw new Error(`stream ${plan.streamId}: the events just appended are not where they were written`);
    }
    const last = stored.at(-1)!;
    this.#tips.remember(plan.streamId, { revision: last.revision, lastHash: last.hash });
    return stored;
  }

  /** Closes a plan; false when the command stream moved first (someone else settled it). */
  async #abandon(commandId: string, command: CommandState): Promise<boolean> {
    try {
      await this.#client.appendToStream(commandStream(commandId), jsonEvent({ type: COMMAND_ABANDONED, data: {} }), {
        expectedRevision: BigInt(command.revision!),
      });
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return false;
      throw error;
    }
  }

  async #readCommand(commandId: string): Promise<CommandState> {
    let revision: number | null = null;
    let plan: CommandPlanned | null = null;
    for (const resolved of await drain(this.#client.readStream(commandStream(commandId)))) {
      const e = resolved.event!;
      revision = Number(e.revision);
      if (e.type === COMMAND_PLANNED) {
        const parsed = CommandPlanned.safeParse(e.data);
        if (!parsed.success) throw new InvalidEventError(e.type, `${e.streamId}@${e.revision}`, formatIssues(parsed.error));
        plan = parsed.data;
      } else if (e.type === COMMAND_ABANDONED) plan = null;
    }
    return { revision, plan };
  }

  async findCommandSteps(commandId: string): Promise<AppendResult[]> {
    const stepIds = new Set<string>();
    for (const resolved of await drain(this.#client.readStream(commandStepsStream(commandId)))) {
      const parsed = CommandStepNoted.safeParse(resolved.event!.data);
      if (parsed.success) stepIds.add(parsed.data.stepCommandId);
    }
    const steps: AppendResult[] = [];
    for (const stepId of stepIds) {
      const step = await this.findCommand(stepId);
      if (step) steps.push(step);
    }
    return steps.sort((a, b) => (a.events[0]?.globalPosition ?? 0) - (b.events[0]?.globalPosition ?? 0));
  }

  async findCommand(commandId: string): Promise<AppendResult | null> {
    const command = await this.#readCommand(commandId);
    return command.plan ? this.#planOutcome(command.plan) : null;
  }

  /** The tip to chain on: the cached one when it can satisfy the expectation, else the stream's last event. */
  async #tipFor(streamId: string, expected: ExpectedRevision): Promise<StreamTip | null> {
    // A new stream is the usual case of 'no_stream': no read first; a wrong guess costs a conflict.
    if (expected === 'no_stream') return this.#tips.get(streamId) ?? null;
    const cached = this.#tips.get(streamId);
    if (cached && (typeof expected !== 'number' || cached.revision === expected)) return cached;
    return this.#readTip(streamId);
  }

  async #readTip(streamId: string): Promise<StreamTip | null> {
    const [last] = await drain(this.#client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
    if (!last) return null;
    const e = this.#toRecorded(last);
    const tip = { revision: e.revision, lastHash: e.hash };
    this.#tips.remember(streamId, tip);
    return tip;
  }

  // ---- reads --------------------------------------------------------------------------------

  async readStream(streamId: string): Promise<StreamRead> {
    const events = await this.#readRange(streamId, 0, Number.MAX_SAFE_INTEGER);
    const last = events.at(-1);
    if (last) this.#tips.remember(streamId, { revision: last.revision, lastHash: last.hash });
    return { streamId, revision: last ? last.revision : null, events };
  }

  /** Events from revision `first`, at most `count`, each checked and chained to the one before. */
  async #readRange(streamId: string, first: number, count: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for (const resolved of await drain(this.#client.readStream(streamId, { fromRevision: first === 0 ? START : BigInt(first), maxCount: count }))) {
      const e = this.#toRecorded(resolved);
      const before = events.at(-1);
      if (before && e.prevHash !== before.hash) {
        throw new InvalidEventError(e.type, `${streamId}@${e.revision}`, `prevHash does not link to revision ${before.revision}`);
      }
      if (e.revision === 0 && e.prevHash !== GENESIS_HASH) throw new InvalidEventError(e.type, `${streamId}@0`, 'the first event does not chain from the genesis hash');
      events.push(e);
    }
    return events;
  }

  async readAll(from: FeedPosition | null, limit: number): Promise<FeedPage> {
    const events = await this.#scanAll(from, limit, (resolved) => this.#toRecorded(resolved));
    return { events, position: events.at(-1)?.position ?? from };
  }

  /**
   * The ledger's events after `from` as readAll reads them, except that an event failing its
   * checks (schema, hash, MAC) comes as a finding in its place instead of ending the read, so
   * `gongwen verify` can report every one and walk on.
   */
  async auditAll(from: FeedPosition | null, limit: number): Promise<{ items: AuditedEvent[]; position: FeedPosition | null }> {
    const items = await this.#scanAll(from, limit, (resolved): AuditedEvent => {
      const raw = resolved.event!;
      const place = { eventId: raw.id, streamId: raw.streamId, revision: Number(raw.revision), position: encodeEsdbPosition(raw.position!), globalPosition: Number(raw.position!.commit) };
      try {
        return { ...place, event: this.#toRecorded(resolved), invalid: null };
      } catch (error) {
        if (error instanceof InvalidEventError) return { ...place, event: null, invalid: error };
        throw error;
      }
    });
    return { items, position: items.at(-1)?.position ?? from };
  }

  async #scanAll<T>(from: FeedPosition | null, limit: number, convert: (resolved: ResolvedEvent) => T): Promise<T[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`readAll limit must be a positive integer, got ${limit}`);
    const start = from === null ? null : decodeEsdbPosition(from);
    const out: T[] = [];
    let cursor = start;
    for (;;) {
      // The server reads $all from a position inclusively: the event at the cursor is skipped.
      let seen = 0;
      let moved = false;
      const chunk = Math.min(ALL_CHUNK, limit - out.length + 1);
      for (const resolved of await drain(this.#client.readAll({ fromPosition: cursor ?? START, maxCount: chunk }))) {
        seen++;
        const raw = resolved.event;
        if (!raw?.position) continue;
        if (cursor && samePosition(raw.position, cursor)) continue;
        cursor = raw.position;
        moved = true;
        if (!this.isLedgerStream(raw.streamId)) continue;
        out.push(convert(resolved));
        if (out.length >= limit) break;
      }
      if (out.length >= limit || seen < chunk || !moved) break;
    }
    return out;
  }

  subscribeAll(from: FeedPosition | null, opts: { batchSize?: number } = {}): AllSubscription {
    if (this.#closed) throw new Error('event store is closed');
    const start = from === null ? null : decodeEsdbPosition(from);
    const subscription = new AllSubscription({
      client: this.#client,
      prefixes: this.#categories,
      from: start,
      resubscribeDelayMs: this.#resubscribeDelayMs,
      batchSize: opts.batchSize ?? 500,
      convert: (resolved) => this.#toRecorded(resolved),
      onClose: (s) => this.#subscriptions.delete(s),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * EventStoreDB keeps no count of $all: the ledger's events after `from` are counted by reading
   * $all on from there (the events' envelopes are not decoded, only their stream names). The
   * count of the whole feed is kept from call to call, so `ledger.status()` reads only what was
   * appended since it last asked.
   */
  async backlog(from: FeedPosition | null): Promise<FeedBacklog> {
    if (from !== null) {
      const { events, oldestRecordedAt } = await this.#countAfter(decodeEsdbPosition(from));
      return { events, oldestRecordedAt };
    }
    const known = this.#feedCount;
    const more = await this.#countAfter(known.position);
    const total = { position: more.last ?? known.position, events: known.events + more.events, oldestRecordedAt: known.oldestRecordedAt ?? more.oldestRecordedAt };
    // Two callers may count side by side; the one that read further keeps its count.
    if (total.events >= this.#feedCount.events) this.#feedCount = total;
    return { events: total.events, oldestRecordedAt: total.oldestRecordedAt };
  }

  async #countAfter(start: EsdbPosition | null): Promise<FeedBacklog & { last: EsdbPosition | null }> {
    let cursor = start;
    let events = 0;
    let oldestRecordedAt: string | null = null;
    for (;;) {
      let seen = 0;
      for (const resolved of await drain(this.#client.readAll({ fromPosition: cursor ?? START, maxCount: ALL_CHUNK }))) {
        seen++;
        const raw = resolved.event;
        if (!raw?.position || (cursor && samePosition(raw.position, cursor))) continue;
        cursor = raw.position;
        if (!this.isLedgerStream(raw.streamId)) continue;
        events++;
        if (oldestRecordedAt === null) oldestRecordedAt = LedgerEventMetadata.safeParse(raw.metadata).data?.recordedAt ?? null;
      }
      if (seen < ALL_CHUNK) break;
    }
    return { events, oldestRecordedAt, last: cursor };
  }

  /** An acknowledged EventStoreDB append is already in $all: nothing to wait for. */
  async awaitVisible(): Promise<void> {}

  isLedgerStream(streamId: string): boolean {
    return this.#categories.some((c) => streamId.startsWith(c));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const s of [...this.#subscriptions]) await s.close();
    if (this.#ownsClient) await this.#client.dispose();
  }

  /**
   * One stored event as the port's RecordedEvent, refused (InvalidEventError, naming where) when
   * its data fails its schema, its envelope is malformed, its hash does not recompute or its MAC
   * was not made with the ledger's key: a forged append is never handed out.
   */
  #toRecorded(resolved: ResolvedEvent): RecordedEvent {
    const e = resolved.event;
    if (!e) throw new TypeError('EventStoreDB returned a link without its event (links are not used by the ledger)');
    const revision = Number(e.revision);
    const where = `${e.streamId}@${e.revision}`;
    if (!e.isJson) throw new InvalidEventError(e.type, where, 'not a JSON event');
    const meta = LedgerEventMetadata.safeParse(e.metadata);
    if (!meta.success) throw new InvalidEventError(e.type, where, `metadata: ${formatIssues(meta.error)}`);
    const m = meta.data;
    let data: unknown;
    try {
      data = this.#registry.parse(e.type, m.schemaVersion, e.data).data;
    } catch (error) {
      if (error instanceof EventSchemaError) throw new InvalidEventError(e.type, where, error.issues);
      throw error;
    }
    const position = e.position!;
    const recorded = fromPlan(e.streamId, revision, { eventId: e.id, type: e.type, data, metadata: m }, position);
    if (eventHash(m.prevHash, recorded) !== m.hash) throw new InvalidEventError(e.type, where, 'the hash does not recompute over the event (altered)');
    if (eventMac(this.#macKey, m.hash) !== m.mac) throw new InvalidEventError(e.type, where, 'the MAC was not made with the ledger key (forged)');
    return recorded;
  }
}

/** An event as the plan carries it and EventStoreDB stores it: the ledger's envelope in the metadata. */
function plannedEvent(e: ChainedEvent, commandHash: string | null): PlannedEvent {
  const metadata: LedgerEventMetadata = {
    schemaVersion: e.schemaVersion,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    commandId: e.commandId,
    commandHash,
    correlationId: e.correlationId,
    causationId: e.causationId,
    prevHash: e.prevHash,
    hash: e.hash,
    mac: e.mac,
  };
  return { eventId: e.eventId, type: e.type, data: e.data, metadata };
}

/** A planned event as written at `revision` and `position` (what #toRecorded makes of it when read). */
function fromPlan(streamId: string, revision: number, e: PlannedEvent, position: EsdbPosition): RecordedEvent {
  const m = e.metadata;
  return {
    eventId: e.eventId,
    type: e.type,
    schemaVersion: m.schemaVersion,
    streamId,
    revision,
    // A number for the port's sake; exact below 2^53 (9 PB of log). `position` is always exact.
    globalPosition: Number(position.commit),
    position: encodeEsdbPosition(position),
    occurredAt: m.occurredAt,
    recordedAt: m.recordedAt,
    actor: m.actor,
    commandId: m.commandId,
    correlationId: m.correlationId,
    causationId: m.causationId,
    data: e.data,
    prevHash: m.prevHash,
    hash: m.hash,
    mac: m.mac,
  };
}

/**
 * Every event of a read, to its end (a missing stream reads as none). Reads are always consumed
 * whole: a gRPC read left half-read stays open, and the client's dispose() waits for it forever.
 */
async function drain(read: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> {
  const out: ResolvedEvent[] = [];
  try {
    for await (const resolved of read) out.push(resolved);
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return out;
}
