import type pg from 'pg';
import type { EventStore } from '../eventstore/port.ts';
import { Refusal } from '../domain/refusal.ts';
import { canonicalLeafText, withCanonicalWriter, writeCanonicalLeaf } from './canonical-json.ts';
import type { LedgerKey } from './ledger-key.ts';
import { verifySm2Signature } from './sm2.ts';
import { sm3OfBytes } from './sm3.ts';
import {
  consistencyProofRanges,
  foldSubtrees,
  inclusionProofRanges,
  MerkleFrontier,
  rangeSubtrees,
  sm3Merkle,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
  type SubtreeId,
} from './merkle.ts';

/**
 * The global log: every committed event, in feed order, becomes one leaf of an SM3 Merkle tree
 * in the Certificate Transparency form, and the tree head is signed with the ledger key from
 * time to time. A per-stream hash chain shows a stream was not edited; this log shows the whole
 * ledger only ever grew — nothing removed, reordered or slipped in behind a checkpoint an
 * inspector already holds.
 */
export const CHECKPOINT_FORMAT = 'gongwen-ledger/v1';

/**
 * How often a growing log gets a signed checkpoint: events outside every signed checkpoint are at
 * most this (plus a sequencer tick) old, which `gongwen verify` holds the ledger to.
 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000;

/** The fields of an event a leaf commits to. */
export interface LeafFields {
  streamId: string;
  revision: number;
  globalPosition: number;
  eventId: string;
  hash: string;
  mac: string;
}

export interface SignedCheckpoint {
  treeSize: number;
  /** MTH of the first treeSize leaves, 64 lowercase hex digits (SM3). */
  rootHash: string;
  /** ISO 8601, milliseconds, UTC — exactly as signed. */
  createdAt: string;
  keyId: string;
  publicKey: string;
  /** SM2 signature (DER, hex) over checkpointText(). */
  signature: string;
}

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leaf: LeafFields;
  leafHash: string;
  rootHash: string;
  /** Audit path, nearest sibling first (RFC 9162 §2.1.3). */
  proof: string[];
  /** The signed checkpoint of this tree size, when there is one. */
  checkpoint: SignedCheckpoint | null;
}

export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  /** RFC 9162 §2.1.4 consistency path. */
  proof: string[];
  fromCheckpoint: SignedCheckpoint | null;
  toCheckpoint: SignedCheckpoint | null;
}

export interface SequenceResult {
  /** Leaves this call appended. */
  appended: number;
  treeSize: number;
  /** False when another sequencer held the lock and this call left the work to it. */
  sequenced: boolean;
  /** The checkpoint written after appending (or the latest one, when nothing was appended). */
  checkpoint: SignedCheckpoint | null;
}

/** RFC 8785 JSON of the leaf fields: the bytes the leaf hash covers. */
export function leafData(f: LeafFields): string {
  return canonicalLeafText(f);
}

/**
 * sm3Merkle.hashLeaf(leafData(f)) without the text: RFC 6962's 0x00 leaf prefix and the UTF-8 of
 * the leaf's canonical JSON written into the kept buffer and hashed in one call (the sequencer
 * and the verifier make one per event; test/unit/merkle.test.ts holds the two equal).
 */
export function leafHash(f: LeafFields): Buffer {
  return withCanonicalWriter((w) => {
    w.byte(0x00);
    writeCanonicalLeaf(w, f);
  }, sm3OfBytes);
}

/** The exact text an SM2 checkpoint signature covers. */
export function checkpointText(c: Pick<SignedCheckpoint, 'treeSize' | 'rootHash' | 'createdAt'>): string {
  return `${CHECKPOINT_FORMAT}\n${c.treeSize}\n${c.rootHash}\n${c.createdAt}\n`;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether `checkpoint` is well formed and signed by the holder of `publicKeyHex` — the key the
 * inspector trusts, not the one the checkpoint names about itself.
 */
export function verifyCheckpoint(checkpoint: SignedCheckpoint, publicKeyHex: string): boolean {
  if (!Number.isSafeInteger(checkpoint.treeSize) || checkpoint.treeSize < 0) return false;
  if (!HEX64.test(checkpoint.rootHash) || !ISO_MS_UTC.test(checkpoint.createdAt)) return false;
  return verifySm2Signature(publicKeyHex, checkpointText(checkpoint), checkpoint.signature);
}

/** Checks an inclusion proof on its own: the leaf fields hash to the leaf, the path to the root. */
export function verifyInclusionProof(p: InclusionProof, publicKeyHex?: string): boolean {
  const leaf = leafHash(p.leaf);
  if (leaf.toString('hex') !== p.leafHash) return false;
  const ok = verifyInclusion(sm3Merkle, p.leafIndex, p.treeSize, leaf, p.proof.map(hexBytes), hexBytes(p.rootHash));
  if (!ok || publicKeyHex === undefined) return ok;
  return p.checkpoint !== null && p.checkpoint.treeSize === p.treeSize && p.checkpoint.rootHash === p.rootHash && verifyCheckpoint(p.checkpoint, publicKeyHex);
}

export function verifyConsistencyProof(p: ConsistencyProof, publicKeyHex?: string): boolean {
  const ok = verifyConsistency(sm3Merkle, p.fromSize, p.toSize, p.proof.map(hexBytes), hexBytes(p.fromRoot), hexBytes(p.toRoot));
  if (!ok || publicKeyHex === undefined) return ok;
  const signed = (c: SignedCheckpoint | null, size: number, root: string) =>
    c !== null && c.treeSize === size && c.rootHash === root && verifyCheckpoint(c, publicKeyHex);
  return signed(p.fromCheckpoint, p.fromSize, p.fromRoot) && signed(p.toCheckpoint, p.toSize, p.toRoot);
}

const hexBytes = (hex: string): Buffer => Buffer.from(/^[0-9a-f]*$/.test(hex) && hex.length % 2 === 0 ? hex : '', 'hex');

/** Storage of the log is broken (a node or leaf missing or inconsistent): an operator's problem, not a refusal. */
export class MerkleLogCorruptError extends Error {
  constructor(detail: string) {
    super(`全局日志存储不一致，请运行 gongwen verify (Merkle log storage is inconsistent: ${detail})`);
    this.name = 'MerkleLogCorruptError';
  }
}

// One sequencer at a time across every process: leaves must be dense and follow the feed order.
const SEQUENCER_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtext('gongwen.merkle-sequencer')) AS locked";

const HEAD_SQL = `SELECT tree_size, frontier, last_transaction_id::text AS last_transaction_id, last_global_position, last_feed_position
  FROM merkle_head WHERE singleton`;

// Same visibility rule as every feed reader: stop below the oldest running transaction, so an
// event whose transaction commits late is waited for and never skipped. The text copy of the
// transaction id gets its own name: ORDER BY a bare name takes the output column first, and
// xids sorted as text put 1001 before 971.
const PENDING_EVENTS_SQL = `SELECT e.global_position, e.transaction_id::text AS xid_text, e.stream_id, e.revision,
    e.event_id::text AS event_id, e.hash, e.mac
  FROM events e
  WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
    AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.transaction_id, e.global_position
  LIMIT $3`;

const INSERT_LEAVES_SQL = `INSERT INTO merkle_leaves
    (leaf_index, global_position, stream_id, revision, event_id, event_hash, event_mac, leaf_hash)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[])`;

const INSERT_NODES_SQL = `INSERT INTO merkle_nodes (level, node_index, hash)
  SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::text[])`;

const UPDATE_HEAD_SQL = `UPDATE merkle_head
  SET tree_size = $1, frontier = $2, last_transaction_id = $3::xid8, last_global_position = $4, last_feed_position = $6, updated_at = now()
  WHERE singleton AND tree_size = $5`;

const CHECKPOINT_COLUMNS = 'tree_size, root_hash, created_at, key_id, public_key, signature';

interface HeadRow {
  tree_size: number | string;
  frontier: string[];
  last_transaction_id: string;
  last_global_position: number | string;
  last_feed_position: string | null;
}

interface PendingRow {
  global_position: number | string;
  xid_text: string;
  stream_id: string;
  revision: number | string;
  event_id: string;
  hash: string;
  mac: string;
  /** Only from an outside store's feed. */
  feed_position?: string;
}

/** A merkle_checkpoints row as selected (the sequencer's and the verifier's queries). */
export interface CheckpointRow {
  tree_size: number | string;
  root_hash: string;
  created_at: Date;
  key_id: string;
  public_key: string;
  signature: string;
}

export function checkpointFromRow(r: CheckpointRow): SignedCheckpoint {
  return {
    treeSize: Number(r.tree_size),
    rootHash: r.root_hash,
    createdAt: r.created_at.toISOString(),
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
  };
}

export interface MerkleLogOptions {
  pool: pg.Pool;
  /** The signing key; null for a reader (proofs, an inspector's checks) that never signs. */
  key: LedgerKey | null;
  /** Events turned into leaves per transaction. */
  batchSize?: number;
  /** Checkpoint time; defaults to the database clock, one clock for every process. */
  clock?: () => Date;
  /**
   * `sequence()` signs a new checkpoint only when the tree has grown and the latest checkpoint is
   * at least this old (default DEFAULT_CHECKPOINT_INTERVAL_MS; 0 = after every growth), so an
   * idle ledger signs nothing and a busy one about one checkpoint per interval. `checkpoint()`
   * always signs.
   */
  checkpointIntervalMs?: number;
  /**
   * When the events live outside PostgreSQL (EVENT_STORE=eventstoredb): the store whose feed the
   * sequencer follows, its place kept as FeedPosition text in merkle_head.last_feed_position.
   */
  feed?: EventStore;
}

export class MerkleLog {
  private readonly pool: pg.Pool;
  private readonly key: LedgerKey | null;
  private readonly batchSize: number;
  private readonly clock: (() => Date) | undefined;
  private readonly checkpointIntervalMs: number;
  private readonly feed: EventStore | undefined;

  constructor(opts: MerkleLogOptions) {
    this.feed = opts.feed;
    this.pool = opts.pool;
    this.key = opts.key;
    this.batchSize = opts.batchSize ?? 5000;
    this.clock = opts.clock;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  }

  /**
   * Appends a leaf for every committed event not yet in the log, in feed order, one batch per
   * transaction; then (unless `checkpoint: false`) signs a checkpoint if the tree has grown since
   * the latest one and that one is older than `checkpointIntervalMs`. When another process is
   * sequencing, returns at once with `sequenced: false`.
   */
  async sequence(opts: { checkpoint?: boolean; maxBatches?: number } = {}): Promise<SequenceResult> {
    let appended = 0;
    let treeSize = 0;
    let sequenced = true;
    for (let batch = 0; batch < (opts.maxBatches ?? Infinity); batch++) {
      const step = await this.sequenceBatch();
      treeSize = step.treeSize;
      if (!step.locked) {
        sequenced = false;
        break;
      }
      appended += step.appended;
      if (step.appended < this.batchSize) break;
    }
    // The empty tree is signed only on demand: signed here it would hold back the first real
    // checkpoint by a whole interval.
    const sign = sequenced && opts.checkpoint !== false && treeSize > 0;
    const checkpoint = sign ? await this.signHead(this.checkpointIntervalMs) : await this.latestCheckpoint();
    return { appended, treeSize, sequenced, checkpoint };
  }

  private async sequenceBatch(): Promise<{ locked: boolean; appended: number; treeSize: number }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const { rows: lock } = await client.query<{ locked: boolean }>(SEQUENCER_LOCK_SQL);
        // Without the lock, only look (a FOR UPDATE here would queue behind the working sequencer).
        const { rows: heads } = await client.query<HeadRow>(lock[0]?.locked ? `${HEAD_SQL} FOR UPDATE` : HEAD_SQL);
        const head = heads[0];
        if (!head) throw new MerkleLogCorruptError('merkle_head row is missing');
        const treeSize = Number(head.tree_size);
        if (!lock[0]?.locked) {
          await client.query('ROLLBACK');
          return { locked: false, appended: 0, treeSize };
        }
        const rows = this.feed
          ? await this.pendingFromFeed(head.last_feed_position)
          : (await client.query<PendingRow>(PENDING_EVENTS_SQL, [head.last_transaction_id, head.last_global_position, this.batchSize])).rows;
        if (rows.length === 0) {
          await client.query('COMMIT');
          return { locked: true, appended: 0, treeSize };
        }

        const frontier = MerkleFrontier.restore(sm3Merkle, treeSize, head.frontier.map((h) => Buffer.from(h, 'hex')));
        const leaves = { index: [] as number[], position: [] as number[], stream: [] as string[], revision: [] as number[], eventId: [] as string[], hash: [] as string[], mac: [] as string[], leafHash: [] as string[] };
        const nodes = { level: [] as number[], index: [] as number[], hash: [] as string[] };
        for (const row of rows) {
          const fields: LeafFields = {
            streamId: row.stream_id,
            revision: Number(row.revision),
            globalPosition: Number(row.global_position),
            eventId: row.event_id,
            hash: row.hash,
            mac: row.mac,
          };
          const lh = leafHash(fields);
          leaves.index.push(frontier.size);
          leaves.position.push(fields.globalPosition);
          leaves.stream.push(fields.streamId);
          leaves.revision.push(fields.revision);
          leaves.eventId.push(fields.eventId);
          leaves.hash.push(fields.hash);
          leaves.mac.push(fields.mac);
          leaves.leafHash.push(lh.toString('hex'));
          frontier.append(lh, (node, hash) => {
            nodes.level.push(node.level);
            nodes.index.push(node.index);
            nodes.hash.push(hash.toString('hex'));
          });
        }
        await client.query(INSERT_LEAVES_SQL, [leaves.index, leaves.position, leaves.stream, leaves.revision, leaves.eventId, leaves.hash, leaves.mac, leaves.leafHash]);
        if (nodes.level.length) await client.query(INSERT_NODES_SQL, [nodes.level, nodes.index, nodes.hash]);
        const last = rows[rows.length - 1]!;
        const updated = await client.query(UPDATE_HEAD_SQL, [
          frontier.size,
          frontier.subtreeHashes.map((h) => h.toString('hex')),
          last.xid_text,
          last.global_position,
          treeSize,
          last.feed_position ?? null,
        ]);
        if (updated.rowCount !== 1) throw new MerkleLogCorruptError('merkle_head moved under the sequencer lock');
        await client.query('COMMIT');
        return { locked: true, appended: rows.length, treeSize: frontier.size };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    } finally {
      client.release();
    }
  }

  /**
   * Sequences until no committed event is left beyond the log (waiting, up to `timeoutMs`, while
   * an open transaction anywhere in the PostgreSQL cluster holds the feed back — the snapshot
   * xmin that guards against skipping late commits is cluster-wide), signing as `sequence()` does.
   * Returns the totals; `caughtUp` is false when the time ran out first.
   */
  async catchUp(opts: { timeoutMs?: number; checkpoint?: boolean } = {}): Promise<SequenceResult & { caughtUp: boolean }> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let appended = 0;
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      const step = await this.sequence(opts.checkpoint === false ? { checkpoint: false } : {});
      appended += step.appended;
      if (this.feed) {
        const { rows: heads } = await this.pool.query<HeadRow>(HEAD_SQL);
        const pending = (await this.feed.readAll(heads[0]?.last_feed_position ?? null, 1)).events.length > 0;
        if (!pending) return { ...step, appended, caughtUp: true };
        if (Date.now() >= deadline) return { ...step, appended, caughtUp: false };
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      const { rows } = await this.pool.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM events e, merkle_head h
                         WHERE h.singleton AND (e.transaction_id, e.global_position) > (h.last_transaction_id, h.last_global_position)) AS pending`,
      );
      if (!rows[0]?.pending) return { ...step, appended, caughtUp: true };
      if (Date.now() >= deadline) return { ...step, appended, caughtUp: false };
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /**
   * Catches up (waiting at most `timeoutMs` for transactions that hold the feed back), then signs
   * the tree head, or returns the existing checkpoint of that size. Catching up first makes the
   * checkpoint's time mean "every event committed before this is inside", which the verifier
   * relies on to flag back-dated insertions.
   */
  async checkpoint(opts: { timeoutMs?: number } = {}): Promise<SignedCheckpoint> {
    await this.catchUp({ timeoutMs: opts.timeoutMs ?? 10_000, checkpoint: false });
    return (await this.signHead(0))!;
  }

  /** The next events of an outside store's feed, in the shape of PENDING_EVENTS_SQL's rows. */
  private async pendingFromFeed(from: string | null): Promise<PendingRow[]> {
    const page = await this.feed!.readAll(from, this.batchSize);
    return page.events.map((e) => ({
      global_position: e.globalPosition,
      xid_text: '0',
      stream_id: e.streamId,
      revision: e.revision,
      event_id: e.eventId,
      hash: e.hash,
      mac: e.mac,
      feed_position: e.position,
    }));
  }

  /** Signs the head unless it is already signed, or (minAgeMs > 0) the latest checkpoint is younger. */
  private async signHead(minAgeMs: number): Promise<SignedCheckpoint | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const { rows: heads } = await client.query<Pick<HeadRow, 'tree_size' | 'frontier'> & { now: Date }>(
          `SELECT tree_size, frontier, date_trunc('milliseconds', clock_timestamp()) AS now FROM merkle_head WHERE singleton`,
        );
        const head = heads[0];
        if (!head) throw new MerkleLogCorruptError('merkle_head row is missing');
        const treeSize = Number(head.tree_size);
        const { rows: latest } = await client.query<CheckpointRow>(
          `SELECT ${CHECKPOINT_COLUMNS} FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1`,
        );
        const previous = latest[0] ? checkpointFromRow(latest[0]) : null;
        if (previous && previous.treeSize === treeSize) {
          await client.query('COMMIT');
          return previous;
        }
        if (previous && minAgeMs > 0 && head.now.getTime() - Date.parse(previous.createdAt) < minAgeMs) {
          await client.query('COMMIT');
          return previous;
        }
        const root = MerkleFrontier.restore(sm3Merkle, treeSize, head.frontier.map((h) => Buffer.from(h, 'hex'))).root().toString('hex');
        let time = this.clock?.() ?? head.now;
        // Checkpoint times never run backwards, whatever the clocks of the processes did.
        if (previous && time.getTime() < Date.parse(previous.createdAt)) time = new Date(previous.createdAt);
        const unsigned = { treeSize, rootHash: root, createdAt: new Date(Math.floor(time.getTime())).toISOString() };
        if (!this.key) throw new Error('MerkleLog: a reader without the ledger key cannot sign checkpoints');
        const checkpoint: SignedCheckpoint = {
          ...unsigned,
          keyId: this.key.keyId,
          publicKey: this.key.publicKeyHex,
          signature: this.key.sign(checkpointText(unsigned)),
        };
        const { rows: inserted } = await client.query<CheckpointRow>(
          `INSERT INTO merkle_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tree_size) DO NOTHING RETURNING ${CHECKPOINT_COLUMNS}`,
          [checkpoint.treeSize, checkpoint.rootHash, checkpoint.createdAt, checkpoint.keyId, checkpoint.publicKey, checkpoint.signature],
        );
        let result = inserted[0] ? checkpointFromRow(inserted[0]) : null;
        if (!result) {
          // Another process signed this very tree size a moment ago; theirs stands.
          const { rows } = await client.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM merkle_checkpoints WHERE tree_size = $1`, [treeSize]);
          result = checkpointFromRow(rows[0]!);
        }
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    } finally {
      client.release();
    }
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | null> {
    const { rows } = await this.pool.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1`);
    return rows[0] ? checkpointFromRow(rows[0]) : null;
  }

  async checkpointAt(treeSize: number): Promise<SignedCheckpoint | null> {
    const { rows } = await this.pool.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM merkle_checkpoints WHERE tree_size = $1`, [treeSize]);
    return rows[0] ? checkpointFromRow(rows[0]) : null;
  }

  /** Tree size and root of everything sequenced so far (signed or not). */
  async head(): Promise<{ treeSize: number; rootHash: string }> {
    const { rows } = await this.pool.query<HeadRow>(HEAD_SQL);
    const head = rows[0];
    if (!head) throw new MerkleLogCorruptError('merkle_head row is missing');
    const treeSize = Number(head.tree_size);
    const root = MerkleFrontier.restore(sm3Merkle, treeSize, head.frontier.map((h) => Buffer.from(h, 'hex'))).root();
    return { treeSize, rootHash: root.toString('hex') };
  }

  /**
   * The audit path of the event at `globalPosition` in the tree of `treeSize` leaves — by default
   * the latest signed checkpoint, so the proof ends at a root the inspector can check the
   * signature of. Costs O(log n) indexed lookups (see merkle_nodes).
   */
  async inclusionProof(globalPosition: number, treeSize?: number): Promise<InclusionProof> {
    const { rows } = await this.pool.query<{
      leaf_index: number | string;
      stream_id: string;
      revision: number | string;
      event_id: string;
      event_hash: string;
      event_mac: string;
      leaf_hash: string;
    }>(
      `SELECT leaf_index, stream_id, revision, event_id::text AS event_id, event_hash, event_mac, leaf_hash
         FROM merkle_leaves WHERE global_position = $1`,
      [globalPosition],
    );
    const row = rows[0];
    if (!row) {
      throw new Refusal('NOT_FOUND', `全局位置 ${globalPosition} 的事件尚未进入全局日志 (event at global position ${globalPosition} is not in the Merkle log yet)`, { globalPosition });
    }
    const leafIndex = Number(row.leaf_index);
    const { size, checkpoint } = await this.resolveSize(treeSize, `事件（全局位置 ${globalPosition}）`);
    if (leafIndex >= size) {
      throw new Refusal(
        'NOT_FOUND',
        `全局位置 ${globalPosition} 的事件在树大小 ${size} 之后才记入，请先生成新的检查点 (the event is leaf ${leafIndex}, beyond tree size ${size}; make a newer checkpoint)`,
        { globalPosition, leafIndex, treeSize: size },
      );
    }
    const ranges = inclusionProofRanges(leafIndex, size);
    const [root, ...path] = await this.rangeHashes([{ start: 0, end: size }, ...ranges]);
    const proof: InclusionProof = {
      leafIndex,
      treeSize: size,
      leaf: {
        streamId: row.stream_id,
        revision: Number(row.revision),
        globalPosition,
        eventId: row.event_id,
        hash: row.event_hash,
        mac: row.event_mac,
      },
      leafHash: row.leaf_hash,
      rootHash: root!.toString('hex'),
      proof: path.map((h) => h.toString('hex')),
      checkpoint,
    };
    // Never hand out a proof that does not check: a damaged table must surface here, loudly.
    if (checkpoint && checkpoint.rootHash !== proof.rootHash) throw new MerkleLogCorruptError(`root of tree size ${size} differs from its checkpoint`);
    if (!verifyInclusionProof(proof)) throw new MerkleLogCorruptError(`inclusion proof of leaf ${leafIndex} does not verify`);
    return proof;
  }

  /** Proof that the tree of `fromSize` leaves is a prefix of the tree of `toSize` (default: latest checkpoint). */
  async consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
    const to = await this.resolveSize(toSize, '一致性证明');
    if (!Number.isSafeInteger(fromSize) || fromSize < 0 || fromSize > to.size) {
      throw new Refusal('VALIDATION_FAILED', `树大小须满足 0 ≤ ${fromSize} ≤ ${to.size} (tree sizes must satisfy 0 ≤ from ≤ to)`, { fromSize, toSize: to.size });
    }
    const fromCheckpoint = await this.checkpointAt(fromSize);
    const ranges = consistencyProofRanges(fromSize, to.size);
    const [fromRoot, toRoot, ...path] = await this.rangeHashes([{ start: 0, end: fromSize }, { start: 0, end: to.size }, ...ranges]);
    const proof: ConsistencyProof = {
      fromSize,
      toSize: to.size,
      fromRoot: fromRoot!.toString('hex'),
      toRoot: toRoot!.toString('hex'),
      proof: path.map((h) => h.toString('hex')),
      fromCheckpoint,
      toCheckpoint: to.checkpoint,
    };
    for (const [c, root] of [[fromCheckpoint, proof.fromRoot], [to.checkpoint, proof.toRoot]] as const) {
      if (c && c.rootHash !== root) throw new MerkleLogCorruptError(`root of tree size ${c.treeSize} differs from its checkpoint`);
    }
    if (!verifyConsistencyProof(proof)) throw new MerkleLogCorruptError(`consistency proof ${fromSize} → ${to.size} does not verify`);
    return proof;
  }

  private async resolveSize(treeSize: number | undefined, what: string): Promise<{ size: number; checkpoint: SignedCheckpoint | null }> {
    if (treeSize === undefined) {
      const latest = await this.latestCheckpoint();
      if (!latest) throw new Refusal('NOT_FOUND', `尚无已签名的检查点，无法为${what}出具证明 (no signed checkpoint yet)`);
      return { size: latest.treeSize, checkpoint: latest };
    }
    const head = await this.head();
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > head.treeSize) {
      throw new Refusal('VALIDATION_FAILED', `树大小 ${treeSize} 超出全局日志的范围 0…${head.treeSize} (tree size out of range)`, { treeSize, logSize: head.treeSize });
    }
    return { size: treeSize, checkpoint: await this.checkpointAt(treeSize) };
  }

  /** MTH of each range, from the stored leaves (level 0) and complete subtrees (level ≥ 1). */
  private async rangeHashes(ranges: readonly LeafRange[]): Promise<Buffer[]> {
    const plans = ranges.map((r) => rangeSubtrees(r));
    const wanted = new Map<string, SubtreeId>();
    for (const plan of plans) for (const s of plan) wanted.set(`${s.level}/${s.index}`, s);
    const leafIndexes: number[] = [];
    const nodeLevels: number[] = [];
    const nodeIndexes: number[] = [];
    for (const s of wanted.values()) {
      if (s.level === 0) leafIndexes.push(s.index);
      else {
        nodeLevels.push(s.level);
        nodeIndexes.push(s.index);
      }
    }
    const { rows } = await this.pool.query<{ level: number; idx: number | string; hash: string }>(
      `SELECT 0 AS level, leaf_index AS idx, leaf_hash AS hash FROM merkle_leaves WHERE leaf_index = ANY($1::bigint[])
       UNION ALL
       SELECT n.level, n.node_index, n.hash FROM merkle_nodes n
         JOIN unnest($2::smallint[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.node_index = w.idx`,
      [leafIndexes, nodeLevels, nodeIndexes],
    );
    const found = new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, Buffer.from(r.hash, 'hex')]));
    return plans.map((plan) =>
      foldSubtrees(
        sm3Merkle,
        plan.map((s) => {
          const h = found.get(`${s.level}/${s.index}`);
          if (!h || h.length !== sm3Merkle.size) throw new MerkleLogCorruptError(`subtree ${s.level}/${s.index} is missing`);
          return h;
        }),
      ),
    );
  }
}
