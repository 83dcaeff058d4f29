import type pg from 'pg';
import type { EventRegistry } from '../../schemas/registry.ts';
import { canonicalEventText } from './canonical-json.ts';
import { GENESIS_HASH, eventMac } from './event-hash.ts';
import { sm3HexOfHexAndText } from './sm3.ts';
import { Findings, NO_PLACE, short } from './verify-findings.ts';
import { eachBatch } from './verify-log.ts';

/**
 * The per-stream half of `gongwen verify`: each stream in revision order — revisions 0,1,2,…
 * without holes; each prev_hash the hash before it; each hash recomputed over the RFC 8785 form
 * of the row; each MAC recomputed with the ledger's key; the `streams` row in agreement with the
 * last event. A range of stream ids can be given, so several threads can share the walk.
 */
export interface ChainCheckOptions {
  /** The MAC key; null = an inspector with the public key only: MACs are not checked. */
  macKey: Uint8Array | null;
  registry: EventRegistry | null;
  batchSize: number;
  maxSamples: number;
}

/** Stream ids from `from` (inclusive) to `to` (exclusive); null = unbounded. */
export interface StreamRange {
  from: string | null;
  to: string | null;
}

interface EventRow {
  global_position: number | string;
  /** xid8 as text (it can exceed 2^53). */
  xid: string;
  stream_id: string;
  revision: number | string;
  event_id: string;
  type: string;
  schema_version: number;
  /** jsonb as text, parsed here (what the driver would do, minus its type juggling). */
  data: string;
  actor: string;
  /** Epoch milliseconds: the store hashes toISOString() of the same instant. */
  occurred_ms: number;
  recorded_ms: number;
  command_id: string;
  correlation_id: string;
  causation_id: string | null;
  prev_hash: string;
  hash: string;
  mac: string;
}

interface StreamTail {
  streamId: string;
  lastRevision: number;
  lastHash: string;
  lastPosition: number;
}

/** Where an event stands in the feed: (transaction id, global position). */
interface FeedPlace {
  xid: bigint;
  position: number;
}

const feedBefore = (a: FeedPlace, b: FeedPlace) => a.xid < b.xid || (a.xid === b.xid && a.position < b.position);

const HEX64 = /^[0-9a-f]{64}$/;

type Conn = Pick<pg.ClientBase, 'query'>;

export async function checkChains(client: Conn, o: ChainCheckOptions, findings: Findings, range: StreamRange = { from: null, to: null }): Promise<{ events: number; streams: number }> {
  const macKey = o.macKey ? Buffer.from(o.macKey) : null;
  let events = 0;
  let streams = 0;
  let cur: (StreamTail & { expected: number; prevHash: string; place: FeedPlace | null }) | null = null;

  const checkTails = async (tails: StreamTail[]) => {
    if (tails.length === 0) return;
    const { rows } = await client.query<{ stream_id: string; revision: number | string; last_hash: string }>(
      'SELECT stream_id, revision, last_hash FROM streams WHERE stream_id = ANY($1::text[])',
      [tails.map((t) => t.streamId)],
    );
    const heads = new Map(rows.map((r) => [r.stream_id, r]));
    for (const t of tails) {
      const head = heads.get(t.streamId);
      if (!head) {
        findings.add({
          kind: 'stream_row_missing',
          ...NO_PLACE,
          streamId: t.streamId,
          revision: t.lastRevision,
          detail: `events exist up to revision ${t.lastRevision} but the streams table has no row for the stream`,
        });
      } else if (Number(head.revision) !== t.lastRevision || head.last_hash !== t.lastHash) {
        findings.add({
          kind: 'stream_head_mismatch',
          ...NO_PLACE,
          streamId: t.streamId,
          revision: Number(head.revision),
          detail: `streams row says revision ${head.revision} (hash ${short(head.last_hash)}); the last event found is revision ${t.lastRevision} (hash ${short(t.lastHash)}) at global position ${t.lastPosition}`,
        });
      }
    }
  };

  const where: string[] = [];
  const params: string[] = [];
  if (range.from !== null) where.push(`stream_id >= $${params.push(range.from)}`);
  if (range.to !== null) where.push(`stream_id < $${params.push(range.to)}`);

  await eachBatch<EventRow>(
    client,
    'verify_chain',
    `SELECT global_position, transaction_id::text AS xid, stream_id, revision, event_id::text AS event_id, type, schema_version,
            data::text AS data, actor::text AS actor,
            floor(extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms,
            floor(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms,
            command_id, correlation_id, causation_id, prev_hash, hash, mac
       FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY stream_id, revision`,
    params,
    o.batchSize,
    async (rows) => {
      const finished: StreamTail[] = [];
      for (const row of rows) {
        events++;
        const revision = Number(row.revision);
        const position = Number(row.global_position);
        if (!cur || cur.streamId !== row.stream_id) {
          if (cur) finished.push(cur);
          cur = { streamId: row.stream_id, expected: 0, prevHash: GENESIS_HASH, lastRevision: -1, lastHash: GENESIS_HASH, lastPosition: -1, place: null };
          streams++;
        }
        const at = { streamId: row.stream_id, revision, globalPosition: position, leafIndex: null, treeSize: null };
        if (revision !== cur.expected) {
          // Report the hole once and carry on from the event found, so one deletion is one finding.
          findings.add(
            {
              kind: 'revision_gap',
              ...at,
              revision: cur.expected,
              globalPosition: null,
              detail:
                revision > cur.expected
                  ? `revision ${cur.expected}${revision - 1 > cur.expected ? `…${revision - 1}` : ''} missing; the next event found is revision ${revision} at global position ${position}`
                  : `revision ${revision} out of order after ${cur.expected - 1}`,
            },
            position - 0.5,
          );
        } else if (row.prev_hash !== cur.prevHash) {
          findings.add({ kind: 'chain_broken', ...at, detail: `prev_hash ${short(row.prev_hash)} is not the previous event's hash ${short(cur.prevHash)}` });
        }
        let data: unknown;
        let recomputed: string;
        try {
          data = JSON.parse(row.data);
          const text = canonicalEventText({
            eventId: row.event_id,
            type: row.type,
            schemaVersion: row.schema_version,
            streamId: row.stream_id,
            revision,
            occurredAt: new Date(row.occurred_ms).toISOString(),
            recordedAt: new Date(row.recorded_ms).toISOString(),
            actor: JSON.parse(row.actor) as unknown,
            commandId: row.command_id,
            correlationId: row.correlation_id,
            causationId: row.causation_id ?? null,
            data,
          });
          recomputed = HEX64.test(row.prev_hash) ? sm3HexOfHexAndText(row.prev_hash, text) : '(prev_hash is not a hash)';
        } catch (error) {
          recomputed = `(cannot be computed: ${(error as Error).message})`;
        }
        const macOk = macKey === null || (HEX64.test(row.hash) && eventMac(macKey, row.hash) === row.mac);
        if (recomputed !== row.hash) {
          findings.add({
            kind: 'hash_mismatch',
            ...at,
            detail: `stored hash ${short(row.hash)}, recomputed ${short(recomputed)}${macOk ? '' : '; its MAC is not the ledger’s either'}`,
          });
        } else if (!macOk) {
          findings.add({ kind: 'mac_mismatch', ...at, detail: `hash ${short(row.hash)} recomputes, but MAC ${short(row.mac)} was not made with the ledger key` });
        }
        if (o.registry) {
          try {
            o.registry.parse(row.type, row.schema_version, data);
          } catch (error) {
            findings.add({ kind: 'schema_invalid', ...at, detail: `${row.type} v${row.schema_version}: ${(error as Error).message}` });
          }
        }
        // The feed (transaction id, then position) decides replay order: it must follow revisions.
        const place = { xid: BigInt(row.xid), position };
        if (cur.place && !feedBefore(cur.place, place)) {
          findings.add({
            kind: 'feed_order_broken',
            ...at,
            detail: `in the feed (transaction ${row.xid}, position ${position}) this event comes before revision ${cur.lastRevision} (transaction ${cur.place.xid}, position ${cur.place.position}): a rebuild would replay the stream out of order`,
          });
        }
        cur.place = place;
        cur.expected = revision + 1;
        cur.prevHash = row.hash;
        cur.lastRevision = revision;
        cur.lastHash = row.hash;
        cur.lastPosition = position;
      }
      await checkTails(finished);
    },
  );
  if (cur) await checkTails([cur]);
  return { events, streams };
}

/** `streams` rows whose events are all gone (no range walk can see them). */
export async function checkOrphanStreams(client: Conn, findings: Findings, maxSamples: number): Promise<void> {
  const { rows: counted } = await client.query<{ n: number | string }>(
    'SELECT count(*) AS n FROM streams s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)',
  );
  const orphans = Number(counted[0]?.n ?? 0);
  if (orphans === 0) return;
  const { rows } = await client.query<{ stream_id: string; revision: number | string }>(
    `SELECT stream_id, revision FROM streams s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)
      ORDER BY stream_id LIMIT $1`,
    [maxSamples],
  );
  for (const s of rows) {
    findings.add({
      kind: 'stream_without_events',
      ...NO_PLACE,
      streamId: s.stream_id,
      revision: Number(s.revision),
      detail: `streams row at revision ${s.revision}, but no event of the stream exists`,
    });
  }
  findings.countMore(orphans - rows.length);
}

/**
 * Split points that cut the stream ids into `parts` ranges of about equal size, read from the
 * `streams` table. Only the balance depends on it: the ranges cover every id whatever it holds.
 */
export async function streamSplitPoints(client: Conn, parts: number): Promise<string[]> {
  if (parts < 2) return [];
  const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
  const { rows } = await client.query<{ points: (string | null)[] | null }>(
    'SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY stream_id) AS points FROM streams',
    [fractions],
  );
  const points = (rows[0]?.points ?? []).filter((p): p is string => p !== null);
  // Equal points would make empty ranges; keep each split once, in order.
  return [...new Set(points)];
}
