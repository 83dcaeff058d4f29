import type pg from 'pg';
import type { EventRegistry } from '../../schemas/registry.ts';
import { GENESIS_HASH, eventMac } from './event-hash.ts';
import { Findings, NO_PLACE, short } from './verify-findings.ts';
import { eachRow, xidBefore } from './verify-log.ts';
import { ActorTexts, EVENT_ROW_COLUMNS, eventRowHash, HEX64, type EventRow } from '../eventstore/postgres/event-row.ts';

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

interface StreamTail {
  streamId: string;
  lastRevision: number;
  lastHash: string;
  lastPosition: number;
}

type Conn = Pick<pg.ClientBase, 'query'>;

/** Where a finding about an event points (built only when there is one). */
const placeOf = (streamId: string, revision: number, globalPosition: number) => ({ streamId, revision, globalPosition, leafIndex: null, treeSize: null });

export async function checkChains(client: Conn, o: ChainCheckOptions, findings: Findings, range: StreamRange = { from: null, to: null }): Promise<{ events: number; streams: number }> {
  const macKey = o.macKey ? Buffer.from(o.macKey) : null;
  const actors = new ActorTexts();
  let events = 0;
  let streams = 0;
  // The stream being walked: what its next event must carry, and where its last one stood in the
  // feed (transaction id, global position); kept in plain variables, not an object per event.
  let tail: StreamTail | null = null;
  let expected = 0;
  let prevHash = GENESIS_HASH;
  let placeXid: string | null = null;
  let placePosition = -1;

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

  // Streams finished since the last FETCH ended: their `streams` rows are read after it.
  let finished: StreamTail[] = [];
  await eachRow<EventRow>(
    client,
    'verify_chain',
    `SELECT ${EVENT_ROW_COLUMNS}
       FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY stream_id, revision`,
    params,
    o.batchSize,
    (row) => {
      events++;
      const streamId = row[2];
      const revision = Number(row[3]);
      const position = Number(row[0]);
      const xid = row[1];
      const rowPrevHash = row[14];
      const hash = row[15];
      if (!tail || tail.streamId !== streamId) {
        if (tail) finished.push(tail);
        tail = { streamId, lastRevision: -1, lastHash: GENESIS_HASH, lastPosition: -1 };
        expected = 0;
        prevHash = GENESIS_HASH;
        placeXid = null;
        streams++;
      }
      if (revision !== expected) {
        // Report the hole once and carry on from the event found, so one deletion is one finding.
        findings.add(
          {
            kind: 'revision_gap',
            ...placeOf(streamId, revision, position),
            revision: expected,
            globalPosition: null,
            detail:
              revision > expected
                ? `revision ${expected}${revision - 1 > expected ? `…${revision - 1}` : ''} missing; the next event found is revision ${revision} at global position ${position}`
                : `revision ${revision} out of order after ${expected - 1}`,
          },
          position - 0.5,
        );
      } else if (rowPrevHash !== prevHash) {
        findings.add({ kind: 'chain_broken', ...placeOf(streamId, revision, position), detail: `prev_hash ${short(rowPrevHash)} is not the previous event's hash ${short(prevHash)}` });
      }
      let data: unknown;
      let recomputed: string;
      try {
        data = JSON.parse(row[7]);
        const prevIsHash = HEX64.test(rowPrevHash);
        recomputed = eventRowHash(prevIsHash ? rowPrevHash : '', row, streamId, revision, actors.of(row[8]), data);
        if (!prevIsHash) recomputed = '(prev_hash is not a hash)';
      } catch (error) {
        recomputed = `(cannot be computed: ${(error as Error).message})`;
      }
      const macOk = macKey === null || (HEX64.test(hash) && eventMac(macKey, hash) === row[16]);
      if (recomputed !== hash) {
        findings.add({
          kind: 'hash_mismatch',
          ...placeOf(streamId, revision, position),
          detail: `stored hash ${short(hash)}, recomputed ${short(recomputed)}${macOk ? '' : '; its MAC is not the ledger’s either'}`,
        });
      } else if (!macOk) {
        findings.add({ kind: 'mac_mismatch', ...placeOf(streamId, revision, position), detail: `hash ${short(hash)} recomputes, but MAC ${short(row[16])} was not made with the ledger key` });
      }
      // A row whose hash recomputes and whose MAC is the ledger key's is byte for byte what the
      // ledger's append path wrote, and that path hashes only a payload this registry has parsed
      // (prepareEvent in event-envelope.ts): parsed again under the same (type, current version)
      // it passes, so those rows skip the schema (zod was 6 % of this thread's time, profiled). Every other
      // row is parsed: altered or forged ones, an older version (refused without an upcaster),
      // and all of them when verify runs without the MAC key.
      const proven = macKey !== null && recomputed === hash && macOk && o.registry?.definition(row[5])?.schemaVersion === row[6];
      if (o.registry && !proven) {
        try {
          o.registry.parse(row[5], row[6], data);
        } catch (error) {
          findings.add({ kind: 'schema_invalid', ...placeOf(streamId, revision, position), detail: `${row[5]} v${row[6]}: ${(error as Error).message}` });
        }
      }
      // The feed (transaction id, then position) decides replay order: it must follow revisions.
      if (placeXid !== null && !(xidBefore(placeXid, xid) || (placeXid === xid && placePosition < position))) {
        findings.add({
          kind: 'feed_order_broken',
          ...placeOf(streamId, revision, position),
          detail: `in the feed (transaction ${xid}, position ${position}) this event comes before revision ${tail.lastRevision} (transaction ${placeXid}, position ${placePosition}): a rebuild would replay the stream out of order`,
        });
      }
      placeXid = xid;
      placePosition = position;
      expected = revision + 1;
      prevHash = hash;
      tail.lastRevision = revision;
      tail.lastHash = hash;
      tail.lastPosition = position;
    },
    async () => {
      const done = finished;
      finished = [];
      await checkTails(done);
    },
  );
  if (tail) await checkTails([tail]);
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
