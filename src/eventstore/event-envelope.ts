import { randomUUID } from 'node:crypto';
import { Actor } from '../../schemas/common.ts';
import { formatIssues, type EventRegistry } from '../../schemas/registry.ts';
import { eventHash, eventMac, GENESIS_HASH } from '../integrity/event-hash.ts';
import { ConcurrencyError, type AppendOptions, type ExpectedRevision, type NewEvent, type RecordedEvent } from './port.ts';
import type { StreamTip } from './stream-tip-cache.ts';

/**
 * What every adapter does to an append before it talks to its storage: check the arguments,
 * validate and normalise the events, and chain their hashes and MACs from the stream's tip. One
 * module, so the PostgreSQL and EventStoreDB stores hash exactly the same fields the same way.
 */

/** The tip a stream that does not exist yet chains from. */
export const NEW_STREAM: StreamTip = { revision: -1, lastHash: GENESIS_HASH };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The command's part of every event it appends. */
export interface Envelope {
  streamId: string;
  recordedAt: string;
  actor: Actor;
  commandId: string;
  commandHash: string | null;
  correlationId: string;
  causationId: string | null;
}

/** An event validated and normalised, before the store gives it a revision and hashes. */
export interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  occurredAt: string;
}

/** An event with its revision, hash and MAC: everything but its place in the feed. */
export type ChainedEvent = Omit<RecordedEvent, 'globalPosition' | 'position'>;

export interface PreparedAppend {
  expected: ExpectedRevision;
  prepared: PreparedEvent[];
  envelope: Envelope;
}

/**
 * Checks an append and prepares its events. Everything is refused here, before anything is
 * written: a refused batch does not use up its commandId.
 */
export function prepareAppend(registry: EventRegistry, now: Date, streamId: string, events: NewEvent[], options: AppendOptions): PreparedAppend {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('append needs a stream id');
  if (events.length === 0) throw new TypeError(`append to ${streamId} with no events: a command that changes nothing should not append`);
  const expected = checkExpectedRevision(options.expectedRevision);
  const parsedActor = Actor.safeParse(options.actor);
  if (!parsedActor.success) throw new TypeError(`append to ${streamId}: invalid actor: ${formatIssues(parsedActor.error)}`);
  const recordedAt = isoTimestamp(now, 'recordedAt');
  return {
    expected,
    prepared: events.map((e) => prepareEvent(registry, e, recordedAt)),
    envelope: {
      streamId,
      recordedAt,
      actor: parsedActor.data,
      commandId: options.commandId,
      commandHash: options.commandHash ?? null,
      correlationId: options.correlationId ?? options.commandId,
      causationId: options.causationId ?? null,
    },
  };
}

function prepareEvent(registry: EventRegistry, e: NewEvent, recordedAt: string): PreparedEvent {
  const definition = registry.definition(e.type);
  // Unknown types and bad payloads are refused here, before anything is written.
  const { schemaVersion, data } = registry.parse(e.type, definition?.schemaVersion ?? 0, e.data);
  let eventId: string;
  if (e.eventId === undefined) eventId = randomUUID();
  else {
    // PostgreSQL prints uuids in lower case; the hash must cover what will be read back.
    eventId = String(e.eventId).toLowerCase();
    if (!UUID.test(eventId)) throw new TypeError(`eventId ${JSON.stringify(e.eventId)} is not a UUID`);
  }
  const occurredAt = e.occurredAt === undefined ? recordedAt : isoTimestamp(e.occurredAt, 'occurredAt');
  return { eventId, type: e.type, schemaVersion, data, occurredAt };
}

/**
 * The events with their revisions after `base`, each hash chained to the one before and sealed with
 * the MAC. Each event is built as one literal and its hash and MAC filled in after: the hash reads
 * only the hashed fields (writeCanonicalEvent), and spreading a fields object into a new one with
 * three more keys cost more than hashing the event (5 events: ~130 µs of CPU against ~50).
 */
export function chainEvents(macKey: Buffer, base: StreamTip, prepared: PreparedEvent[], envelope: Envelope): ChainedEvent[] {
  let prevHash = base.lastHash;
  let revision = base.revision;
  const chained: ChainedEvent[] = [];
  for (let i = 0; i < prepared.length; i++) {
    const e = prepared[i]!;
    revision += 1;
    const event: ChainedEvent = {
      eventId: e.eventId,
      type: e.type,
      schemaVersion: e.schemaVersion,
      streamId: envelope.streamId,
      revision,
      occurredAt: e.occurredAt,
      recordedAt: envelope.recordedAt,
      actor: envelope.actor,
      commandId: envelope.commandId,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      data: e.data,
      prevHash,
      hash: '',
      mac: '',
    };
    const hash = eventHash(prevHash, event);
    event.hash = hash;
    event.mac = eventMac(macKey, hash);
    prevHash = hash;
    chained.push(event);
  }
  return chained;
}

export function checkExpectedRevision(expected: ExpectedRevision): ExpectedRevision {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new RangeError(`expected revision must be 'no_stream', 'stream_exists', 'any' or a revision >= 0, got ${expected}`);
    }
    return expected;
  }
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return expected;
  throw new RangeError(`unknown expected revision ${JSON.stringify(expected)}`);
}

/** The tip to chain from, given the stream's actual tip, or the conflict the caller must hear. */
export function nextBase(streamId: string, expected: ExpectedRevision, actual: StreamTip | null): StreamTip {
  if (typeof expected === 'number') {
    if (actual?.revision === expected) return actual;
  } else if (expected === 'no_stream') {
    if (!actual) return NEW_STREAM;
  } else if (expected === 'stream_exists') {
    if (actual) return actual;
  } else {
    return actual ?? NEW_STREAM;
  }
  throw new ConcurrencyError(streamId, expected, actual ? actual.revision : null);
}

/**
 * UTC with milliseconds, exactly what timestamptz gives back, so the hash computed now matches
 * the row read later.
 */
export function isoTimestamp(value: string | Date, field: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${field} is not a valid time: ${String(value)}`);
  const iso = date.toISOString();
  // Years outside 0001–9999 print with a sign, or as year 0, which PostgreSQL reads differently.
  if (!/^(?!0000)\d{4}-/.test(iso)) throw new RangeError(`${field} is out of range: ${iso}`);
  return iso;
}
