import { eventHash } from '../../integrity/event-hash.ts';

/**
 * One event row as the feed read (`readAll`, `subscribeAll`) and verify's chain walk read it: as an
 * array (pg's rowMode 'array', no object per row); the times as epoch milliseconds, written out in
 * Node (to_char cost the server about as much as the rest of the read, measured on the 202k bench
 * ledger; the store hashes toISOString() of the same instant); the jsonb as text, parsed once by
 * the reader; xid8 as text (it can exceed 2^53). The order of EVENT_ROW_COLUMNS is EventRow's.
 */
export const EVENT_ROW_COLUMNS = `global_position, transaction_id::text, stream_id, revision, event_id::text, type, schema_version,
  data::text, actor::text, floor(extract(epoch FROM occurred_at) * 1000)::float8, floor(extract(epoch FROM recorded_at) * 1000)::float8,
  command_id, correlation_id, causation_id, prev_hash, hash, mac`;

export type EventRow = [
  globalPosition: number | string,
  txid: string,
  streamId: string,
  revision: number | string,
  eventId: string,
  type: string,
  schemaVersion: number,
  data: string,
  actor: string,
  occurredMs: number,
  recordedMs: number,
  commandId: string,
  correlationId: string,
  causationId: string | null,
  prevHash: string,
  hash: string,
  mac: string,
];

/** A hash or MAC as the ledger writes them: 64 lower-case hex digits. */
export const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The hash of a row's stored fields chained from `prevHash`, with the stream, revision, actor and
 * data the reader has already parsed (the store's feed read proving a row, verify's chain walk):
 * one mapping of the row's columns onto the hashed fields. Throws when a field cannot be written
 * canonically.
 */
export function eventRowHash(prevHash: string, row: EventRow, streamId: string, revision: number, actor: unknown, data: unknown): string {
  return eventHash(prevHash, {
    eventId: row[4],
    type: row[5],
    schemaVersion: row[6],
    streamId,
    revision,
    occurredAt: row[9],
    recordedAt: row[10],
    actor,
    commandId: row[11],
    correlationId: row[12],
    causationId: row[13] ?? null,
    data,
  });
}

/**
 * Actors repeat across a feed (a ledger has some thousands of users): each distinct jsonb text is
 * parsed once and its object shared, frozen so that no reader can change another event's actor.
 * A pure function of the text, so a hash over it is the same either way.
 */
export class ActorTexts {
  readonly #parsed = new Map<string, unknown>();
  of(text: string): unknown {
    let actor = this.#parsed.get(text);
    if (actor === undefined) {
      actor = Object.freeze(JSON.parse(text) as object);
      if (this.#parsed.size >= 10_000) this.#parsed.clear();
      this.#parsed.set(text, actor);
    }
    return actor;
  }
}
