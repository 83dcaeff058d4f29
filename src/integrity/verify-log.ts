import pg from 'pg';
import { keyIdOf } from './sm2.ts';
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
 * Runs `sql` as a cursor of the current transaction and hands each batch to `onBatch` (for the
 * short walks; the long ones take their rows one at a time from eachRow).
 */
export async function eachBatch<R extends pg.QueryResultRow>(
  client: Conn,
  name: string,
  sql: string,
  params: unknown[],
  batchSize: number,
  onBatch: (rows: R[]) => Promise<void> | void,
): Promise<void> {
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => client.query<R>(`FETCH ${batchSize} FROM ${name}`);
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

/**
 * Runs `sql` as a cursor of the current transaction and hands each row (an array of the columns)
 * to `onRow` as soon as pg has parsed it, so a row dies young: with whole batches handed over,
 * the 5,000 parsed rows of a batch lived through the young generation's scavenges while it was
 * walked and were copied and promoted (the GC was ~29 % of a verify's thread, nearly all
 * scavenges). `onRow` may return a promise when it must query (the same connection, so not
 * until the FETCH ends): the rows that arrive meanwhile wait in order and are handed over after
 * it. `afterBatch` runs once each FETCH's rows have all been handed over.
 */
export async function eachRow<R extends unknown[]>(
  client: Conn,
  name: string,
  sql: string,
  params: unknown[],
  batchSize: number,
  onRow: (row: R) => Promise<void> | void,
  afterBatch?: () => Promise<void> | void,
): Promise<void> {
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  for (;;) {
    let count = 0;
    let failure: { error: unknown } | null = null;
    // Rows parsed while an asynchronous step of onRow is pending, and the step that drains them.
    let waiting: R[] | null = null;
    let draining: Promise<void> = Promise.resolve();
    const drain = async () => {
      for (let i = 0; i < waiting!.length; i++) {
        const row = waiting![i]!;
        waiting![i] = undefined as unknown as R;
        if (!failure) await onRow(row);
      }
      waiting = null;
    };
    const config: pg.QueryArrayConfig = { text: `FETCH ${batchSize} FROM ${name}`, rowMode: 'array' };
    const fetch = new pg.Query(config);
    fetch.on('row', (row: R) => {
      count++;
      if (failure) return;
      if (waiting) {
        waiting.push(row);
        return;
      }
      // A throw here would land in pg's socket handler: it is kept and thrown after the FETCH.
      try {
        const step = onRow(row);
        if (step) {
          waiting = [];
          draining = step.then(drain).catch((error: unknown) => {
            failure ??= { error };
          });
        }
      } catch (error) {
        failure = { error };
      }
    });
    await new Promise<void>((resolve, reject) => {
      fetch.on('end', () => resolve());
      fetch.on('error', reject);
      client.query(fetch);
    });
    await draining;
    if (failure) throw (failure as { error: unknown }).error;
    if (count > 0 && afterBatch) await afterBatch();
    if (count < batchSize) break;
  }
  await client.query(`CLOSE ${name}`);
}

/** Whether xid8 text a comes before b: both are decimal digits without leading zeros. */
export const xidBefore = (a: string, b: string) => a.length < b.length || (a.length === b.length && a < b);

/**
 * The leaf walk's columns, read as arrays: each leaf with what its event row says about it — the
 * one pass over merkle_leaves ⋈ events that the leaf↔event, leaf-order, back-dating and coverage
 * checks share (they were four joins run one after the other, each reading both tables again).
 * `differs` is null when the event row holds exactly the fields the leaf recorded (compared in the
 * database, so an untouched ledger sends no copy of them); the times are epoch microseconds.
 */
const LEAF_COLUMNS = [
  'l.leaf_index',
  'l.global_position',
  'l.stream_id',
  'l.revision',
  'l.event_id::text',
  'l.event_hash',
  'l.event_mac',
  'l.leaf_hash',
  'e.global_position IS NOT NULL',
  'e.transaction_id::text',
  'floor(extract(epoch FROM e.recorded_at) * 1000000)::float8',
  `CASE WHEN (e.stream_id, e.revision, e.event_id, e.hash, e.mac) IS DISTINCT FROM (l.stream_id, l.revision, l.event_id, l.event_hash, l.event_mac)
        THEN ARRAY[e.stream_id, e.revision::text, e.event_id::text, e.hash, e.mac] END`,
] as const;
type LeafRow = [
  leafIndex: string,
  globalPosition: string,
  streamId: string,
  revision: string,
  eventId: string,
  eventHash: string,
  eventMac: string,
  leafHash: string,
  present: boolean,
  xid: string | null,
  recordedUs: number | null,
  /** The event row's stream id, revision, event id, hash and MAC, when they differ from the leaf's. */
  differs: [string | null, string | null, string | null, string | null, string | null] | null,
];

/** ISO text of an epoch-microsecond time, to the millisecond (as the driver would give a Date). */
const isoOfMicros = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

/**
 * The checkpoints' times in tree-size order, from a cursor of their own: for each leaf in turn,
 * the latest checkpoint whose tree size is at most its index (the one it claims to predate if its
 * time is earlier). Leaf indexes must be asked in increasing order.
 */
class CheckpointTimes {
  private rows: [string, number][] = [];
  private at = 0;
  private exhausted = false;
  /** The last checkpoint passed: [tree size, created_at in epoch microseconds]. */
  current: [number, number] | null = null;

  constructor(
    private readonly client: Conn,
    private readonly batchSize: number,
  ) {}

  async open(): Promise<void> {
    await this.client.query(
      `DECLARE verify_checkpoint_times NO SCROLL CURSOR FOR
         SELECT tree_size, floor(extract(epoch FROM created_at) * 1000000)::float8 FROM merkle_checkpoints ORDER BY tree_size`,
    );
  }

  /** Moves past every checkpoint of tree size ≤ index; false when it must fetch more first. */
  advance(index: number): boolean {
    while (this.at < this.rows.length) {
      const row = this.rows[this.at]!;
      const size = Number(row[0]);
      if (size > index) return true;
      this.current = [size, row[1]];
      this.at++;
    }
    return this.exhausted;
  }

  async fetchAndAdvance(index: number): Promise<void> {
    while (!this.advance(index)) {
      const { rows } = await this.client.query<[string, number]>({ text: `FETCH ${this.batchSize} FROM verify_checkpoint_times`, rowMode: 'array' });
      this.rows = rows;
      this.at = 0;
      this.exhausted = rows.length < this.batchSize;
    }
  }

  async close(): Promise<void> {
    await this.client.query('CLOSE verify_checkpoint_times');
  }
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
  const fetchCheckpoints = async () => {
    const { rows } = await client.query<CheckpointRow>(`FETCH ${o.batchSize} FROM verify_checkpoints`);
    queue = rows.map(checkpointFromRow);
    if (rows.length < o.batchSize) exhausted = true;
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

  /**
   * Checks every checkpoint read so far whose tree size the walk has reached (all of them when
   * `final`); false when it must read more checkpoints first (then `settle` does). Synchronous, so
   * the leaf walk queries only once every batch of checkpoints.
   */
  const settleRead = (final: boolean): boolean => {
    for (;;) {
      const c = queue[0];
      if (!c) return exhausted;
      if (!(final || c.treeSize <= frontier.size)) return true;
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
  const settle = async (final: boolean) => {
    while (!settleRead(final)) await fetchCheckpoints();
  };

  // What the event checks beside the walk need to know before it: "now" for the coverage rule,
  // and the latest checkpoint's tree size (the leaves from there on are the ones it does not hold).
  const { rows: clock } = await client.query<{ now: Date }>('SELECT now() AS now');
  const coverageCutoff = (o.now ?? clock[0]!.now.getTime()) - o.checkpointIntervalMs - o.coverageGraceMs;
  const { rows: top } = await client.query<CheckpointRow>(
    'SELECT tree_size, root_hash, created_at, key_id, public_key, signature FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1',
  );
  const latest = top[0] ? checkpointFromRow(top[0]) : null;
  const covered = latest?.treeSize ?? 0;
  const notCheckpointed = (at: Omit<Mismatch, 'kind' | 'detail'>, recordedAt: string) =>
    findings.add({
      kind: 'events_not_checkpointed',
      ...at,
      detail: `recorded ${recordedAt}, yet no signed checkpoint covers it (latest: tree size ${covered}${latest ? `, ${latest.createdAt}` : ''}); the ledger signs one within ${o.checkpointIntervalMs / 1000} s: checkpoints were deleted or the log's tail cut (if the server was only stopped, run gongwen checkpoint)`,
    });
  const times = new CheckpointTimes(client, o.batchSize);
  await times.open();
  const backdateGraceUs = o.backdateGraceMs * 1000;
  const coverageCutoffUs = coverageCutoff * 1000;
  // The feed place of the last leaf whose event exists, for the leaf-order check.
  let prevXid: string | null = null;
  let prevPosition = 0;
  let prevLeaf = 0;
  let orderFindings = 0;
  let withEvents = 0;

  // The back-dating and coverage checks of one leaf (d and e below).
  const checkTimes = (index: number, recordedUs: number, at: Omit<Mismatch, 'kind' | 'detail'>) => {
    const claimed = times.current;
    if (claimed && recordedUs < claimed[1] - backdateGraceUs) {
      findings.add({
        kind: 'event_backdated',
        ...at,
        detail: `recorded_at ${isoOfMicros(recordedUs)} predates checkpoint ${claimed[0]} (${isoOfMicros(claimed[1])}), yet the event entered the log only at leaf ${index}`,
      });
    }
    if (index >= covered && recordedUs < coverageCutoffUs) notCheckpointed(at, isoOfMicros(recordedUs));
  };
  let nodes = { level: [] as number[], index: [] as number[], hash: [] as string[] };
  // One leaf's checks (a–e below); a promise only when the checkpoints' times must be read first.
  const walkLeaf = (row: LeafRow): Promise<void> | void => {
    leaves++;
    const index = Number(row[0]);
    const leaf = {
      streamId: row[2],
      revision: Number(row[3]),
      globalPosition: Number(row[1]),
      eventId: row[4],
      hash: row[5],
      mac: row[6],
    };
    if (index !== expectedIndex) {
      findings.add(
        { kind: 'leaf_gap', ...NO_PLACE, leafIndex: index, detail: `leaves ${expectedIndex}…${index - 1} are missing from the log (the next one found is ${index})` },
        leaf.globalPosition - 0.5,
      );
    }
    expectedIndex = index + 1;
    const computed = leafHash(leaf);
    if (computed.toString('hex') !== row[7]) {
      findings.add({
        kind: 'leaf_hash_mismatch',
        streamId: leaf.streamId,
        revision: leaf.revision,
        globalPosition: leaf.globalPosition,
        leafIndex: index,
        treeSize: null,
        detail: `leaf ${index}: stored leaf hash ${short(row[7])}, its fields hash to ${short(computed.toString('hex'))}`,
      });
    }
    frontier.append(computed, (node, hash) => {
      nodes.level.push(node.level);
      nodes.index.push(node.index);
      nodes.hash.push(hash.toString('hex'));
    });

    const at = { streamId: leaf.streamId, revision: leaf.revision, globalPosition: leaf.globalPosition, leafIndex: index, treeSize: null };
    if (!row[8]) {
      findings.add({ kind: 'event_missing', ...at, detail: `leaf ${index} records event ${leaf.eventId} (hash ${short(leaf.hash)}), which is no longer in the events table` });
      return;
    }
    withEvents++;
    const differs = row[11];
    if (differs) {
      const [streamId, revision, eventId, hash, mac] = differs;
      const texts: string[] = [];
      if (streamId !== leaf.streamId) texts.push(`stream ${streamId} ≠ ${leaf.streamId}`);
      if (Number(revision) !== leaf.revision) texts.push(`revision ${revision} ≠ ${leaf.revision}`);
      if (eventId !== leaf.eventId) texts.push(`event id ${eventId} ≠ ${leaf.eventId}`);
      if (hash !== leaf.hash) texts.push(`hash ${short(hash)} ≠ ${short(leaf.hash)}`);
      if (mac !== leaf.mac) texts.push(`mac ${short(mac)} ≠ ${short(leaf.mac)}`);
      findings.add({ kind: 'leaf_event_mismatch', ...at, detail: `the event row differs from what leaf ${index} recorded: ${texts.join('; ')}` });
    }
    const xid = row[9]!;
    if (prevXid !== null && !(xidBefore(prevXid, xid) || (prevXid === xid && prevPosition < leaf.globalPosition))) {
      orderFindings++;
      findings.add({
        kind: 'leaf_order_mismatch',
        ...at,
        detail: `leaf ${index} follows leaf ${prevLeaf} in the log, but its event's transaction id ${xid} puts it before that one's (${prevXid}) in the feed: transaction ids were rewritten`,
      });
    }
    prevXid = xid;
    prevPosition = leaf.globalPosition;
    prevLeaf = index;
    const recordedUs = row[10]!;
    if (!times.advance(index)) return times.fetchAndAdvance(index).then(() => checkTimes(index, recordedUs, at));
    checkTimes(index, recordedUs, at);
  };
  // 1. The leaves, each with its event row, in leaf order (one pass over merkle_leaves ⋈ events):
  //    a. dense, each one's fields hash to it, and together they rebuild every signed root. Any
  //       two checkpoints are then consistent, both being roots of prefixes of this one list —
  //       the check a consistency proof stands in for when leaves are at hand;
  //    b. each leaf against its event row: deleted events, rows rewritten after they were logged;
  //    c. the leaves follow the feed: in leaf order, every event's (transaction id, position)
  //       grows. The leaf index is fixed by the signed roots, so a transaction id rewritten
  //       afterwards to reorder the feed (and every rebuild) shows here; the chain walk checks
  //       each stream's feed order against its revisions;
  //    d. no event logged after a checkpoint it claims to predate: a checkpoint is signed right
  //       after sequencing, so it holds every event committed before it (less a grace for commit lag);
  //    e. no event logged but left beyond the latest signed checkpoint for longer than the
  //       interval allows.
  //    Each leaf is walked as pg parses it; the subtrees it completes are compared with
  //    merkle_nodes once its FETCH has ended (that needs the connection).
  await eachRow<LeafRow>(
    client,
    'verify_leaves',
    `SELECT ${LEAF_COLUMNS.join(', ')}
       FROM merkle_leaves l LEFT JOIN events e ON e.global_position = l.global_position
      ORDER BY l.leaf_index`,
    [],
    o.batchSize,
    (row) => (settleRead(false) ? walkLeaf(row) : settle(false).then(() => walkLeaf(row))),
    async () => {
      const made = nodes;
      nodes = { level: [], index: [], hash: [] };
      await checkNodes(made);
    },
  );
  await times.close();
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

  // 2. Events with no leaf. Inside the range the sequencer has passed they cannot be legitimate
  //    (it never steps over a committed row); beyond it they are pending — unless they claim a
  //    time before the latest checkpoint, which holds everything committed until it was signed.
  //    When the leaves found as many events as the table holds, and in strictly growing feed
  //    places (so no event was counted twice), every event has its leaf: the search is skipped.
  let notYetLogged = 0;
  const { rows: eventCount } = await client.query<{ n: number | string }>('SELECT count(*) AS n FROM events');
  if (orderFindings > 0 || Number(eventCount[0]!.n) !== withEvents) {
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
            notCheckpointed(at, row.recorded_at.toISOString());
          } else {
            notYetLogged++;
          }
        }
      },
    );
  }

  // 3. The sequencer's own state must agree with the leaves, or its next append would fork the log.
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
