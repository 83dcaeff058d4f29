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
