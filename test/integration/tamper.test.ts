import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Actor } from '../../schemas/common.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { eventHash, eventMac } from '../../src/integrity/event-hash.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey, type LedgerKey } from '../../src/integrity/ledger-key.ts';
import { MerkleLog, type SignedCheckpoint } from '../../src/integrity/merkle-log.ts';
import { MerkleFrontier, sm3Merkle } from '../../src/integrity/merkle.ts';
import { formatVerifyReport, verifyLedger, type MismatchKind, type VerifyReport } from '../../src/integrity/verify-ledger.ts';
import { createTestDatabase } from '../support/database.ts';
import { OtherTestEvent, testRegistry } from '../support/test-registry.ts';
import { createEventRegistry } from '../../schemas/registry.ts';
import { defineEvent } from '../../schemas/define.ts';
import { z } from 'zod';

const clerk = (unit: string): Actor => ({ userId: `clerk-${unit}`, unitId: unit, role: 'CLERK' });
/** The test registry as worker threads can load it. */
const TEST_REGISTRY_MODULE = { module: new URL('../support/test-registry.ts', import.meta.url).href, export: 'testRegistry' };

interface Ledger {
  pool: pg.Pool;
  key: LedgerKey;
  log: MerkleLog;
  events: number;
  checkpoints: SignedCheckpoint[];
  verify(opts?: { registry?: boolean | 'module'; workers?: number; now?: Date; batchSize?: number }): Promise<VerifyReport>;
  at(streamId: string, revision: number): Promise<{ globalPosition: number; hash: string; recordedAt: Date }>;
  last(streamId: string): Promise<{ revision: number; hash: string }>;
}

/**
 * A small but realistic ledger: documents drafted, revised and sent by three units, deliveries
 * signed for and read by recipients, with a signed checkpoint half-way and one at the end.
 */
async function buildLedger(): Promise<Ledger> {
  const db = await createTestDatabase();
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: key.macKey });
  after(() => store.close());
  const log = new MerkleLog({ pool: db.pool, key, batchSize: 16, checkpointIntervalMs: 0 });
  const units = ['fyzf', 'fyfgw', 'fycz'];
  let n = 0;
  const write = (streamId: string, unit: string, items: { type: 'TestEvent' | 'OtherTestEvent'; data: unknown }[]) =>
    store.append(streamId, items, { expectedRevision: 'any', commandId: `cmd-${randomUUID()}`, actor: clerk(unit), correlationId: `corr-${streamId}` });

  const round = async (docs: number[]) => {
    for (const d of docs) {
      const unit = units[d % units.length]!;
      await write(`document-d${d}`, unit, [{ type: 'TestEvent', data: { n: n++, text: `关于做好${d}月份安全生产工作的通知` } }]);
      await write(`document-d${d}`, unit, [
        { type: 'OtherTestEvent', data: { label: `阜政办〔2025〕${d}号` } },
        { type: 'TestEvent', data: { n: n++, text: '签发' } },
      ]);
      for (const recipient of units.filter((u) => u !== unit)) {
        await write(`delivery-d${d}.${recipient}`, recipient, [{ type: 'OtherTestEvent', data: { label: '签收' } }]);
        await write(`delivery-d${d}.${recipient}`, recipient, [{ type: 'TestEvent', data: { n: n++, text: '已阅' } }]);
      }
    }
  };
  const checkpoints: SignedCheckpoint[] = [];
  await round([1, 2, 3, 4]);
  // checkpoint() catches up first: other test files' open transactions can hold the feed back.
  checkpoints.push(await log.checkpoint());
  await round([5, 6, 7]);
  // A second touch of an older document after the first checkpoint.
  await write('document-d2', 'fyfgw', [{ type: 'TestEvent', data: { n: n++, text: '归档' } }]);
  checkpoints.push(await log.checkpoint());
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  // Verdicts must not depend on how long the checks take on a busy machine: "now", for the rule
  // on events left outside every checkpoint, is when the ledger was built unless a test says.
  const builtAt = new Date();

  return {
    pool: db.pool,
    key,
    log,
    events: rows[0]!.n,
    checkpoints,
    verify: (opts = {}) =>
      verifyLedger(db.pool, {
        macKey: key.macKey,
        publicKeyHex: key.publicKeyHex,
        batchSize: opts.batchSize ?? 10,
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        now: opts.now ?? builtAt,
        ...(opts.registry === 'module' ? { registry: TEST_REGISTRY_MODULE } : opts.registry ? { registry: testRegistry } : {}),
      }),
    async at(streamId, revision) {
      const { rows: r } = await db.pool.query<{ global_position: number; hash: string; recorded_at: Date }>(
        'SELECT global_position, hash, recorded_at FROM events WHERE stream_id = $1 AND revision = $2',
        [streamId, revision],
      );
      assert.ok(r[0], `${streamId}@${revision} exists`);
      return { globalPosition: Number(r[0].global_position), hash: r[0].hash, recordedAt: r[0].recorded_at };
    },
    async last(streamId) {
      const { rows: r } = await db.pool.query<{ revision: number; last_hash: string }>('SELECT revision, last_hash FROM streams WHERE stream_id = $1', [streamId]);
      return { revision: Number(r[0]!.revision), hash: r[0]!.last_hash };
    },
  };
}

function assertFirst(report: VerifyReport, expected: { kind: MismatchKind; streamId: string | null; revision: number | null; globalPosition: number | null }) {
  assert.equal(report.ok, false, 'tampering must be detected');
  const first = report.firstMismatch!;
  assert.deepEqual(
    { kind: first.kind, streamId: first.streamId, revision: first.revision, globalPosition: first.globalPosition },
    expected,
    `first mismatch was ${JSON.stringify(first)}`,
  );
  const text = formatVerifyReport(report);
  assert.match(text, /账本校验未通过/);
  if (expected.streamId) assert.ok(text.includes(`流 stream:          ${expected.streamId}`), text);
  if (expected.revision !== null) assert.ok(text.includes(`版本号 revision:    ${expected.revision}`), text);
  if (expected.globalPosition !== null) assert.ok(text.includes(`全局位置 global position: ${expected.globalPosition}`), text);
}

/** Inserts a row as someone with SQL access but without the ledger key would. */
async function forge(l: Ledger, streamId: string, opts: { correctHash: boolean; recordedAt: Date; updateStreamRow: boolean }) {
  const tip = await l.last(streamId);
  const fields = {
    eventId: randomUUID(),
    type: 'TestEvent',
    schemaVersion: 1,
    streamId,
    revision: tip.revision + 1,
    occurredAt: opts.recordedAt.toISOString(),
    recordedAt: opts.recordedAt.toISOString(),
    actor: clerk('fyzf'),
    commandId: `cmd-${randomUUID()}`,
    correlationId: `corr-${streamId}`,
    causationId: null,
    data: { n: 424242, text: '补发的批示（伪造）' },
  };
  const hash = opts.correctHash ? eventHash(tip.hash, fields) : randomBytes(32).toString('hex');
  // Without the ledger key the best a forger can do is a MAC under some other key.
  const mac = eventMac(randomBytes(32), hash);
  const { rows } = await l.pool.query<{ global_position: number }>(
    `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, occurred_at, recorded_at, actor,
                         command_id, correlation_id, causation_id, prev_hash, hash, mac)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING global_position`,
    [streamId, fields.revision, fields.eventId, fields.type, 1, fields.data, fields.occurredAt, fields.recordedAt, fields.actor, fields.commandId, fields.correlationId, null, tip.hash, hash, mac],
  );
  if (opts.updateStreamRow) await l.pool.query('UPDATE streams SET revision = $2, last_hash = $3 WHERE stream_id = $1', [streamId, fields.revision, hash]);
  return { revision: fields.revision, globalPosition: Number(rows[0]!.global_position) };
}

describe('tamper evidence: verifyLedger names the first event that does not match', () => {
  test('(iv) an untouched ledger verifies clean', async () => {
    const l = await buildLedger();
    const report = await l.verify({ registry: true });
    assert.equal(report.ok, true, formatVerifyReport(report));
    assert.equal(report.mismatches, 0);
    assert.equal(report.firstMismatch, undefined);
    assert.equal(report.eventsChecked, l.events);
    assert.equal(report.leavesChecked, l.events);
    assert.equal(report.treeSize, l.events);
    assert.equal(report.streamsChecked, 7 + 7 * 2);
    assert.equal(report.checkpointsChecked, 2);
    assert.equal(report.root, l.checkpoints[1]!.rootHash);
    assert.equal(report.latestCheckpoint?.treeSize, l.events);
    assert.equal(report.eventsNotYetLogged, 0);
    assert.equal(report.trustedKeyId, l.key.keyId);
    assert.match(formatVerifyReport(report), /^账本校验通过/);

    // Events appended after the last checkpoint are pending, not tampering.
    const store = new PostgresEventStore({ pool: l.pool, registry: testRegistry, macKey: l.key.macKey });
    after(() => store.close());
    await store.append('document-d9', [{ type: 'TestEvent', data: { n: 1 } }], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor: clerk('fyzf') });
    const pending = await l.verify();
    assert.equal(pending.ok, true, formatVerifyReport(pending));
    assert.equal(pending.eventsNotYetLogged, 1);

    // A verifier holding a different key trusts none of the checkpoints and no MAC.
    const stranger = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
    const wrongKey = await verifyLedger(l.pool, { macKey: stranger.macKey, publicKeyHex: stranger.publicKeyHex });
    assert.equal(wrongKey.ok, false);
    assert.equal(wrongKey.firstMismatch?.kind, 'mac_mismatch');
  });

  test('(i) an event whose payload was changed with UPDATE', async () => {
    const l = await buildLedger();
    const target = await l.at('document-d3', 1);
    await l.pool.query(`UPDATE events SET data = jsonb_set(data, '{label}', '"阜政办〔2025〕99号"') WHERE stream_id = 'document-d3' AND revision = 1`);
    const report = await l.verify();
    assertFirst(report, { kind: 'hash_mismatch', streamId: 'document-d3', revision: 1, globalPosition: target.globalPosition });
    assert.equal(report.mismatches, 1, JSON.stringify(report.samples));
  });

  test('(i) an event back-dated with UPDATE of its time', async () => {
    const l = await buildLedger();
    const target = await l.at('delivery-d5.fyzf', 0);
    await l.pool.query(`UPDATE events SET occurred_at = occurred_at - interval '3 days' WHERE stream_id = 'delivery-d5.fyzf' AND revision = 0`);
    const report = await l.verify();
    assertFirst(report, { kind: 'hash_mismatch', streamId: 'delivery-d5.fyzf', revision: 0, globalPosition: target.globalPosition });
  });

  test('(ii) an event removed with DELETE from the middle of its stream', async () => {
    const l = await buildLedger();
    const target = await l.at('document-d4', 1);
    await l.pool.query(`DELETE FROM events WHERE stream_id = 'document-d4' AND revision = 1`);
    const report = await l.verify();
    assertFirst(report, { kind: 'event_missing', streamId: 'document-d4', revision: 1, globalPosition: target.globalPosition });
    assert.deepEqual(report.samples.map((m) => m.kind).sort(), ['event_missing', 'revision_gap']);
  });

  test('(ii) the last event of a stream removed, the stream row rewound to hide it', async () => {
    const l = await buildLedger();
    const target = await l.at('document-d2', 3);
    const previous = await l.at('document-d2', 2);
    await l.pool.query(`DELETE FROM events WHERE stream_id = 'document-d2' AND revision = 3`);
    await l.pool.query(`UPDATE streams SET revision = 2, last_hash = $1 WHERE stream_id = 'document-d2'`, [previous.hash]);
    const report = await l.verify();
    // The chains alone cannot see a clean truncation; the log remembers the event.
    assertFirst(report, { kind: 'event_missing', streamId: 'document-d2', revision: 3, globalPosition: target.globalPosition });
    assert.equal(report.mismatches, 1);
  });

  test('(iii) a forged event INSERTed with a wrong hash', async () => {
    const l = await buildLedger();
    const forged = await forge(l, 'document-d5', { correctHash: false, recordedAt: new Date(), updateStreamRow: false });
    const report = await l.verify();
    assertFirst(report, { kind: 'hash_mismatch', streamId: 'document-d5', revision: forged.revision, globalPosition: forged.globalPosition });
    assert.ok(report.samples.some((m) => m.kind === 'stream_head_mismatch' && m.streamId === 'document-d5'));
  });

  test('(iii) a forged, back-dated event INSERTed with a correctly recomputed SM3 chain but no valid MAC', async () => {
    const l = await buildLedger();
    const backdated = new Date(Date.parse(l.checkpoints[0]!.createdAt) - 3600_000);
    const forged = await forge(l, 'document-d6', { correctHash: true, recordedAt: backdated, updateStreamRow: true });
    const report = await l.verify();
    assertFirst(report, { kind: 'mac_mismatch', streamId: 'document-d6', revision: forged.revision, globalPosition: forged.globalPosition });
    assert.deepEqual(report.samples.map((m) => m.kind), ['mac_mismatch', 'event_backdated']);

    // Once the sequencer has logged the forged row, the MAC still gives it away, and so does its date.
    await l.log.catchUp();
    const later = await l.verify();
    assertFirst(later, { kind: 'mac_mismatch', streamId: 'document-d6', revision: forged.revision, globalPosition: forged.globalPosition });
    assert.deepEqual(later.samples.map((m) => m.kind), ['mac_mismatch', 'event_backdated']);
  });

  test('the verdict is the same in one thread or spread over workers', async () => {
    const l = await buildLedger();
    // Several kinds of damage at once, in different streams (so in different worker ranges).
    await l.pool.query(`UPDATE events SET data = '{"n": "x"}' WHERE stream_id = 'document-d7' AND revision = 0`);
    await l.pool.query(`DELETE FROM events WHERE stream_id = 'delivery-d1.fyzf' AND revision = 0`);
    await forge(l, 'document-d3', { correctHash: true, recordedAt: new Date(Date.parse(l.checkpoints[0]!.createdAt) - 3600_000), updateStreamRow: true });
    const reports = [];
    for (const workers of [0, 1, 2, 4]) {
      const report = await l.verify({ registry: 'module', workers });
      assert.equal(report.workers, workers, 'each worker ran (none fell back to the main thread)');
      reports.push(report);
    }
    reports.push(await l.verify({ registry: true, workers: 3 }));
    assert.equal(reports[4]!.workers, 1, 'a registry object workers cannot import keeps the streams in the main thread');
    const verdict = ({ durationMs: _d, workers: _w, ...rest }: VerifyReport) => rest;
    for (const r of reports.slice(1)) assert.deepEqual(verdict(r), verdict(reports[0]!));
    const kinds = reports[0]!.samples.map((m) => m.kind).sort();
    assert.deepEqual(kinds, ['event_backdated', 'event_missing', 'hash_mismatch', 'mac_mismatch', 'revision_gap', 'schema_invalid']);
    assert.equal(reports[0]!.firstMismatch?.kind, 'event_missing');
    assert.equal(reports[0]!.firstMismatch?.streamId, 'delivery-d1.fyzf');
  });

  test('a checkpoint whose root was rewritten fails its signature', async () => {
    const l = await buildLedger();
    await l.pool.query(`UPDATE merkle_checkpoints SET root_hash = $1 WHERE tree_size = $2`, ['ab'.repeat(32), l.checkpoints[0]!.treeSize]);
    const report = await l.verify();
    assert.equal(report.ok, false);
    assert.equal(report.firstMismatch?.kind, 'checkpoint_signature_invalid');
    assert.equal(report.firstMismatch?.treeSize, l.checkpoints[0]!.treeSize);
    assert.deepEqual(report.samples.map((m) => m.kind), ['checkpoint_signature_invalid', 'checkpoint_root_mismatch']);
    assert.match(formatVerifyReport(report), /检查点签名无效/);
  });

  test('an event deleted together with its leaf is still named, from the hole it leaves', async () => {
    const l = await buildLedger();
    const { rows } = await l.pool.query<{ leaf_index: number; global_position: number; stream_id: string; revision: number }>(
      'SELECT leaf_index, global_position, stream_id, revision FROM merkle_leaves WHERE leaf_index = 9',
    );
    const leaf = rows[0]!;
    await l.pool.query('DELETE FROM merkle_leaves WHERE leaf_index = 9');
    const report = await l.verify();
    // The event row is still there but the sequencer had passed it: it cannot be legitimately unlogged.
    assertFirst(report, { kind: 'event_not_in_log', streamId: leaf.stream_id, revision: Number(leaf.revision), globalPosition: Number(leaf.global_position) });
    assert.ok(report.samples.some((m) => m.kind === 'leaf_gap'));
    assert.ok(report.samples.some((m) => m.kind === 'checkpoint_root_mismatch'));
  });

  test('events the ledger sealed are still parsed when their schema version is not the registry’s current one', async () => {
    const l = await buildLedger();
    // The same ledger read by code whose TestEvent is at version 2 (and no upcaster): the rows'
    // hashes and MACs are all the ledger's, yet every TestEvent is named, none skipped as proven.
    const newer = createEventRegistry([defineEvent('TestEvent', 2, z.object({ n: z.number().int(), text: z.string().optional() })), OtherTestEvent]);
    const report = await verifyLedger(l.pool, { macKey: l.key.macKey, publicKeyHex: l.key.publicKeyHex, registry: newer, now: new Date(Date.now() + 60_000), workers: 0 });
    const { rows } = await l.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'TestEvent'`);
    assert.ok(rows[0]!.n > 0);
    assert.equal(report.mismatches, rows[0]!.n);
    assert.ok(report.samples.every((m) => m.kind === 'schema_invalid' && /schemaVersion 1 is not the current 2/.test(m.detail)), JSON.stringify(report.samples[0]));
  });

  test('a payload that breaks its schema is reported when a registry is given', async () => {
    const l = await buildLedger();
    const target = await l.at('document-d1', 0);
    await l.pool.query(`UPDATE events SET data = '{"n": "not a number"}' WHERE stream_id = 'document-d1' AND revision = 0`);
    const report = await l.verify({ registry: true });
    assertFirst(report, { kind: 'hash_mismatch', streamId: 'document-d1', revision: 0, globalPosition: target.globalPosition });
    assert.ok(report.samples.some((m) => m.kind === 'schema_invalid' && m.globalPosition === target.globalPosition));
  });
});

/** An inspector running verify an hour after the ledger went quiet. */
const anHourLater = () => new Date(Date.now() + 3600_000);

/** Rebuilds merkle_head from the leaves left, as an insider covering a cut would. */
async function rebuildHead(l: Ledger) {
  const { rows } = await l.pool.query<{ leaf_hash: string; xid: string; global_position: string }>(
    `SELECT l.leaf_hash, e.transaction_id::text AS xid, l.global_position
       FROM merkle_leaves l JOIN events e ON e.global_position = l.global_position ORDER BY l.leaf_index`,
  );
  const frontier = MerkleFrontier.empty(sm3Merkle);
  for (const r of rows) frontier.append(Buffer.from(r.leaf_hash, 'hex'));
  const last = rows.at(-1)!;
  await l.pool.query(`DELETE FROM merkle_nodes WHERE (node_index + 1) * (1::bigint << level) > $1`, [frontier.size]);
  await l.pool.query('UPDATE merkle_head SET tree_size = $1, frontier = $2, last_transaction_id = $3::xid8, last_global_position = $4', [
    frontier.size,
    frontier.subtreeHashes.map((h) => h.toString('hex')),
    last.xid,
    last.global_position,
  ]);
}

describe('tamper evidence: replay order, checkpoints and the derived log tables (issue 9, items 9 and 10)', () => {
  test('swapping two logged events’ transaction ids (reordering the feed) is caught', async () => {
    const l = await buildLedger();
    const a = await l.at('document-d1', 0);
    const b = await l.at('delivery-d6.fyfgw', 1);
    await l.pool.query(
      `UPDATE events e SET transaction_id = s.other
         FROM (SELECT x.global_position, y.transaction_id AS other FROM events x, events y
                WHERE (x.global_position, y.global_position) IN (($1::bigint, $2::bigint), ($2::bigint, $1::bigint))) s
        WHERE e.global_position = s.global_position`,
      [a.globalPosition, b.globalPosition],
    );
    const report = await l.verify();
    assert.equal(report.ok, false, formatVerifyReport(report));
    assert.ok(report.samples.some((m) => m.kind === 'leaf_order_mismatch'), JSON.stringify(report.samples));
    assert.match(formatVerifyReport(report), /事务号被改写/);
  });

  test('a stream replayed out of revision order by its transaction ids is caught, before the log has it too', async () => {
    const l = await buildLedger();
    // Appended after the last checkpoint and not yet sequenced: only the chain walk can see it.
    const store = new PostgresEventStore({ pool: l.pool, registry: testRegistry, macKey: l.key.macKey });
    after(() => store.close());
    const write = () => store.append('document-d9', [{ type: 'TestEvent', data: { n: 1 } }], { expectedRevision: 'any', commandId: `cmd-${randomUUID()}`, actor: clerk('fyzf') });
    await write();
    await write();
    const first = await l.at('document-d9', 0);
    const second = await l.at('document-d9', 1);
    await l.pool.query(
      `UPDATE events SET transaction_id = CASE global_position WHEN $1::bigint THEN (SELECT transaction_id FROM events WHERE global_position = $2::bigint)
                                                               ELSE (SELECT transaction_id FROM events WHERE global_position = $1::bigint) END
        WHERE global_position IN ($1::bigint, $2::bigint)`,
      [first.globalPosition, second.globalPosition],
    );
    const report = await l.verify();
    assert.equal(report.ok, false, formatVerifyReport(report));
    const found = report.samples.find((m) => m.kind === 'feed_order_broken');
    assert.ok(found, JSON.stringify(report.samples));
    assert.equal(found.streamId, 'document-d9');
  });

  test('deleting every checkpoint is a finding once the checkpoint interval has passed', async () => {
    const l = await buildLedger();
    const clean = await l.verify({ now: anHourLater() });
    assert.equal(clean.ok, true, formatVerifyReport(clean));
    await l.pool.query('DELETE FROM merkle_checkpoints');
    const report = await l.verify({ now: anHourLater() });
    assert.equal(report.ok, false, formatVerifyReport(report));
    assert.equal(report.firstMismatch?.kind, 'events_not_checkpointed');
    assert.equal(report.firstMismatch?.leafIndex, 0);
    assert.match(formatVerifyReport(report), /未被任何已签名检查点覆盖/);
  });

  test('cutting the last 20 events with the checkpoint above them and rebuilding merkle_head is caught', async () => {
    const l = await buildLedger();
    const { rows: cut } = await l.pool.query<{ global_position: string; stream_id: string }>(
      'SELECT global_position, stream_id FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 20',
    );
    const positions = cut.map((r) => r.global_position);
    await l.pool.query('DELETE FROM events WHERE global_position = ANY($1::bigint[])', [positions]);
    await l.pool.query('DELETE FROM merkle_leaves WHERE global_position = ANY($1::bigint[])', [positions]);
    await l.pool.query('DELETE FROM merkle_checkpoints WHERE tree_size > (SELECT count(*) FROM merkle_leaves)');
    // The streams rows rewound to their last surviving event, or removed with it.
    await l.pool.query(`DELETE FROM streams s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)`);
    await l.pool.query(
      `UPDATE streams s SET revision = t.revision, last_hash = t.hash
         FROM (SELECT DISTINCT ON (stream_id) stream_id, revision, hash FROM events ORDER BY stream_id, revision DESC) t
        WHERE t.stream_id = s.stream_id`,
    );
    await rebuildHead(l);
    const report = await l.verify({ now: anHourLater() });
    assert.equal(report.ok, false, formatVerifyReport(report));
    assert.equal(report.firstMismatch?.kind, 'events_not_checkpointed', JSON.stringify(report.samples));
    assert.ok(report.firstMismatch!.leafIndex! >= l.checkpoints[0]!.treeSize);
  });

  test('deleting or editing merkle_nodes is caught by verify, not first by export-document', async () => {
    const l = await buildLedger();
    await l.pool.query('DELETE FROM merkle_nodes WHERE level = 2');
    const report = await l.verify();
    assert.equal(report.ok, false, formatVerifyReport(report));
    assert.equal(report.firstMismatch?.kind, 'merkle_node_mismatch');
    assert.match(report.firstMismatch!.detail, /missing from merkle_nodes/);

    const other = await buildLedger();
    await other.pool.query(`UPDATE merkle_nodes SET hash = $1 WHERE level = 1 AND node_index = 3`, ['cd'.repeat(32)]);
    const edited = await other.verify();
    assert.equal(edited.firstMismatch?.kind, 'merkle_node_mismatch');
    assert.equal(edited.firstMismatch?.leafIndex, 6);
  });

  test('merkle_nodes read level by level beside the walk: a hole mid-level is named alone, and a stray row is counted', async () => {
    // batchSize 10: level 1's ~38 subtrees come in several fetches, so the hole lies past the first.
    const l = await buildLedger();
    await l.pool.query('DELETE FROM merkle_nodes WHERE level = 1 AND node_index = 17');
    const report = await l.verify();
    const nodeFindings = report.samples.filter((m) => m.kind === 'merkle_node_mismatch');
    // The hole, then the count; the subtrees after it on the same level still compare equal.
    assert.equal(nodeFindings.length, 2, formatVerifyReport(report));
    assert.equal(nodeFindings[0]!.leafIndex, 34);
    assert.match(nodeFindings[0]!.detail, /subtree 1\/17 is missing from merkle_nodes/);
    assert.match(nodeFindings[1]!.detail, /holds \d+ subtrees, the leaves make \d+/);

    const other = await buildLedger();
    await other.pool.query(`INSERT INTO merkle_nodes (level, node_index, hash) VALUES (1, 100000, $1)`, ['ab'.repeat(32)]);
    const stray = await other.verify();
    assert.deepEqual(
      stray.samples.map((m) => m.kind),
      ['merkle_node_mismatch'],
      formatVerifyReport(stray),
    );
    assert.match(stray.samples[0]!.detail, /holds \d+ subtrees, the leaves make \d+/);
  });
});

describe('tamper evidence: the one pass over merkle_leaves ⋈ events still makes every leaf check (issue 16, item 5)', () => {
  test('a leaf whose recorded MAC was rewritten: its hash, its event row and the roots all disagree', async () => {
    const l = await buildLedger();
    const target = await l.at('document-d2', 1);
    const { rows } = await l.pool.query<{ leaf_index: string }>('SELECT leaf_index FROM merkle_leaves WHERE global_position = $1', [target.globalPosition]);
    const leafIndex = Number(rows[0]!.leaf_index);
    await l.pool.query('UPDATE merkle_leaves SET event_mac = $2 WHERE global_position = $1', [target.globalPosition, 'ef'.repeat(32)]);
    for (const workers of [0, 1]) {
      const report = await l.verify({ workers });
      assertFirst(report, { kind: 'leaf_hash_mismatch', streamId: 'document-d2', revision: 1, globalPosition: target.globalPosition });
      assert.equal(report.firstMismatch!.leafIndex, leafIndex);
      assert.match(report.firstMismatch!.detail, new RegExp(`^leaf ${leafIndex}: stored leaf hash [0-9a-f]+…?, its fields hash to`));
      const mismatch = report.samples.find((m) => m.kind === 'leaf_event_mismatch');
      assert.ok(mismatch, JSON.stringify(report.samples));
      assert.equal(mismatch.globalPosition, target.globalPosition);
      assert.match(mismatch.detail, new RegExp(`^the event row differs from what leaf ${leafIndex} recorded: mac \\S+ ≠ \\S+$`));
      assert.ok(report.samples.some((m) => m.kind === 'checkpoint_root_mismatch'), JSON.stringify(report.samples));
    }
  });

  test('an event row moved to another stream and revision is named against its leaf, field by field', async () => {
    const l = await buildLedger();
    const target = await l.at('delivery-d3.fycz', 1);
    await l.pool.query(`UPDATE events SET stream_id = 'delivery-d3.fyzf', revision = 7 WHERE global_position = $1`, [target.globalPosition]);
    const report = await l.verify();
    const mismatch = report.samples.find((m) => m.kind === 'leaf_event_mismatch');
    assert.ok(mismatch, JSON.stringify(report.samples));
    assert.equal(mismatch.streamId, 'delivery-d3.fycz');
    assert.equal(mismatch.revision, 1);
    assert.match(mismatch.detail, /stream delivery-d3\.fyzf ≠ delivery-d3\.fycz; revision 7 ≠ 1$/);
  });

  test('a logged event whose transaction id was moved back is named as out of the leaves’ order', async () => {
    const l = await buildLedger();
    const { rows } = await l.pool.query<{ leaf_index: string; global_position: string }>('SELECT leaf_index, global_position FROM merkle_leaves WHERE leaf_index IN (20, 21) ORDER BY leaf_index');
    // Leaf 21's event takes a transaction id before leaf 20's: the feed would now replay it first.
    await l.pool.query(`UPDATE events SET transaction_id = (SELECT (transaction_id::text::bigint - 1)::text::xid8 FROM events WHERE global_position = $1) WHERE global_position = $2`, [
      rows[0]!.global_position,
      rows[1]!.global_position,
    ]);
    for (const workers of [0, 1]) {
      const report = await l.verify({ workers });
      const found = report.samples.filter((m) => m.kind === 'leaf_order_mismatch');
      assert.equal(found.length, 1, JSON.stringify(report.samples));
      assert.equal(found[0]!.leafIndex, 21);
      assert.match(found[0]!.detail, /^leaf 21 follows leaf 20 in the log, but its event's transaction id \d+ puts it before that one's \(\d+\) in the feed/);
    }
  });

  test('a logged event dated before the checkpoint that does not hold it is named with both times', async () => {
    const l = await buildLedger();
    const cp = l.checkpoints[0]!;
    // The first event logged after the first checkpoint, its recorded_at moved an hour before it.
    const { rows } = await l.pool.query<{ global_position: string }>('SELECT global_position FROM merkle_leaves WHERE leaf_index = $1', [cp.treeSize]);
    const position = Number(rows[0]!.global_position);
    await l.pool.query(`UPDATE events SET recorded_at = $2::timestamptz - interval '1 hour' WHERE global_position = $1`, [position, cp.createdAt]);
    const report = await l.verify({ workers: 0 });
    const found = report.samples.find((m) => m.kind === 'event_backdated');
    assert.ok(found, JSON.stringify(report.samples));
    assert.equal(found.globalPosition, position);
    assert.equal(found.leafIndex, cp.treeSize);
    const hourBefore = new Date(Date.parse(cp.createdAt) - 3600_000).toISOString();
    assert.equal(found.detail, `recorded_at ${hourBefore} predates checkpoint ${cp.treeSize} (${cp.createdAt}), yet the event entered the log only at leaf ${cp.treeSize}`);
    // The leaf just before the checkpoint's size is held by it: the same date there is no finding.
    const inside = await buildLedger();
    const { rows: before } = await inside.pool.query<{ global_position: string }>('SELECT global_position FROM merkle_leaves WHERE leaf_index = $1', [inside.checkpoints[0]!.treeSize - 1]);
    await inside.pool.query(`UPDATE events SET recorded_at = $2::timestamptz - interval '1 hour' WHERE global_position = $1`, [before[0]!.global_position, inside.checkpoints[0]!.createdAt]);
    const report2 = await inside.verify({ workers: 0 });
    assert.ok(!report2.samples.some((m) => m.kind === 'event_backdated'), JSON.stringify(report2.samples));
  });

  test('an event deleted and another slipped in unlogged keep the count equal, and both are still named', async () => {
    const l = await buildLedger();
    const gone = await l.at('delivery-d4.fyzf', 1);
    await l.pool.query('DELETE FROM events WHERE global_position = $1', [gone.globalPosition]);
    // Dated before the last checkpoint, which cannot hold it: as many events as before, one without a leaf.
    const forged = await forge(l, 'document-d7', { correctHash: true, recordedAt: new Date(Date.parse(l.checkpoints[1]!.createdAt) - 3600_000), updateStreamRow: true });
    const { rows } = await l.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    assert.equal(rows[0]!.n, l.events);
    const report = await l.verify();
    assert.ok(report.samples.some((m) => m.kind === 'event_missing' && m.globalPosition === gone.globalPosition), JSON.stringify(report.samples));
    const backdated = report.samples.find((m) => m.kind === 'event_backdated' && m.globalPosition === forged.globalPosition);
    assert.ok(backdated, JSON.stringify(report.samples));
    assert.match(backdated.detail, /predates the latest checkpoint/);
  });

  test('rows are walked as pg parses them: every FETCH size gives the same verdict, in both halves', async () => {
    // Damage for each check that queries mid-walk: a checkpoint or checkpoint time read while a
    // FETCH's rows wait (batch sizes 1–3 against two checkpoints), merkle_nodes compared after
    // each FETCH, streams rows read for the streams a FETCH finished.
    const l = await buildLedger();
    const cp = l.checkpoints[0]!;
    await l.pool.query(`UPDATE events SET data = '{"n": "x"}' WHERE stream_id = 'document-d7' AND revision = 0`);
    await l.pool.query(`DELETE FROM events WHERE stream_id = 'delivery-d1.fyzf' AND revision = 0`);
    await l.pool.query('UPDATE streams SET revision = 7 WHERE stream_id = $1', ['document-d5']);
    await l.pool.query('DELETE FROM merkle_nodes WHERE level = 1 AND node_index = 17');
    const { rows } = await l.pool.query<{ global_position: string }>('SELECT global_position FROM merkle_leaves WHERE leaf_index = $1', [cp.treeSize + 3]);
    await l.pool.query(`UPDATE events SET recorded_at = $2::timestamptz - interval '1 hour' WHERE global_position = $1`, [rows[0]!.global_position, cp.createdAt]);
    const verdict = ({ durationMs: _d, workers: _w, ...rest }: VerifyReport) => rest;
    const reference = verdict(await l.verify({ workers: 0, batchSize: 5000 }));
    assert.deepEqual(
      [...new Set(reference.samples.map((m) => m.kind))].sort(),
      ['event_backdated', 'event_missing', 'hash_mismatch', 'merkle_node_mismatch', 'revision_gap', 'stream_head_mismatch'],
      JSON.stringify(reference.samples),
    );
    for (const batchSize of [1, 2, 3, 10]) {
      for (const workers of [0, 1]) {
        assert.deepEqual(verdict(await l.verify({ workers, batchSize })), reference, `batch size ${batchSize}, ${workers} worker(s)`);
      }
    }
  });
});
