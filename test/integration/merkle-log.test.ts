import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Actor } from '../../schemas/common.ts';
import { createPool } from '../../src/db/database.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../../src/integrity/ledger-key.ts';
import {
  checkpointText,
  leafHash,
  MerkleLog,
  verifyCheckpoint,
  verifyConsistencyProof,
  verifyInclusionProof,
  type SignedCheckpoint,
} from '../../src/integrity/merkle-log.ts';
import { rootFromLeafHashes, sm3Merkle } from '../../src/integrity/merkle.ts';
import { createTestDatabase } from '../support/database.ts';
import { testRegistry } from '../support/test-registry.ts';

const actor: Actor = { userId: 'clerk-1', unitId: 'unit-1', role: 'CLERK' };

async function setup(opts: { batchSize?: number } = {}) {
  const db = await createTestDatabase();
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new PostgresEventStore({ pool: db.pool, registry: testRegistry, macKey: key.macKey, pollIntervalMs: 50 });
  after(() => store.close());
  const log = new MerkleLog({ pool: db.pool, key, batchSize: opts.batchSize ?? 7, checkpointIntervalMs: 0 });
  let n = 0;
  const append = async (streamId: string, count = 1) => {
    const events = Array.from({ length: count }, () => ({ type: 'TestEvent', data: { n: n++, text: `第${n}号通知` } }));
    return store.append(streamId, events, { expectedRevision: 'any', commandId: `cmd-${randomUUID()}`, actor });
  };
  return { db, key, store, log, append };
}

/** Every event in feed order, as the sequencer must have logged them. */
async function feedOrder(pool: pg.Pool) {
  const { rows } = await pool.query<{ global_position: number; stream_id: string; revision: number; event_id: string; hash: string; mac: string }>(
    `SELECT global_position, stream_id, revision, event_id::text AS event_id, hash, mac FROM events ORDER BY transaction_id, global_position`,
  );
  return rows.map((r) => ({ streamId: r.stream_id, revision: Number(r.revision), globalPosition: Number(r.global_position), eventId: r.event_id, hash: r.hash, mac: r.mac }));
}

describe('MerkleLog', () => {
  test('an empty log signs the empty tree on demand only', async () => {
    const { log, key } = await setup();
    assert.equal((await log.sequence()).checkpoint, null, 'sequencing an empty ledger signs nothing');
    const cp = await log.checkpoint();
    assert.equal(cp.treeSize, 0);
    assert.equal(cp.rootHash, sm3Merkle.emptyRoot().toString('hex'));
    assert.ok(verifyCheckpoint(cp, key.publicKeyHex));
    assert.deepEqual(await log.checkpoint(), cp, 'nothing new: the same checkpoint, not a second one');
    await assert.rejects(log.inclusionProof(1), (e: unknown) => e instanceof Refusal && e.code === 'NOT_FOUND');
  });

  test('sequences every committed event in feed order and signs checkpoints an inspector can check', async () => {
    const { db, key, log, append } = await setup();
    for (let s = 0; s < 6; s++) await append(`document-d${s}`, 1 + (s % 3));
    await append('document-d0', 2);

    // catchUp, not one sequence(): other test files' open transactions can hold the feed back.
    const first = await log.catchUp();
    const events = await feedOrder(db.pool);
    assert.equal(first.appended, events.length);
    assert.equal(first.treeSize, events.length);
    assert.equal(first.sequenced, true);
    const cp1 = first.checkpoint!;
    assert.equal(cp1.treeSize, events.length);
    assert.ok(verifyCheckpoint(cp1, key.publicKeyHex));
    assert.ok(key.verify(checkpointText(cp1), cp1.signature));
    assert.equal(cp1.keyId, key.keyId);
    assert.match(cp1.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The leaves are exactly the events, in feed order, and the signed root is their MTH.
    const { rows: leaves } = await db.pool.query<{ leaf_index: number; global_position: number; leaf_hash: string }>(
      'SELECT leaf_index, global_position, leaf_hash FROM merkle_leaves ORDER BY leaf_index',
    );
    assert.deepEqual(leaves.map((l) => Number(l.leaf_index)), events.map((_, i) => i));
    assert.deepEqual(leaves.map((l) => Number(l.global_position)), events.map((e) => e.globalPosition));
    assert.deepEqual(leaves.map((l) => l.leaf_hash), events.map((e) => leafHash(e).toString('hex')));
    assert.equal(rootFromLeafHashes(sm3Merkle, events.map(leafHash)).toString('hex'), cp1.rootHash);

    // Nothing new: no leaves, no new checkpoint.
    const again = await log.sequence();
    assert.equal(again.appended, 0);
    assert.deepEqual(again.checkpoint, cp1);

    // A signature over a different text fails.
    assert.equal(verifyCheckpoint({ ...cp1, treeSize: cp1.treeSize + 1 }, key.publicKeyHex), false);
    assert.equal(verifyCheckpoint({ ...cp1, rootHash: '0'.repeat(64) }, key.publicKeyHex), false);
    assert.equal(verifyCheckpoint({ ...cp1, createdAt: '2000-01-01T00:00:00.000Z' }, key.publicKeyHex), false);
    assert.equal(verifyCheckpoint(cp1, ledgerKeyFromPrivateKey(generateSm2PrivateKey()).publicKeyHex), false);

    for (let s = 0; s < 9; s++) await append(`delivery-d${s}.u${s % 4}`, 1 + (s % 2));
    const second = await log.catchUp();
    const cp2 = second.checkpoint!;
    const all = await feedOrder(db.pool);
    assert.equal(second.appended, all.length - events.length);
    assert.equal(cp2.treeSize, all.length);
    assert.ok(verifyCheckpoint(cp2, key.publicKeyHex));

    // Every event's inclusion proof verifies against the latest signed checkpoint…
    for (const e of all) {
      const proof = await log.inclusionProof(e.globalPosition);
      assert.equal(proof.treeSize, cp2.treeSize);
      assert.deepEqual(proof.leaf, e);
      assert.deepEqual(proof.checkpoint, cp2);
      assert.ok(verifyInclusionProof(proof, key.publicKeyHex), `event at ${e.globalPosition}`);
      // …and not for a different event, root or path.
      const other = all.find((x) => x.globalPosition !== e.globalPosition)!;
      assert.equal(verifyInclusionProof({ ...proof, leaf: other, leafHash: leafHash(other).toString('hex') }, key.publicKeyHex), false);
      if (proof.proof.length) {
        const bad = [...proof.proof];
        bad[0] = bad[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        assert.equal(verifyInclusionProof({ ...proof, proof: bad }), false);
      }
    }
    // …and the old events' proofs verify against the older checkpoint too.
    for (const e of events) {
      const proof = await log.inclusionProof(e.globalPosition, cp1.treeSize);
      assert.deepEqual(proof.checkpoint, cp1);
      assert.ok(verifyInclusionProof(proof, key.publicKeyHex));
    }
    const newest = all[all.length - 1]!;
    await assert.rejects(log.inclusionProof(newest.globalPosition, cp1.treeSize), (e: unknown) => e instanceof Refusal && e.code === 'NOT_FOUND');

    // The two checkpoints are consistent: the first tree is a prefix of the second.
    const consistency = await log.consistencyProof(cp1.treeSize, cp2.treeSize);
    assert.deepEqual(consistency.fromCheckpoint, cp1);
    assert.deepEqual(consistency.toCheckpoint, cp2);
    assert.ok(verifyConsistencyProof(consistency, key.publicKeyHex));
    assert.equal(verifyConsistencyProof({ ...consistency, fromRoot: cp2.rootHash }), false);
    // Any earlier size is consistent with the latest one (unsigned sizes give unsigned proofs).
    for (let m = 0; m <= cp2.treeSize; m++) {
      const p = await log.consistencyProof(m);
      assert.ok(verifyConsistencyProof(p), `size ${m}`);
      assert.equal(p.toSize, cp2.treeSize);
    }
    await assert.rejects(log.consistencyProof(cp2.treeSize + 1), (e: unknown) => e instanceof Refusal && e.code === 'VALIDATION_FAILED');
    await assert.rejects(log.consistencyProof(0, cp2.treeSize + 1), (e: unknown) => e instanceof Refusal && e.code === 'VALIDATION_FAILED');
  });

  test('a busy sequencer signs at most one checkpoint per interval, and never leaves growth unsigned for good', async () => {
    const { db, key, append } = await setup();
    const log = new MerkleLog({ pool: db.pool, key, checkpointIntervalMs: 60_000 });
    await append('document-a', 2);
    const first = await log.checkpoint();
    assert.equal(first.treeSize, 2);
    await append('document-a', 3);
    const second = await log.catchUp();
    assert.equal(second.appended, 3);
    assert.deepEqual(second.checkpoint, first, 'within the interval: no new signature');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM merkle_checkpoints');
    assert.equal(rows[0]!.n, 1);
    // Once the interval has passed, the next run signs the growth even if it appends nothing itself.
    await db.pool.query(`UPDATE merkle_checkpoints SET created_at = created_at - interval '2 minutes'`);
    const third = await log.sequence();
    assert.equal(third.appended, 0);
    assert.equal(third.checkpoint?.treeSize, 5);
    // On demand, a checkpoint is signed whatever the interval.
    await append('document-b');
    assert.equal((await log.checkpoint()).treeSize, 6);
  });

  test('feed order compares transaction ids as numbers, not as text', async () => {
    // Ids 9 and 10 sort the other way round as text; both are long finished in any cluster.
    const { db, log } = await setup();
    for (const [xid, streamId] of [['10', 'document-ten'], ['9', 'document-nine']] as const) {
      await db.pool.query(
        `INSERT INTO events (transaction_id, stream_id, revision, event_id, type, schema_version, data, occurred_at, recorded_at,
                             actor, command_id, correlation_id, prev_hash, hash, mac)
         VALUES ($1::xid8, $2, 0, $3, 'TestEvent', 1, '{"n":1}', now(), now(), $4, $5, 'c', $6, $6, $6)`,
        [xid, streamId, randomUUID(), actor, `cmd-${randomUUID()}`, '0'.repeat(64)],
      );
    }
    await log.catchUp();
    const { rows } = await db.pool.query<{ stream_id: string }>('SELECT stream_id FROM merkle_leaves ORDER BY leaf_index');
    assert.deepEqual(rows.map((r) => r.stream_id), ['document-nine', 'document-ten']);
  });

  test('a transaction that commits late is waited for, never skipped', async () => {
    const { db, key, store, log, append } = await setup();
    await append('document-early');
    const held = await db.pool.connect();
    try {
      await held.query('BEGIN');
      // Takes its transaction id (and a lower global position) now, commits last.
      await store.appendWithin(held, 'document-late', [{ type: 'TestEvent', data: { n: 100 } }], { expectedRevision: 'no_stream', commandId: `cmd-${randomUUID()}`, actor });
      await append('document-after');
      const during = await log.sequence();
      // At most the event before the open transaction: nothing after it may be logged while it is open.
      assert.ok(during.treeSize <= 1, `tree size ${during.treeSize} while the transaction is open`);
      await held.query('COMMIT');
    } finally {
      held.release();
    }
    const afterCommit = await log.catchUp();
    assert.equal(afterCommit.treeSize, 3);
    const { rows } = await db.pool.query<{ stream_id: string }>(
      'SELECT e.stream_id FROM merkle_leaves l JOIN events e USING (global_position) ORDER BY l.leaf_index',
    );
    assert.deepEqual(rows.map((r) => r.stream_id), ['document-early', 'document-late', 'document-after']);
    assert.ok(verifyCheckpoint(afterCommit.checkpoint!, key.publicKeyHex));
  });

  test('only one sequencer appends: a second one stands aside while the first holds the lock', async () => {
    const { db, key, append } = await setup();
    await append('document-x', 3);
    const otherPool = createPool(db.url, { max: 2 });
    otherPool.on('error', () => {});
    after(() => otherPool.end());
    const second = new MerkleLog({ pool: otherPool, key, checkpointIntervalMs: 0 });
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      const { rows } = await holder.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock(hashtext('gongwen.merkle-sequencer')) AS locked");
      assert.equal(rows[0]!.locked, true);
      const result = await second.sequence();
      assert.deepEqual({ appended: result.appended, treeSize: result.treeSize, sequenced: result.sequenced }, { appended: 0, treeSize: 0, sequenced: false });
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    const result = await second.catchUp();
    assert.equal(result.appended, 3);
  });

  test('sequencers racing in separate sessions while events arrive never double-append or skip', async () => {
    const { db, key, append } = await setup();
    const pools = [db.pool, createPool(db.url, { max: 3 }), createPool(db.url, { max: 3 })];
    for (const p of pools.slice(1)) {
      p.on('error', () => {});
      after(() => p.end());
    }
    const logs = pools.map((pool) => new MerkleLog({ pool, key, batchSize: 4, checkpointIntervalMs: 0 }));
    let writing = true;
    const writers = (async () => {
      const tasks: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) tasks.push(append(`document-r${i % 12}`, 1 + (i % 3)));
      await Promise.all(tasks);
      writing = false;
    })();
    let appendedByAll = 0;
    const sequencers = logs.map(async (log) => {
      while (writing) {
        // Not `+= await …`: that reads the total before the await and loses the other sequencers' counts.
        const r = await log.sequence();
        appendedByAll += r.appended;
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    await Promise.all([writers, ...sequencers]);
    for (const log of logs) {
      const r = await log.catchUp();
      appendedByAll += r.appended;
    }

    const events = await feedOrder(db.pool);
    const { rows } = await db.pool.query<{ n: number; max: number | null; distinct_positions: number }>(
      'SELECT count(*)::int AS n, max(leaf_index)::int AS max, count(DISTINCT global_position)::int AS distinct_positions FROM merkle_leaves',
    );
    assert.equal(rows[0]!.n, events.length);
    assert.equal(rows[0]!.max, events.length - 1, 'dense');
    assert.equal(rows[0]!.distinct_positions, events.length);
    assert.equal(appendedByAll, events.length, 'each event appended by exactly one sequencer');
    // Racing sequencers may have signed several sizes; every one of them is a prefix of the last.
    const { rows: cps } = await db.pool.query<{ tree_size: number }>('SELECT tree_size FROM merkle_checkpoints ORDER BY tree_size');
    const latest = (await logs[0]!.latestCheckpoint()) as SignedCheckpoint;
    assert.equal(latest.treeSize, events.length);
    for (const { tree_size } of cps) {
      assert.ok(verifyConsistencyProof(await logs[1]!.consistencyProof(Number(tree_size), latest.treeSize), key.publicKeyHex));
    }
  });
});
