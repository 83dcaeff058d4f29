import type pg from 'pg';
import type { EventStore } from '../eventstore/port.ts';
import { InvalidEventError } from '../eventstore/port.ts';
import { GENESIS_HASH } from './event-hash.ts';
import { MerkleFrontier, sm3Merkle } from './merkle.ts';
import { checkpointFromRow, leafHash, verifyCheckpoint, type CheckpointRow } from './merkle-log.ts';

export interface EsdbVerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  leavesChecked: number;
  checkpointsChecked: number;
  /** The first mismatch, in words (Chinese, then English), with where it is. */
  problem: string | null;
}

/**
 * `gongwen verify` when the events live in EventStoreDB: walks $all through the adapter (which
 * refuses an event whose schema, hash or MAC does not hold), checks that every stream's revisions
 * run 0,1,2,… and each prevHash is the hash before it, then that every Merkle leaf in PostgreSQL
 * names an event present in EventStoreDB with the same hash and MAC, that the leaves hash to each
 * signed checkpoint's root, and each checkpoint's signature with the ledger key. Stops at the
 * first mismatch. Holds one (hash, MAC) pair per event in memory.
 */
export async function verifyEventStoreDbLedger(store: EventStore, pool: pg.Pool, o: { publicKeyHex: string }): Promise<EsdbVerifyReport> {
  const report: EsdbVerifyReport = { ok: true, eventsChecked: 0, streamsChecked: 0, leavesChecked: 0, checkpointsChecked: 0, problem: null };
  const fail = (problem: string) => ({ ...report, ok: false, problem });
  const tips = new Map<string, { revision: number; hash: string }>();
  const sealed = new Map<string, { hash: string; mac: string }>();
  try {
    for (let position: string | null = null; ; ) {
      const page = await store.readAll(position, 1000);
      if (page.events.length === 0) break;
      for (const e of page.events) {
        const tip = tips.get(e.streamId) ?? { revision: -1, hash: GENESIS_HASH };
        if (e.revision !== tip.revision + 1) return fail(`流 ${e.streamId} 缺少修订号 ${tip.revision + 1} (stream ${e.streamId}: revision ${tip.revision + 1} missing, found ${e.revision} at ${e.position})`);
        if (e.prevHash !== tip.hash) return fail(`流 ${e.streamId}@${e.revision} 的前一哈希不符 (prevHash does not link, at ${e.position})`);
        tips.set(e.streamId, { revision: e.revision, hash: e.hash });
        sealed.set(e.eventId, { hash: e.hash, mac: e.mac });
        report.eventsChecked++;
      }
      position = page.position;
    }
  } catch (error) {
    if (error instanceof InvalidEventError) return fail(`事件 ${error.where} 未通过校验 (event ${error.where} fails its checks: ${error.issues})`);
    throw error;
  }
  report.streamsChecked = tips.size;

  const { rows: checkpoints } = await pool.query<CheckpointRow>('SELECT tree_size, root_hash, created_at, key_id, public_key, signature FROM merkle_checkpoints ORDER BY tree_size');
  const frontier = MerkleFrontier.restore(sm3Merkle, 0, []);
  let next = 0;
  const checkCheckpointsUpTo = (size: number): string | null => {
    while (next < checkpoints.length && Number(checkpoints[next]!.tree_size) <= size) {
      const c = checkpointFromRow(checkpoints[next]!);
      if (c.treeSize === size) {
        if (c.rootHash !== frontier.root().toString('hex')) return `检查点 ${c.treeSize} 的根哈希与日志叶子不符 (checkpoint ${c.treeSize}: root differs from the leaves)`;
        if (!verifyCheckpoint(c, o.publicKeyHex)) return `检查点 ${c.treeSize} 的签名无效 (checkpoint ${c.treeSize}: signature does not verify with the ledger key)`;
        report.checkpointsChecked++;
      }
      next++;
    }
    return null;
  };
  const early = checkCheckpointsUpTo(0);
  if (early) return fail(early);
  for (let from = 0; ; from += 5000) {
    const { rows } = await pool.query<{ leaf_index: string; global_position: string; stream_id: string; revision: string; event_id: string; event_hash: string; event_mac: string }>(
      `SELECT leaf_index, global_position, stream_id, revision, event_id::text AS event_id, event_hash, event_mac
         FROM merkle_leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT 5000`,
      [from],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const event = sealed.get(r.event_id);
      if (!event) return fail(`全局日志第 ${r.leaf_index} 片叶子记载的事件 ${r.stream_id}@${r.revision} 在 EventStoreDB 中不存在 (leaf ${r.leaf_index}: event missing from EventStoreDB)`);
      if (event.hash !== r.event_hash || event.mac !== r.event_mac) return fail(`全局日志第 ${r.leaf_index} 片叶子与事件 ${r.stream_id}@${r.revision} 不符 (leaf ${r.leaf_index}: hash or MAC differs from the event)`);
      frontier.append(leafHash({ streamId: r.stream_id, revision: Number(r.revision), globalPosition: Number(r.global_position), eventId: r.event_id, hash: r.event_hash, mac: r.event_mac }));
      report.leavesChecked++;
      const problem = checkCheckpointsUpTo(frontier.size);
      if (problem) return fail(problem);
    }
  }
  return report;
}

export function formatEsdbVerifyReport(r: EsdbVerifyReport): string {
  const head = r.ok ? '校验通过 (verified): EventStoreDB' : `校验失败 (verification FAILED): ${r.problem}`;
  return `${head}\n  事件 events: ${r.eventsChecked}，共 ${r.streamsChecked} 条流 (streams)\n  日志叶子 leaves: ${r.leavesChecked}，检查点 checkpoints: ${r.checkpointsChecked}`;
}
