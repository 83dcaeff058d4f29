import type pg from 'pg';
import { keyIdOf } from './ledger-key.ts';
import { checkpointFromRow, leafHash, verifyCheckpoint, type CheckpointRow, type SignedCheckpoint } from './merkle-log.ts';
import { MerkleFrontier, sm3Merkle } from './merkle.ts';
import { Findings, NO_PLACE, short, type Mismatch, type MismatchKind } from './verify-findings.ts';

/**
 * The Merkle-log half of `gongwen verify` (the chains are in verify-ledger.ts). It needs only
 * the database and the trusted public key, so it can run in a worker thread on a snapshot
 * exported by the main verifier, in parallel with the chain walk.
 */
export interface LogCheckOptions {
  publicKeyHex: string;
  batchSize: number;
  backdateGraceMs: number;
  maxSamples: number;
  /**
   * The sequencer signs a checkpoint at least this often while the log grows; an event recorded
   * longer ago than this plus `coverageGraceMs` and still outside the latest signed checkpoint
   * means checkpoints were deleted or the log's tail was cut and rebuilt.
   */
  checkpointIntervalMs: number;
  /** Slack for a server that was stopped (or a sequencer held back by a long transaction). */
  coverageGraceMs: number;
  /** "Now" for the coverage rule, epoch ms (default: the database clock). */
  now?: number;
}

/**
 * Checkpoint signatures cost ~1 ms each to verify and a busy ledger signs one every few seconds;
 * verify checks the signature of the first checkpoint, then of one at least this long after the
 * last one it checked, and always of the latest. Every checkpoint's root is compared with the
 * leaves, so an unchecked one can only be a true statement about the log with a bad signature.
 */
export const SIGNATURE_SAMPLE_MS = 60_000;

export interface LogCheckResult {
  leaves: number;
  checkpoints: number;
  /** Checkpoints whose signature was verified (see SIGNATURE_SAMPLE_MS). */
  signaturesChecked: number;
  treeSize: number;
  root: string;
  latest: Pick<SignedCheckpoint, 'treeSize' | 'rootHash' | 'createdAt' | 'keyId'> | null;
  notYetLogged: number;
}

/** Anything with `query`: a pool client, or a plain client in a worker. */
type Conn = Pick<pg.ClientBase, 'query'>;

/**
 * Runs `sql` as a cursor of the current transaction and hands each batch to `onBatch`; with
 * rowMode 'array' the rows are arrays of the columns in order (no object per row).
 */
export async function eachBatch<R extends pg.QueryResultRow | unknown[]>(
  client: Conn,
  name: string,
  sql: string,
  params: unknown[],
  batchSize: number,
  onBatch: (rows: R[]) => Promise<void> | void,
  rowMode?: 'array',
): Promise<void> {
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => client.query({ text: `FETCH ${batchSize} FROM ${name}`, ...(rowMode ? { rowMode } : {}) }) as Promise<{ rows: R[] }>;
  // Ask for the next batch before working on this one, so the server fills it meanwhile.
  let pending: Promise<{ rows: R[] }> | null = fetch();
  try {
    for (;;) {
      const { rows }: { rows: R[] } = await pending!;
      pending = null;
      const more = rows.length === batchSize;
      if (more) pending = fetch();
      if (rows.length) await onBatch(rows);
      if (!more) break;
    }
  } catch (error) {
    // The caller rolls back; a fetch still queued must not surface later as an unhandled rejection.
    pending?.catch(() => {});
    throw error;
  }
  await client.query(`CLOSE ${name}`);
}

interface LeafRow {
  leaf_index: number | string;
  global_position: number | string;
  stream_id: string;
  revision: number | string;
  event_id: string;
  event_hash: string;
  event_mac: string;
  leaf_hash: string;
}


/**
 * The stored subtrees (merkle_nodes) of one level, read in node_index order from a cursor of the
 * current transaction as the leaf walk asks for them; rows the walk steps over are extra ones,
 * counted by the final count check.
 */
class StoredLevel {
  private rows: { node_index: number | string; hash: string }[] = [];
  private at = 0;
  private exhausted = false;

  private constructor(
    private readonly client: Conn,
    private readonly name: string,
    private readonly batchSize: number,
  ) {}

  static async open(client: Conn, level: number, batchSize: number): Promise<StoredLevel> {
    const name = `verify_nodes_${level}`;
    await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR SELECT node_index, hash FROM merkle_nodes WHERE level = $1 ORDER BY node_index`, [level]);
    return new StoredLevel(client, name, batchSize);
  }

  /**
   * The stored hash of subtree `index`, null when it is not stored, or undefined when the rows
   * read so far do not say (then fetchAndTake reads on). Indexes must be asked in increasing order.
   */
  take(index: number): string | null | undefined {
    while (this.at < this.rows.length) {
      const row = this.rows[this.at]!;
      const stored = Number(row.node_index);
      if (stored > index) return null;
      this.at++;
      if (stored === index) return row.hash;
    }
    return this.exhausted ? null : undefined;
  }

  async fetchAndTake(index: number): Promise<string | null> {
    for (;;) {
      const { rows } = await this.client.query<{ node_index: number | string; hash: string }>(`FETCH ${this.batchSize} FROM ${this.name}`);
      this.rows = rows;
      this.at = 0;
      this.exhausted = rows.length < this.batchSize;
      const found = this.take(index);
      if (found !== undefined) return found;
    }
  }

  async close(): Promise<void> {
    await this.client.query(`CLOSE ${this.name}`);
  }
}

export async function checkMerkleLog(client: Conn, o: LogCheckOptions, findings: Findings): Promise<LogCheckResult> {
  const trusted = o.publicKeyHex.toLowerCase();
  const frontier = MerkleFrontier.empty(sm3Merkle);
  let checkpoints = 0;
  let signaturesChecked = 0;
  let lastSignatureChecked: SignedCheckpoint | null = null;
  let previous: SignedCheckpoint | null = null;
  let leaves = 0;
  let expectedIndex = 0;

  // Checkpoints are walked in step with the leaves, a batch at a time from their own cursor.
  await client.query(
    `DECLARE verify_checkpoints NO SCROLL CURSOR FOR
       SELECT tree_size, root_hash, created_at, key_id, public_key, signature FROM merkle_checkpoints ORDER BY tree_size`,
  );
  let queue: SignedCheckpoint[] = [];
  let exhausted = false;
  const peek = async (): Promise<SignedCheckpoint | undefined> => {
    if (queue.length === 0 && !exhausted) {
      const { rows } = await client.query<CheckpointRow>(`FETCH ${o.batchSize} FROM verify_checkpoints`);
      queue = rows.map(checkpointFromRow);
      if (rows.length < o.batchSize) exhausted = true;
    }
    return queue[0];
  };
  const checkpointFinding = (c: SignedCheckpoint, kind: MismatchKind, detail: string) => findings.add({ kind, ...NO_PLACE, treeSize: c.treeSize, detail });
  const checkSignature = (c: SignedCheckpoint) => {
    signaturesChecked++;
    lastSignatureChecked = c;
    if (verifyCheckpoint(c, trusted)) return;
    checkpointFinding(
      c,
      'checkpoint_signature_invalid',
      c.publicKey.toLowerCase() === trusted
        ? `signature over tree size ${c.treeSize}, root ${short(c.rootHash)}, time ${c.createdAt} does not verify`
        : `signed by key ${c.keyId}, not by the trusted key ${keyIdOf(trusted)}`,
    );
  };
  // The derived tables: every complete subtree the leaves make must be stored as merkle_nodes
  // (proofs and export packages are built from them), and nothing else. The walk makes each
  // level's subtrees in node_index order, so each level is read beside it from a cursor of its own
  // in that order (the primary key's), merged, instead of looking every subtree up by key: the
  // lookups were a third of the server's work in a verify.
  let expectedNodes = 0;
  const levels = new Map<number, StoredLevel>();
  const checkNodes = async (nodes: { level: number[]; index: number[]; hash: string[] }) => {
    expectedNodes += nodes.level.length;
    for (let i = 0; i < nodes.level.length; i++) {
      const level = nodes.level[i]!;
      let stored = levels.get(level);
      if (!stored) levels.set(level, (stored = await StoredLevel.open(client, level, o.batchSize)));
      const known = stored.take(nodes.index[i]!);
      const found = known === undefined ? await stored.fetchAndTake(nodes.index[i]!) : known;
      if (found === nodes.hash[i]) continue;
      findings.add({
        kind: 'merkle_node_mismatch',
        ...NO_PLACE,
        leafIndex: nodes.index[i]! * 2 ** level,
        detail: found === null
          ? `subtree ${level}/${nodes.index[i]} is missing from merkle_nodes`
          : `subtree ${level}/${nodes.index[i]} is stored as ${short(found)}, the leaves make ${short(nodes.hash[i])}`,
      });
    }
  };

  /** Checks every checkpoint whose tree size the walk has reached (all of them when `final`). */
  const settle = async (final: boolean) => {
    for (let c = await peek(); c && (final || c.treeSize <= frontier.size); c = await peek()) {
      queue.shift();
      checkpoints++;
      const sampled = !lastSignatureChecked || Date.parse(c.createdAt) - Date.parse(lastSignatureChecked.createdAt) >= SIGNATURE_SAMPLE_MS;
      if (sampled) checkSignature(c);
      if (c.treeSize > frontier.size) {
        checkpointFinding(c, 'checkpoint_beyond_log', `the checkpoint covers ${c.treeSize} leaves, the log holds only ${frontier.size}`);
      } else if (c.treeSize === frontier.size) {
        const root = frontier.root().toString('hex');
        if (root !== c.rootHash) checkpointFinding(c, 'checkpoint_root_mismatch', `signed root ${short(c.rootHash)}, root recomputed from the leaves ${short(root)}`);
      } else {
        // Only after a gap in the leaf indexes (already reported) can a size be stepped over.
        checkpointFinding(c, 'checkpoint_root_mismatch', `tree size ${c.treeSize} was stepped over by a gap in the leaves`);
      }
      if (previous && Date.parse(c.createdAt) < Date.parse(previous.createdAt)) {
        checkpointFinding(c, 'checkpoint_time_order', `created ${c.createdAt}, before the smaller checkpoint ${previous.treeSize} of ${previous.createdAt}`);
      }
      previous = c;
    }
  };

  // 1. The leaves themselves: dense, each one's fields hash to it, and together they rebuild
  //    every signed root. Any two checkpoints are then consistent, both being roots of prefixes
  //    of this one list — the check a consistency proof stands in for when leaves are at hand.
  await eachBatch<LeafRow>(
    client,
    'verify_leaves',
    `SELECT leaf_index, global_position, stream_id, revision, event_id::text AS event_id, event_hash, event_mac, leaf_hash
       FROM merkle_leaves ORDER BY leaf_index`,
    [],
    o.batchSize,
    async (rows) => {
      const nodes = { level: [] as number[], index: [] as number[], hash: [] as string[] };
      for (const row of rows) {
        if (queue.length === 0 ? !exhausted : queue[0]!.treeSize <= frontier.size) await settle(false);
        leaves++;
        const index = Number(row.leaf_index);
        const leaf = {
          streamId: row.stream_id,
          revision: Number(row.revision),
          globalPosition: Number(row.global_position),
          eventId: row.event_id,
          hash: row.event_hash,
          mac: row.event_mac,
        };
        if (index !== expectedIndex) {
          findings.add(
            { kind: 'leaf_gap', ...NO_PLACE, leafIndex: index, detail: `leaves ${expectedIndex}…${index - 1} are missing from the log (the next one found is ${index})` },
            leaf.globalPosition - 0.5,
          );
        }
        expectedIndex = index + 1;
        const computed = leafHash(leaf);
        if (computed.toString('hex') !== row.leaf_hash) {
          findings.add({
            kind: 'leaf_hash_mismatch',
            streamId: leaf.streamId,
            revision: leaf.revision,
            globalPosition: leaf.globalPosition,
            leafIndex: index,
            treeSize: null,
            detail: `leaf ${index}: stored leaf hash ${short(row.leaf_hash)}, its fields hash to ${short(computed.toString('hex'))}`,
          });
        }
        frontier.append(computed, (node, hash) => {
          nodes.level.push(node.level);
          nodes.index.push(node.index);
          nodes.hash.push(hash.toString('hex'));
        });
      }
      await checkNodes(nodes);
    },
  );
  await settle(true);
  await client.query('CLOSE verify_checkpoints');
  for (const stored of levels.values()) await stored.close();
  const latestCheckpoint = previous as SignedCheckpoint | null;
  if (latestCheckpoint && lastSignatureChecked !== latestCheckpoint) checkSignature(latestCheckpoint);
  const { rows: nodeCount } = await client.query<{ n: number | string }>('SELECT count(*) AS n FROM merkle_nodes');
  if (Number(nodeCount[0]!.n) !== expectedNodes) {
    findings.add({
      kind: 'merkle_node_mismatch',
      ...NO_PLACE,
      detail: `merkle_nodes holds ${nodeCount[0]!.n} subtrees, the leaves make ${expectedNodes}`,
    });
  }

  // 2. Every leaf against its event row: deleted events, rows rewritten after they were logged.
  await eachBatch<LeafRow & { present: boolean; e_stream_id: string | null; e_revision: number | string | null; e_event_id: string | null; e_hash: string | null; e_mac: string | null }>(
    client,
    'verify_leaf_events',
    `SELECT l.leaf_index, l.global_position, l.stream_id, l.revision, l.event_id::text AS event_id, l.event_hash, l.event_mac,
            e.global_position IS NOT NULL AS present, e.stream_id AS e_stream_id, e.revision AS e_revision,
            e.event_id::text AS e_event_id, e.hash AS e_hash, e.mac AS e_mac
       FROM merkle_leaves l LEFT JOIN events e ON e.global_position = l.global_position
      WHERE e.global_position IS NULL OR e.stream_id IS DISTINCT FROM l.stream_id OR e.revision IS DISTINCT FROM l.revision
         OR e.event_id IS DISTINCT FROM l.event_id OR e.hash IS DISTINCT FROM l.event_hash OR e.mac IS DISTINCT FROM l.event_mac
      ORDER BY l.leaf_index`,
    [],
    o.batchSize,
    (rows) => {
      for (const row of rows) {
        const at = { streamId: row.stream_id, revision: Number(row.revision), globalPosition: Number(row.global_position), leafIndex: Number(row.leaf_index), treeSize: null };
        if (!row.present) {
          findings.add({ kind: 'event_missing', ...at, detail: `leaf ${at.leafIndex} records event ${row.event_id} (hash ${short(row.event_hash)}), which is no longer in the events table` });
          continue;
        }
        const differs: string[] = [];
        if (row.e_stream_id !== row.stream_id) differs.push(`stream ${row.e_stream_id} ≠ ${row.stream_id}`);
        if (Number(row.e_revision) !== at.revision) differs.push(`revision ${row.e_revision} ≠ ${at.revision}`);
        if (row.e_event_id !== row.event_id) differs.push(`event id ${row.e_event_id} ≠ ${row.event_id}`);
        if (row.e_hash !== row.event_hash) differs.push(`hash ${short(row.e_hash)} ≠ ${short(row.event_hash)}`);
        if (row.e_mac !== row.event_mac) differs.push(`mac ${short(row.e_mac)} ≠ ${short(row.event_mac)}`);
        findings.add({ kind: 'leaf_event_mismatch', ...at, detail: `the event row differs from what leaf ${at.leafIndex} recorded: ${differs.join('; ')}` });
      }
    },
  );

  // 2b. The leaves follow the feed: in leaf order, every event's (transaction id, position) grows.
  //     The leaf index is fixed by the signed roots, so a transaction id rewritten afterwards to
  //     reorder the feed (and every rebuild) shows here; the chain walk checks each stream's feed
  //     order against its revisions.
  await eachBatch<{ leaf_index: number | string; global_position: number | string; stream_id: string; revision: number | string; xid: string; prev_xid: string; prev_leaf: number | string }>(
    client,
    'verify_leaf_order',
    `SELECT leaf_index, global_position, stream_id, revision, x::text AS xid, px::text AS prev_xid, prev_leaf
       FROM (SELECT l.leaf_index, l.global_position, l.stream_id, l.revision, e.transaction_id AS x,
                    lag(e.transaction_id) OVER w AS px, lag(l.global_position) OVER w AS pp, lag(l.leaf_index) OVER w AS prev_leaf
               FROM merkle_leaves l JOIN events e ON e.global_position = l.global_position
             WINDOW w AS (ORDER BY l.leaf_index)) o
      WHERE (x, global_position) <= (px, pp)
      ORDER BY leaf_index`,
    [],
    o.batchSize,
    (rows) => {
      for (const row of rows) {
        findings.add({
          kind: 'leaf_order_mismatch',
          streamId: row.stream_id,
          revision: Number(row.revision),
          globalPosition: Number(row.global_position),
          leafIndex: Number(row.leaf_index),
          treeSize: null,
          detail: `leaf ${row.leaf_index} follows leaf ${row.prev_leaf} in the log, but its event's transaction id ${row.xid} puts it before that one's (${row.prev_xid}) in the feed: transaction ids were rewritten`,
        });
      }
    },
  );

  // 3. Events logged after a checkpoint they claim to predate: a checkpoint is signed right after
  //    sequencing, so it holds every event committed before it (less a grace for commit lag).
  await eachBatch<{ leaf_index: number | string; global_position: number | string; stream_id: string; revision: number | string; recorded_at: Date; tree_size: number | string; created_at: Date }>(
    client,
    'verify_backdated',
    `SELECT l.leaf_index, l.global_position, l.stream_id, l.revision, e.recorded_at, c.tree_size, c.created_at
       FROM merkle_leaves l
       JOIN events e ON e.global_position = l.global_position
       JOIN LATERAL (SELECT tree_size, created_at FROM merkle_checkpoints c
                      WHERE c.tree_size <= l.leaf_index ORDER BY c.tree_size DESC LIMIT 1) c ON true
      WHERE e.recorded_at < c.created_at - make_interval(secs => $1::float8 / 1000)
      ORDER BY l.leaf_index`,
    [o.backdateGraceMs],
    o.batchSize,
    (rows) => {
      for (const row of rows) {
        const index = Number(row.leaf_index);
        findings.add({
          kind: 'event_backdated',
          streamId: row.stream_id,
          revision: Number(row.revision),
          globalPosition: Number(row.global_position),
          leafIndex: index,
          treeSize: null,
          detail: `recorded_at ${row.recorded_at.toISOString()} predates checkpoint ${row.tree_size} (${row.created_at.toISOString()}), yet the event entered the log only at leaf ${index}`,
        });
      }
    },
  );

  // 4. Events with no leaf. Inside the range the sequencer has passed they cannot be legitimate
  //    (it never steps over a committed row); beyond it they are pending — unless they claim a
  //    time before the latest checkpoint, which holds everything committed until it was signed.
  let notYetLogged = 0;
  const { rows: clock } = await client.query<{ now: Date }>('SELECT now() AS now');
  const coverageCutoff = (o.now ?? clock[0]!.now.getTime()) - o.checkpointIntervalMs - o.coverageGraceMs;
  const covered = latestCheckpoint?.treeSize ?? 0;
  const notCheckpointed = (at: Omit<Mismatch, 'kind' | 'detail'>, recordedAt: Date) =>
    findings.add({
      kind: 'events_not_checkpointed',
      ...at,
      detail: `recorded ${recordedAt.toISOString()}, yet no signed checkpoint covers it (latest: tree size ${covered}${latestCheckpoint ? `, ${latestCheckpoint.createdAt}` : ''}); the ledger signs one within ${o.checkpointIntervalMs / 1000} s: checkpoints were deleted or the log's tail cut (if the server was only stopped, run gongwen checkpoint)`,
    });
  await eachBatch<{ global_position: number | string; stream_id: string; revision: number | string; recorded_at: Date; inside: boolean | null }>(
    client,
    'verify_unlogged',
    `SELECT e.global_position, e.stream_id, e.revision, e.recorded_at,
            (e.transaction_id, e.global_position) <= (h.last_transaction_id, h.last_global_position) AS inside
       FROM events e LEFT JOIN merkle_head h ON h.singleton
      WHERE NOT EXISTS (SELECT 1 FROM merkle_leaves l WHERE l.global_position = e.global_position)
      ORDER BY e.global_position`,
    [],
    o.batchSize,
    (rows) => {
      for (const row of rows) {
        const at = { streamId: row.stream_id, revision: Number(row.revision), globalPosition: Number(row.global_position), leafIndex: null, treeSize: null };
        if (row.inside) {
          findings.add({ kind: 'event_not_in_log', ...at, detail: 'the sequencer has passed this event’s place in the feed, yet the log has no leaf for it: the row was inserted behind the ledger’s back' });
        } else if (latestCheckpoint && row.recorded_at.getTime() < Date.parse(latestCheckpoint.createdAt) - o.backdateGraceMs) {
          findings.add({
            kind: 'event_backdated',
            ...at,
            detail: `recorded_at ${row.recorded_at.toISOString()} predates the latest checkpoint (tree size ${latestCheckpoint.treeSize}, ${latestCheckpoint.createdAt}), which does not contain it`,
          });
        } else if (row.recorded_at.getTime() < coverageCutoff) {
          notCheckpointed(at, row.recorded_at);
        } else {
          notYetLogged++;
        }
      }
    },
  );

  // 4b. Logged, but beyond the latest signed checkpoint for longer than the interval allows.
  await eachBatch<{ leaf_index: number | string; global_position: number | string; stream_id: string; revision: number | string; recorded_at: Date }>(
    client,
    'verify_uncovered',
    `SELECT l.leaf_index, l.global_position, l.stream_id, l.revision, e.recorded_at
       FROM merkle_leaves l JOIN events e ON e.global_position = l.global_position
      WHERE l.leaf_index >= $1 AND e.recorded_at < to_timestamp($2::float8 / 1000)
      ORDER BY l.leaf_index`,
    [covered, coverageCutoff],
    o.batchSize,
    (rows) => {
      for (const row of rows) {
        notCheckpointed(
          { streamId: row.stream_id, revision: Number(row.revision), globalPosition: Number(row.global_position), leafIndex: Number(row.leaf_index), treeSize: null },
          row.recorded_at,
        );
      }
    },
  );

  // 5. The sequencer's own state must agree with the leaves, or its next append would fork the log.
  const root = frontier.root().toString('hex');
  const { rows: heads } = await client.query<{ tree_size: number | string; frontier: string[] }>('SELECT tree_size, frontier FROM merkle_head WHERE singleton');
  const head = heads[0];
  let headProblem: string | null = null;
  if (!head) headProblem = 'the merkle_head row is missing';
  else if (Number(head.tree_size) !== frontier.size) headProblem = `the sequencer's head says ${head.tree_size} leaves, the log holds ${frontier.size}`;
  else {
    try {
      const headRoot = MerkleFrontier.restore(sm3Merkle, Number(head.tree_size), head.frontier.map((h) => Buffer.from(h, 'hex'))).root().toString('hex');
      if (headRoot !== root) headProblem = `the sequencer's head root ${short(headRoot)} differs from the leaves' root ${short(root)}`;
    } catch (error) {
      headProblem = `the sequencer's head is malformed: ${(error as Error).message}`;
    }
  }
  if (headProblem) findings.add({ kind: 'log_head_mismatch', ...NO_PLACE, treeSize: frontier.size, detail: headProblem });

  return {
    leaves,
    checkpoints,
    signaturesChecked,
    treeSize: frontier.size,
    root,
    latest: latestCheckpoint
      ? { treeSize: latestCheckpoint.treeSize, rootHash: latestCheckpoint.rootHash, createdAt: latestCheckpoint.createdAt, keyId: latestCheckpoint.keyId }
      : null,
    notYetLogged,
  };
}
