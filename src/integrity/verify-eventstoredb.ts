import type pg from 'pg';
import type { EventStoreDbEventStore } from '../eventstore/eventstoredb/eventstoredb-event-store.ts';
import type { InvalidEventError } from '../eventstore/port.ts';
import { GENESIS_HASH } from './event-hash.ts';
import { MerkleFrontier, sm3Merkle } from './merkle.ts';
import { checkpointFromRow, leafHash, verifyCheckpoint, type CheckpointRow } from './merkle-log.ts';
import { Findings, NO_PLACE, short, type Mismatch, type MismatchKind } from './verify-findings.ts';
import { describeMismatch, oneLine } from './verify-ledger.ts';

export interface EsdbVerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  leavesChecked: number;
  checkpointsChecked: number;
  /** How many mismatches in all. */
  mismatches: number;
  /** The earliest mismatch in ledger order ($all's commit position; those without one come last). */
  firstMismatch?: Mismatch;
  /** The first few mismatches in ledger order. */
  samples: Mismatch[];
  /** The first mismatch, in words (Chinese, then English), with where it is; null when none. */
  problem: string | null;
}

/** What the adapter's read refusal says, as the verifier's kind of finding. */
function kindOf(error: InvalidEventError): MismatchKind {
  if (error.issues.includes('hash does not recompute')) return 'hash_mismatch';
  if (error.issues.includes('MAC was not made')) return 'mac_mismatch';
  return 'schema_invalid';
}

/**
 * `gongwen verify` when the events live in EventStoreDB: walks $all through the adapter (which
 * checks each event's schema, hash and MAC), checks that every stream's revisions run 0,1,2,… and
 * each prevHash is the hash before it, then that every Merkle leaf in PostgreSQL names an event
 * present in EventStoreDB with the same hash and MAC, that the leaves hash to each signed
 * checkpoint's root, and each checkpoint's signature with the ledger key. Like the PostgreSQL
 * verifier it walks on past a mismatch and reports every one (counted; the first few described,
 * in ledger order). Holds one (hash, MAC) pair per event in memory.
 */
export async function verifyEventStoreDbLedger(store: EventStoreDbEventStore, pool: pg.Pool, o: { publicKeyHex: string; maxSamples?: number }): Promise<EsdbVerifyReport> {
  const findings = new Findings(o.maxSamples ?? 20);
  let eventsChecked = 0;
  let leavesChecked = 0;
  let checkpointsChecked = 0;
  // A stream's last revision and hash (null: its last event failed its checks, so the next link is not judged).
  const tips = new Map<string, { revision: number; hash: string | null }>();
  // Each event's hash and MAC (null: present but failed its checks, already reported).
  const sealed = new Map<string, { hash: string; mac: string } | null>();
  for (let position: string | null = null; ; ) {
    const page = await store.auditAll(position, 1000);
    if (page.items.length === 0) break;
    for (const item of page.items) {
      const place = { ...NO_PLACE, streamId: item.streamId, revision: item.revision, globalPosition: item.globalPosition };
      const tip = tips.get(item.streamId) ?? { revision: -1, hash: GENESIS_HASH };
      if (item.revision !== tip.revision + 1) {
        findings.add({ ...place, kind: 'revision_gap', detail: `expected revision ${tip.revision + 1}, found ${item.revision} at ${item.position}` });
      }
      eventsChecked++;
      if (item.invalid) {
        findings.add({ ...place, kind: kindOf(item.invalid), detail: `${item.invalid.issues} (at ${item.position})` });
        tips.set(item.streamId, { revision: item.revision, hash: null });
        sealed.set(item.eventId, null);
        continue;
      }
      const e = item.event!;
      if (tip.hash !== null && item.revision === tip.revision + 1 && e.prevHash !== tip.hash) {
        findings.add({ ...place, kind: 'chain_broken', detail: `prevHash ${short(e.prevHash)} is not the hash ${short(tip.hash)} of revision ${tip.revision} (at ${item.position})` });
      }
      tips.set(e.streamId, { revision: e.revision, hash: e.hash });
      sealed.set(e.eventId, { hash: e.hash, mac: e.mac });
    }
    position = page.position;
  }

  const { rows: checkpoints } = await pool.query<CheckpointRow>('SELECT tree_size, root_hash, created_at, key_id, public_key, signature FROM merkle_checkpoints ORDER BY tree_size');
  const frontier = MerkleFrontier.restore(sm3Merkle, 0, []);
  let next = 0;
  const checkCheckpointsUpTo = (size: number) => {
    while (next < checkpoints.length && Number(checkpoints[next]!.tree_size) <= size) {
      const c = checkpointFromRow(checkpoints[next]!);
      if (c.treeSize === size) {
        const at = { ...NO_PLACE, treeSize: c.treeSize };
        const root = frontier.root().toString('hex');
        if (c.rootHash !== root) findings.add({ ...at, kind: 'checkpoint_root_mismatch', detail: `signed root ${short(c.rootHash)}, leaves give ${short(root)}` });
        else if (!verifyCheckpoint(c, o.publicKeyHex)) findings.add({ ...at, kind: 'checkpoint_signature_invalid', detail: `key ${c.keyId}` });
        checkpointsChecked++;
      }
      next++;
    }
  };
  checkCheckpointsUpTo(0);
  for (let from = 0; ; from += 5000) {
    const { rows } = await pool.query<{ leaf_index: string; global_position: string; stream_id: string; revision: string; event_id: string; event_hash: string; event_mac: string }>(
      `SELECT leaf_index, global_position, stream_id, revision, event_id::text AS event_id, event_hash, event_mac
         FROM merkle_leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT 5000`,
      [from],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const at = { ...NO_PLACE, streamId: r.stream_id, revision: Number(r.revision), globalPosition: Number(r.global_position), leafIndex: Number(r.leaf_index) };
      const event = sealed.get(r.event_id);
      if (event === undefined) findings.add({ ...at, kind: 'event_missing', detail: `leaf ${r.leaf_index} names event ${r.event_id}, absent from EventStoreDB` });
      else if (event !== null && (event.hash !== r.event_hash || event.mac !== r.event_mac)) {
        findings.add({ ...at, kind: 'leaf_event_mismatch', detail: `leaf hash ${short(r.event_hash)}, event hash ${short(event.hash)}` });
      }
      frontier.append(leafHash({ streamId: r.stream_id, revision: Number(r.revision), globalPosition: Number(r.global_position), eventId: r.event_id, hash: r.event_hash, mac: r.event_mac }));
      leavesChecked++;
      checkCheckpointsUpTo(frontier.size);
    }
  }
  // A checkpoint over more leaves than the log holds: the log was cut.
  for (; next < checkpoints.length; next++) {
    const size = Number(checkpoints[next]!.tree_size);
    findings.add({ ...NO_PLACE, treeSize: size, kind: 'checkpoint_beyond_log', detail: `signed over ${size} leaves, the log holds ${frontier.size}` });
  }

  const samples = findings.samples();
  const first = samples[0];
  return {
    ok: findings.count === 0,
    eventsChecked,
    streamsChecked: tips.size,
    leavesChecked,
    checkpointsChecked,
    mismatches: findings.count,
    ...(first ? { firstMismatch: first } : {}),
    samples,
    problem: first ? `${oneLine(first)}: ${first.detail}` : null,
  };
}

export function formatEsdbVerifyReport(r: EsdbVerifyReport): string {
  const scope = [
    `  事件 events: ${r.eventsChecked}，共 ${r.streamsChecked} 条流 (streams)`,
    `  日志叶子 leaves: ${r.leavesChecked}，检查点 checkpoints: ${r.checkpointsChecked}`,
  ];
  if (r.ok) return ['校验通过 (verified): EventStoreDB', ...scope].join('\n');
  const lines = [`校验失败：发现 ${r.mismatches} 处不一致 (verification FAILED: ${r.mismatches} mismatch${r.mismatches === 1 ? '' : 'es'}): EventStoreDB`, '', '第一处不一致 first mismatch:', ...describeMismatch(r.firstMismatch!, '  ')];
  const others = r.samples.slice(1);
  if (others.length) {
    lines.push('', `其他不一致 other mismatches${r.mismatches > r.samples.length ? `（列出前 ${r.samples.length} 处 first ${r.samples.length} shown）` : ''}:`);
    for (const m of others) lines.push(`  - ${oneLine(m)}: ${m.detail}`);
  }
  return [...lines, '', '校验范围 scope:', ...scope].join('\n');
}
