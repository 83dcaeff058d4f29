import type pg from 'pg';
import type { EventRegistry } from '../../schemas/registry.ts';
import { keyIdOf } from './ledger-key.ts';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, type SignedCheckpoint } from './merkle-log.ts';
import { checkAttachments } from './verify-attachments.ts';
import { checkChains, checkOrphanStreams, streamSplitPoints, type ChainCheckOptions, type StreamRange } from './verify-chains.ts';
import { Findings, stripRank, type Mismatch, type MismatchKind } from './verify-findings.ts';
import { checkMerkleLog, type LogCheckOptions, type LogCheckResult } from './verify-log.ts';
import { loadRegistry, runInWorker, transferableConnection, type RegistryModule, type WorkerOutput } from './verify-workers.ts';

export type { Mismatch, MismatchKind } from './verify-findings.ts';
export type { RegistryModule } from './verify-workers.ts';

/**
 * `gongwen verify`: recomputes every tamper-evidence layer from the database and reports the
 * first event that does not match.
 *
 *  1. Each stream (verify-chains.ts): revisions 0,1,2,… without holes; each prev_hash is the hash
 *     before it; each hash recomputes over the RFC 8785 form of the row; each MAC recomputes with
 *     the ledger's key; the `streams` row agrees with the last event.
 *  2. The global Merkle log (verify-log.ts): leaves dense; each leaf's fields hash to it and equal
 *     its event row; every checkpoint is signed by the trusted key and its root equals the root
 *     recomputed from the leaves (so any two checkpoints are consistent); no event is missing from
 *     the range the log covers; no event claims to predate a checkpoint that does not hold it.
 *
 * Everything streams through server-side cursors in REPEATABLE READ, READ ONLY transactions that
 * share one exported snapshot: memory stays flat, the stream ranges and the log are checked by
 * worker threads side by side, and appends running meanwhile neither disturb the check nor wait
 * for it (a read-only transaction takes no transaction id, so feed readers never stall on it).
 */
export interface VerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  /** Stored attachments whose bytes were hashed against their SM3. */
  attachmentsChecked: number;
  leavesChecked: number;
  checkpointsChecked: number;
  /** Of those, how many had their signature verified (see SIGNATURE_SAMPLE_MS). */
  signaturesChecked: number;
  /** Whether the events' MACs were checked (only with the MAC key; the rest needs the public key alone). */
  macChecked: boolean;
  /** Leaves found in the log. */
  treeSize: number;
  /** Root recomputed from those leaves (SM3, hex). */
  root: string;
  latestCheckpoint: Pick<SignedCheckpoint, 'treeSize' | 'rootHash' | 'createdAt' | 'keyId'> | null;
  /** Committed events the sequencer has not reached yet (normal for the last moments of activity). */
  eventsNotYetLogged: number;
  /** The earliest mismatch in ledger order (by global position; those without one come last). */
  firstMismatch?: Mismatch;
  /** How many mismatches in all. */
  mismatches: number;
  /** The first few mismatches in ledger order, for the report. */
  samples: Mismatch[];
  /** Key id of the public key the checkpoints were checked against. */
  trustedKeyId: string;
  /** Worker threads that did the checking (0: all of it in the caller's thread). */
  workers: number;
  durationMs: number;
}

export interface VerifyOptions {
  /**
   * The HMAC-SM3 key of the event seals (LedgerKey.macKey), for whoever holds it; without it the
   * chains, the log and the checkpoints are checked with the public key alone, the MACs not.
   */
  macKey?: Buffer | null;
  /** The SM2 public key checkpoints must be signed with (the inspector's trusted copy). */
  publicKeyHex: string;
  /**
   * When given, every payload is also checked against its event schema. Worker threads can only
   * use a registry they can import: pass `{ module, export }`, or the application's own
   * `eventRegistry` (recognised). Any other registry object keeps the stream walk in this thread.
   */
  registry?: EventRegistry | RegistryModule;
  /** Rows per cursor fetch. */
  batchSize?: number;
  /**
   * How much older than a checkpoint an event's recorded_at may be and still legitimately be
   * missing from it: an append reads its clock before its transaction commits (statement and
   * idle timeouts bound that gap to well under this), and servers' clocks drift apart a little.
   */
  backdateGraceMs?: number;
  /** How many mismatches to keep for the report. */
  maxSamples?: number;
  /** The interval the sequencer signs checkpoints at (default DEFAULT_CHECKPOINT_INTERVAL_MS). */
  checkpointIntervalMs?: number;
  /** Slack on top of it before uncovered events are a finding (default one minute). */
  coverageGraceMs?: number;
  /** "Now" for that rule (default: the database clock). */
  now?: Date;
  /**
   * Worker threads: 0 = everything in this thread; 1 (default) = the Merkle log in a worker while
   * this thread walks the streams; n > 1 = the log plus n − 1 workers splitting the streams.
   * Each worker costs a few hundred milliseconds to start and its own JIT warm-up, so more only
   * pays on large ledgers and idle cores.
   */
  workers?: number;
}

const DEFAULTS = { batchSize: 5000, backdateGraceMs: 10 * 60_000, maxSamples: 20, checkpointIntervalMs: DEFAULT_CHECKPOINT_INTERVAL_MS, coverageGraceMs: 60_000 };

const isRegistry = (r: EventRegistry | RegistryModule): r is EventRegistry => typeof (r as EventRegistry).parse === 'function';

/** The application's registry is importable by workers; recognise it when handed over as an object. */
async function importableRegistry(registry: EventRegistry): Promise<RegistryModule | null> {
  const module = new URL('../../schemas/events/index.ts', import.meta.url).href;
  const mod = (await import(module)) as { eventRegistry?: EventRegistry };
  return mod.eventRegistry === registry ? { module, export: 'eventRegistry' } : null;
}

function ranges(splits: string[]): StreamRange[] {
  const bounds = [null, ...splits, null];
  return bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1] ?? null }));
}

/** A worker's result, or null when it could not run (the caller then does the work itself). */
async function settled(task: Promise<WorkerOutput>): Promise<Extract<WorkerOutput, { ok: true }> | null> {
  try {
    const out = await task;
    return out.ok ? out : null;
  } catch {
    return null;
  }
}

export async function verifyLedger(pool: pg.Pool, opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const o = { ...DEFAULTS, ...opts };
  const threads = Math.max(0, Math.floor(o.workers ?? 1));
  const findings = new Findings(o.maxSamples);
  const logOptions: LogCheckOptions = {
    publicKeyHex: o.publicKeyHex,
    batchSize: o.batchSize,
    backdateGraceMs: o.backdateGraceMs,
    maxSamples: o.maxSamples,
    checkpointIntervalMs: o.checkpointIntervalMs,
    coverageGraceMs: o.coverageGraceMs,
    ...(o.now ? { now: o.now.getTime() } : {}),
  };
  const chainBase = { macKey: o.macKey ? Uint8Array.from(o.macKey) : null, batchSize: o.batchSize, maxSamples: o.maxSamples };

  let registryObject: EventRegistry | null = null;
  let registryModule: RegistryModule | null = null;
  if (o.registry && isRegistry(o.registry)) {
    registryObject = o.registry;
    registryModule = await importableRegistry(o.registry);
  } else if (o.registry) {
    registryModule = o.registry;
  }

  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      // A long check is no stuck transaction: it writes nothing and holds back no feed reader.
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
      const connection = threads > 0 ? transferableConnection(pool) : null;

      let logTask: Promise<Extract<WorkerOutput, { ok: true }> | null> = Promise.resolve(null);
      let chainTasks: Promise<Extract<WorkerOutput, { ok: true }> | null>[] = [];
      if (connection) {
        const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
        const snapshot = rows[0]!.snapshot;
        logTask = settled(runInWorker({ task: 'log', options: logOptions, connection, snapshot }));
        // The first worker takes the log; any further ones split the streams between them.
        if (threads > 1 && (!o.registry || registryModule)) {
          const splits = await streamSplitPoints(client, threads - 1);
          chainTasks = ranges(splits).map((range) =>
            settled(runInWorker({ task: 'chains', options: { ...chainBase, registry: registryModule }, range, connection, snapshot })),
          );
        }
      }

      // Chains first, then the log: on a tie in ledger order the chain finding is the one named.
      const chainOutputs = await Promise.all(chainTasks);
      let chains: { events: number; streams: number };
      let workers = 0;
      if (chainTasks.length && chainOutputs.every((out) => out?.chains)) {
        chains = { events: 0, streams: 0 };
        for (const out of chainOutputs) {
          chains.events += out!.chains!.events;
          chains.streams += out!.chains!.streams;
          findings.merge(out!.findings);
        }
        workers += chainOutputs.length;
      } else {
        const registry = registryObject ?? (registryModule ? await loadRegistry(registryModule) : null);
        const options: ChainCheckOptions = { ...chainBase, registry };
        chains = await checkChains(client, options, findings);
      }
      await checkOrphanStreams(client, findings, o.maxSamples);
      const { attachments } = await checkAttachments(client, findings);

      const logOutput = await logTask;
      let log: LogCheckResult;
      if (logOutput?.log) {
        log = logOutput.log;
        findings.merge(logOutput.findings);
        workers++;
      } else {
        log = await checkMerkleLog(client, logOptions, findings);
      }
      await client.query('COMMIT');

      const first = findings.first ? stripRank(findings.first) : undefined;
      return {
        ok: findings.count === 0,
        eventsChecked: chains.events,
        attachmentsChecked: attachments,
        streamsChecked: chains.streams,
        leavesChecked: log.leaves,
        checkpointsChecked: log.checkpoints,
        signaturesChecked: log.signaturesChecked,
        macChecked: chainBase.macKey !== null,
        treeSize: log.treeSize,
        root: log.root,
        latestCheckpoint: log.latest,
        eventsNotYetLogged: log.notYetLogged,
        ...(first ? { firstMismatch: first } : {}),
        mismatches: findings.count,
        samples: findings.samples(),
        trustedKeyId: /^04[0-9a-fA-F]{128}$/.test(opts.publicKeyHex) ? keyIdOf(opts.publicKeyHex.toLowerCase()) : '(invalid key)',
        workers,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

// ——— the report, for people ———

const KIND_TEXT: Record<MismatchKind, { zh: string; en: string }> = {
  revision_gap: { zh: '流的版本号不连续：有事件被删除', en: 'a revision is missing from the stream: an event was deleted' },
  chain_broken: { zh: '哈希链断裂：该事件的前序哈希与上一事件不符', en: 'the hash chain is broken: prev_hash does not match the previous event' },
  hash_mismatch: { zh: '事件内容与其哈希不符：该记录写入后被改动过', en: 'the event no longer matches its hash: the row was altered after it was written' },
  mac_mismatch: { zh: '事件的密钥封印（MAC）无效：该记录不是账本写入的，是伪造插入的', en: 'the event’s keyed seal (MAC) is invalid: the row was not written by the ledger (forged)' },
  schema_invalid: { zh: '事件内容不符合其事件格式', en: 'the event payload fails its schema' },
  stream_head_mismatch: { zh: '流的当前版本记录与最后一个事件不符', en: 'the stream’s head row disagrees with its last event' },
  stream_row_missing: { zh: '事件所属的流没有流记录', en: 'events exist for a stream that has no stream row' },
  stream_without_events: { zh: '流记录存在，但其事件全部缺失', en: 'a stream row exists but all its events are gone' },
  leaf_gap: { zh: '全局日志的叶子编号不连续：日志记录被删除', en: 'leaves are missing from the global log' },
  leaf_hash_mismatch: { zh: '全局日志的叶子被改动过', en: 'a leaf of the global log was altered' },
  event_missing: { zh: '全局日志记载的事件已从事件表中删除', en: 'an event recorded in the global log has been deleted from the events table' },
  leaf_event_mismatch: { zh: '事件记录与全局日志所记载的不一致', en: 'the event row differs from what the global log recorded' },
  event_not_in_log: { zh: '事件不在全局日志中，却处于日志已覆盖的范围：被绕过账本插入', en: 'the event lies inside the logged range but has no leaf: inserted behind the ledger’s back' },
  event_backdated: { zh: '事件声称的记录时间早于一个并不包含它的已签名检查点：疑为补录倒签', en: 'the event claims a recording time before a signed checkpoint that does not contain it: back-dated' },
  checkpoint_signature_invalid: { zh: '检查点签名无效', en: 'a checkpoint’s signature does not verify' },
  checkpoint_root_mismatch: { zh: '检查点的树根与日志重新计算的结果不符', en: 'a checkpoint’s root differs from the root recomputed from the log' },
  checkpoint_beyond_log: { zh: '检查点覆盖的叶子多于日志现存的叶子：日志尾部被删除', en: 'a checkpoint covers more leaves than the log holds: its tail was deleted' },
  checkpoint_time_order: { zh: '检查点时间倒流', en: 'checkpoint times run backwards' },
  log_head_mismatch: { zh: '全局日志的当前状态与叶子不符', en: 'the log’s head disagrees with its leaves' },
  feed_order_broken: { zh: '事件在全局顺序中排在本流前一版本之前：重放顺序被篡改', en: 'the event comes before its stream’s previous revision in the feed: replay order was tampered with' },
  leaf_order_mismatch: { zh: '事件的事务号与全局日志的顺序不符：事务号被改写', en: 'the events’ transaction ids contradict the order of the log: transaction ids were rewritten' },
  merkle_node_mismatch: { zh: '全局日志的子树表（merkle_nodes）与叶子不符', en: 'the stored subtrees (merkle_nodes) disagree with the leaves' },
  events_not_checkpointed: { zh: '事件超过检查点间隔仍未被任何已签名检查点覆盖：检查点被删除或日志尾部被截断', en: 'events older than the checkpoint interval are covered by no signed checkpoint: checkpoints deleted or the log’s tail cut' },
  attachment_missing: { zh: '事件所记载的附件内容已不存在', en: 'an attachment an event names is no longer stored' },
  attachment_mismatch: { zh: '附件内容与事件记载的 SM3 摘要不符：附件被改动或调换', en: 'an attachment’s bytes do not match the SM3 digest its event names: altered or swapped' },
};

const num = (n: number) => n.toLocaleString('en-US');

export function describeMismatch(m: Mismatch, indent: string): string[] {
  const t = KIND_TEXT[m.kind];
  const lines = [`${indent}问题 problem:        ${t.zh}`, `${indent}                    (${t.en})`];
  if (m.streamId !== null) lines.push(`${indent}流 stream:          ${m.streamId}`);
  if (m.revision !== null) lines.push(`${indent}版本号 revision:    ${m.revision}`);
  if (m.globalPosition !== null) lines.push(`${indent}全局位置 global position: ${m.globalPosition}`);
  if (m.leafIndex !== null) lines.push(`${indent}日志叶子 leaf:      ${m.leafIndex}`);
  if (m.treeSize !== null) lines.push(`${indent}检查点 checkpoint:  树大小 tree size ${num(m.treeSize)}`);
  lines.push(`${indent}详情 detail:        ${m.detail}`);
  return lines;
}

export function oneLine(m: Mismatch): string {
  const where = [
    m.streamId !== null ? `流 ${m.streamId}` : null,
    m.revision !== null ? `版本 ${m.revision}` : null,
    m.globalPosition !== null ? `全局位置 ${m.globalPosition}` : null,
    m.leafIndex !== null ? `叶子 ${m.leafIndex}` : null,
    m.treeSize !== null ? `检查点 ${m.treeSize}` : null,
  ]
    .filter(Boolean)
    .join('，');
  return `${KIND_TEXT[m.kind].zh}${where ? `（${where}）` : ''} [${m.kind}]`;
}

export function formatVerifyReport(r: VerifyReport): string {
  const seconds = r.durationMs / 1000;
  // A rate over a blink of a run says nothing; show it only for runs long enough to mean it.
  const rate = seconds >= 1 ? ` (${num(Math.round(r.eventsChecked / seconds))} events/s)` : '';
  const summary = [
    `  事件 events:          ${num(r.eventsChecked)}，共 ${num(r.streamsChecked)} 条流 (streams)`,
    `  附件 attachments:     ${num(r.attachmentsChecked)} 个已按事件记载的 SM3 摘要校验 (bytes checked against their SM3)`,
    `  全局日志 Merkle log:  ${num(r.leavesChecked)} 个叶子 (leaves)，树根 root ${r.root} (SM3)`,
    `  检查点 checkpoints:   ${num(r.checkpointsChecked)} 个（验签 ${num(r.signaturesChecked)} 个 signatures checked），验签公钥 trusted key ${r.trustedKeyId}`,
    r.macChecked
      ? '  密钥封印 MACs:        已逐个校验 (every event MAC checked)'
      : '  密钥封印 MACs:        未校验：仅凭公钥校验 (not checked: public key only; the MAC key holder checks them)',
    r.latestCheckpoint
      ? `  最新检查点 latest:    树大小 tree size ${num(r.latestCheckpoint.treeSize)}，${r.latestCheckpoint.createdAt}，树根 root ${r.latestCheckpoint.rootHash}`
      : '  最新检查点 latest:    尚无 (none yet)',
    `  待记入日志 pending:   ${num(r.eventsNotYetLogged)} 个事件尚未进入全局日志 (events not yet sequenced)`,
    `  用时 took:            ${seconds.toFixed(1)} s${rate}`,
  ];
  if (r.ok) {
    return [
      '账本校验通过：未发现篡改 (ledger verified: no tampering found)',
      r.macChecked ? '  每条流的哈希链与密钥封印均正确，全局日志完整，检查点签名有效且相互一致' : '  每条流的哈希链均正确，全局日志完整，检查点签名有效且相互一致',
      r.macChecked
        ? '  (every hash chain and MAC recomputes; the log is complete; the checkpoints are validly signed and consistent)'
        : '  (every hash chain recomputes; the log is complete; the checkpoints are validly signed and consistent)',
      ...summary,
    ].join('\n');
  }
  const lines = [
    `账本校验未通过：发现 ${num(r.mismatches)} 处不一致 (ledger verification FAILED: ${num(r.mismatches)} mismatch${r.mismatches === 1 ? '' : 'es'})`,
    '',
    '第一处不一致 first mismatch:',
    ...describeMismatch(r.firstMismatch!, '  '),
  ];
  const others = r.samples.slice(1);
  if (others.length) {
    lines.push('', `其他不一致 other mismatches${r.mismatches > r.samples.length ? `（列出前 ${r.samples.length} 处 first ${r.samples.length} shown）` : ''}:`);
    for (const m of others) lines.push(`  - ${oneLine(m)}`);
  }
  lines.push('', '校验范围 scope:', ...summary);
  return lines.join('\n');
}
