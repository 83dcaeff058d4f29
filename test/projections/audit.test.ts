import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { allEventDefinitions } from '../../schemas/events/index.ts';
import { actionLabels } from '../../projections/audit/actions.ts';
import { LATE_RECORDING_THRESHOLD_MS } from '../../projections/audit/entry.ts';
import { auditProjection } from '../../projections/audit/index.ts';
import * as Q from '../../projections/audit/queries.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { eventHash, GENESIS_HASH } from '../../src/integrity/event-hash.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import type { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { SEAL_PASSPHRASE, cmdId, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

const snapshot = async (pool: pg.Pool) => (await pool.query('SELECT * FROM audit_entries ORDER BY feed_seq')).rows;

/** A timeline entry in one line: what an inspector reads. */
const line = (e: Q.AuditEntry) =>
  [e.type, e.action, e.streamId, e.actor.userId, e.unitId, e.occurredAt.slice(11, 19), e.hashStatus, e.lateRecorded, e.anchored] as const;

async function all<T>(fetch: (after?: string) => Promise<Q.Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(after);
    out.push(...page.items);
    if (!page.hasNextPage) return out;
    after = page.endCursor!;
  }
  throw new Error('pagination did not end');
}

describe('audit projection: every event once, with its action, subjects, timing and hash status', async () => {
  let clock = new Date('2026-03-02T02:00:00.000Z');
  const at = (iso: string) => {
    clock = new Date(iso);
  };
  const ledger = await createTestLedger({ now: () => clock });
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const { run } = city;
  const office = city.people('city-office');
  const edu = city.people('edu');
  const fin = city.people('fin');
  const hlth = city.people('hlth');
  const runner = new ProjectionRunner(pool, ledger.store, [auditProjection]);
  await runner.prepare();
  await ledger.settle();
  await runner.catchUp();

  // 发文: draft → revise → sign off → seal (numbered) → send.
  const k = { documentId: 'doc-1' };
  at('2026-03-02T02:10:00.000Z');
  await run(office.clerk, 'DraftDocument', draftInput('doc-1'));
  at('2026-03-02T02:11:00.000Z');
  await run(office.clerk, 'ReviseDraft', { ...k, title: '关于做好2026年电子公文交换工作的补充通知' });
  at('2026-03-02T02:12:00.000Z');
  await run(office.leader, 'SignOffDocument', { ...k, opinion: '同意印发' });
  at('2026-03-02T02:13:00.000Z');
  await run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, ...k, sealId: 'city-office-seal' });
  // Everything so far goes under a signed checkpoint.
  const checkpoint = await ledger.merkleLog.checkpoint();
  at('2026-03-02T02:14:00.000Z');
  await run(office.clerk, 'SendDocument', k);
  await ledger.settle();
  await runner.catchUp();

  // 收文 at the three recipients.
  const d = (unitId: string) => ({ ...k, unitId });
  at('2026-03-02T02:20:00.000Z');
  await run(edu.clerk, 'ReceiveDocument', d('edu'));
  at('2026-03-02T02:21:00.000Z');
  await run(edu.clerk, 'RegisterIncoming', { ...d('edu'), registerNo: '收2026-001' });
  at('2026-03-02T02:22:00.000Z');
  await run(edu.leader, 'MarkDocumentRead', d('edu'));
  at('2026-03-02T02:23:00.000Z');
  await run(edu.leader, 'GiveInstruction', { ...d('edu'), kind: '拟办意见', text: '拟请办公室牵头落实。' });
  at('2026-03-02T02:24:00.000Z');
  await run(edu.leader, 'AssignHandling', { ...d('edu'), assigneeUserId: 'edu-clerk', dueDate: '2026-03-13' });
  at('2026-03-02T02:25:00.000Z');
  await run(edu.leader, 'UrgeHandling', { ...d('edu'), level: '督办', message: '请于本周内办结' });
  at('2026-03-02T02:26:00.000Z');
  await run(edu.clerk, 'CompleteHandling', { ...d('edu'), result: '已按要求部署落实' });
  at('2026-03-02T02:27:00.000Z');
  await run(edu.clerk, 'SendReply', { ...d('edu'), text: '已落实，特此函复。' });
  at('2026-03-02T02:28:00.000Z');
  await run(edu.clerk, 'FileIncoming', { ...d('edu'), retention: 'D30' });
  at('2026-03-02T02:30:00.000Z');
  await run(fin.clerk, 'ReturnDocument', { ...d('fin'), reason: '非本单位职责，误送' });
  at('2026-03-02T02:31:00.000Z');
  await run(hlth.clerk, 'ReceiveDocument', d('hlth'));
  at('2026-03-02T02:40:00.000Z');
  await run(office.clerk, 'FileDocument', { ...k, retention: 'Y' });
  // Leaves for everything, but no newer signed checkpoint: logged is not yet anchored.
  await ledger.merkleLog.catchUp({ checkpoint: false });

  // Back-filled reads, written straight into the store with the time they claim (commands always
  // record occurredAt = now): two hours late is flagged, exactly the threshold is not.
  at('2026-03-02T04:00:00.000Z');
  const hlthLeader = { userId: 'hlth-leader', unitId: 'hlth', role: 'LEADER' as const };
  const read = (readBy: string, readAt: string) => ({ type: 'DocumentRead', data: { ...d('hlth'), readBy, readAt }, occurredAt: readAt });
  await ledger.store.append('delivery-doc-1.hlth', [read('hlth-leader', '2026-03-02T02:00:00.000Z')], { expectedRevision: 'any', commandId: cmdId(), actor: hlthLeader });
  const threshold = new Date(clock.getTime() - LATE_RECORDING_THRESHOLD_MS).toISOString();
  await ledger.store.append('delivery-doc-1.hlth', [read('hlth-clerk', threshold)], {
    expectedRevision: 'any', commandId: cmdId(), actor: { userId: 'hlth-clerk', unitId: 'hlth', role: 'CLERK' },
  });
  // Feed order is commit order, not global_position: a transaction that took its id first but
  // its sequence number last (A) comes before one that drew its number first (B).
  const adminActor = { userId: 'admin', unitId: 'city-office', role: 'SUPER_ADMIN' as const };
  const grant = (userId: string, unitId: string) => [{ type: 'RoleGranted', data: { userId, unitId, role: 'ARCHIVIST' } }];
  const a = await pool.connect();
  try {
    await a.query('BEGIN');
    await a.query('SELECT pg_current_xact_id()');
    await ledger.store.append('user-edu-clerk', grant('edu-clerk', 'edu'), { expectedRevision: 'any', commandId: cmdId(), actor: adminActor });
    await (ledger.store as PostgresEventStore).appendWithin(a, 'user-fin-clerk', grant('fin-clerk', 'fin'), { expectedRevision: 'any', commandId: cmdId(), actor: adminActor });
    await a.query('COMMIT');
  } finally {
    a.release();
  }
  await runner.catchUp();

  // Forgeries, inserted behind the ledger's back.
  const tip = async (streamId: string) =>
    (await pool.query<{ revision: number; hash: string }>('SELECT revision, hash FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1', [streamId])).rows[0]!;
  const forge = async (e: { streamId: string; revision: number; type: string; data: unknown; actor: object; at: string; prevHash: string; hash?: string }) => {
    const fields = {
      eventId: randomUUID(), type: e.type, schemaVersion: 1, streamId: e.streamId, revision: e.revision, occurredAt: e.at, recordedAt: e.at,
      actor: e.actor as never, commandId: cmdId(), correlationId: 'forged', causationId: null, data: e.data,
    };
    await pool.query(
      `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, occurred_at, recorded_at, actor,
                           command_id, correlation_id, causation_id, prev_hash, hash, mac)
       VALUES ($1, $2, $3, $4, 1, $5, $6, $6, $7, $8, $9, NULL, $10, $11, $12)`,
      [e.streamId, e.revision, fields.eventId, e.type, JSON.stringify(e.data), e.at, JSON.stringify(e.actor), fields.commandId, 'forged',
        e.prevHash, e.hash ?? eventHash(e.prevHash, fields), 'ff'.repeat(32)],
    );
  };
  // A receipt for the returned delivery, linked to the real tip but with a made-up hash.
  const finTip = await tip('delivery-doc-1.fin');
  await forge({
    streamId: 'delivery-doc-1.fin', revision: finTip.revision + 1, type: 'DocumentReceived', prevHash: finTip.hash, hash: 'ab'.repeat(32),
    data: { ...d('fin'), receivedBy: 'fin-clerk', receivedAt: '2026-03-02T05:00:00.000Z' }, actor: { userId: 'fin-clerk', unitId: 'fin', role: 'CLERK' }, at: '2026-03-02T05:00:00.000Z',
  });
  // A filing whose hash is right for its fields, chained from nowhere.
  const hlthTip = await tip('delivery-doc-1.hlth');
  await forge({
    streamId: 'delivery-doc-1.hlth', revision: hlthTip.revision + 1, type: 'IncomingFiled', prevHash: GENESIS_HASH,
    data: { ...d('hlth'), retention: 'D10', filedBy: 'hlth-clerk', filedAt: '2026-03-02T05:01:00.000Z' }, actor: { userId: 'hlth-clerk', unitId: 'hlth', role: 'CLERK' }, at: '2026-03-02T05:01:00.000Z',
  });
  await runner.catchUp();

  test('every event of the registry has a label, and the projection consumes them all', () => {
    const types = allEventDefinitions.map((x) => x.type).sort();
    assert.deepEqual([...auditProjection.handles].sort(), types);
    assert.deepEqual(Object.keys(actionLabels).sort(), types);
  });

  test('one entry per event, numbered 1…n in feed order (not in global_position order)', async () => {
    const feed = await ledger.store.readAll(null, 100_000);
    const rows = await snapshot(pool);
    assert.equal(rows.length, feed.events.length);
    assert.deepEqual(
      rows.map((r) => [Number(r.feed_seq), r.position, Number(r.global_position), r.event_id, r.hash]),
      feed.events.map((e, i) => [i + 1, e.position, e.globalPosition, e.eventId, e.hash]),
    );
    const grants = rows.filter((r) => r.type === 'RoleGranted').map((r) => [r.subject_user_id, Number(r.feed_seq), Number(r.global_position)]);
    assert.deepEqual(grants.map((g) => g[0]), ['fin-clerk', 'edu-clerk']);
    assert.ok(grants[0]![2]! > grants[1]![2]!, 'the earlier entry in the feed has the larger global_position');
    assert.deepEqual(rows.filter((r) => r.hash_status !== 'verified').map((r) => [r.stream_id, r.type, r.hash_status]), [
      ['delivery-doc-1.fin', 'DocumentReceived', 'hash_mismatch'],
      ['delivery-doc-1.hlth', 'IncomingFiled', 'chain_broken'],
    ]);
    assert.deepEqual(rows.filter((r) => r.late_recorded).map((r) => [r.stream_id, r.type, r.actor_user_id]), [['delivery-doc-1.hlth', 'DocumentRead', 'hlth-leader']]);
  });

  test("a document's timeline: its stream, its number reservation and every delivery, in feed order", async () => {
    const entries = await all((after) => Q.documentTimeline(pool, 'doc-1', { first: 5, ...(after ? { after } : {}) }));
    assert.deepEqual((await Q.documentTimeline(pool, 'doc-1')).items, entries, 'one default page is the whole history');
    const n = checkpoint.treeSize;
    assert.ok(n > 0);
    assert.deepEqual(entries.map(line), [
      ['DocumentDrafted', '拟稿', 'document-doc-1', 'city-office-clerk', 'city-office', '02:10:00', 'verified', false, true],
      ['DraftRevised', '修改', 'document-doc-1', 'city-office-clerk', 'city-office', '02:11:00', 'verified', false, true],
      ['DocumentSignedOff', '签发', 'document-doc-1', 'city-office-leader', 'city-office', '02:12:00', 'verified', false, true],
      ['DocumentNumberReserved', '预留文号', 'numbering-city-office.阜政办.2026', 'system', 'city-office', '02:13:00', 'verified', false, true],
      ['DocumentNumbered', '编号', 'document-doc-1', 'city-office-keeper', 'city-office', '02:13:00', 'verified', false, true],
      ['DocumentSealed', '盖章', 'document-doc-1', 'city-office-keeper', 'city-office', '02:13:00', 'verified', false, true],
      ['DocumentSent', '核发', 'document-doc-1', 'city-office-clerk', 'city-office', '02:14:00', 'verified', false, false],
      ['DocumentDelivered', '送达', 'delivery-doc-1.edu', 'system', 'edu', '02:14:00', 'verified', false, false],
      ['DocumentDelivered', '送达', 'delivery-doc-1.fin', 'system', 'fin', '02:14:00', 'verified', false, false],
      ['DocumentDelivered', '送达', 'delivery-doc-1.hlth', 'system', 'hlth', '02:14:00', 'verified', false, false],
      ['DocumentReceived', '签收', 'delivery-doc-1.edu', 'edu-clerk', 'edu', '02:20:00', 'verified', false, false],
      ['IncomingRegistered', '登记', 'delivery-doc-1.edu', 'edu-clerk', 'edu', '02:21:00', 'verified', false, false],
      ['DocumentRead', '传阅', 'delivery-doc-1.edu', 'edu-leader', 'edu', '02:22:00', 'verified', false, false],
      ['InstructionGiven', '拟办意见', 'delivery-doc-1.edu', 'edu-leader', 'edu', '02:23:00', 'verified', false, false],
      ['HandlingAssigned', '承办', 'delivery-doc-1.edu', 'edu-leader', 'edu', '02:24:00', 'verified', false, false],
      ['HandlingUrged', '督办', 'delivery-doc-1.edu', 'edu-leader', 'edu', '02:25:00', 'verified', false, false],
      ['HandlingCompleted', '办结', 'delivery-doc-1.edu', 'edu-clerk', 'edu', '02:26:00', 'verified', false, false],
      ['ReplySent', '答复', 'delivery-doc-1.edu', 'edu-clerk', 'edu', '02:27:00', 'verified', false, false],
      ['IncomingFiled', '收文归档', 'delivery-doc-1.edu', 'edu-clerk', 'edu', '02:28:00', 'verified', false, false],
      ['DocumentReturned', '退回', 'delivery-doc-1.fin', 'fin-clerk', 'fin', '02:30:00', 'verified', false, false],
      ['DocumentReceived', '签收', 'delivery-doc-1.hlth', 'hlth-clerk', 'hlth', '02:31:00', 'verified', false, false],
      ['DocumentFiled', '归档', 'document-doc-1', 'city-office-clerk', 'city-office', '02:40:00', 'verified', false, false],
      ['DocumentRead', '传阅', 'delivery-doc-1.hlth', 'hlth-leader', 'hlth', '02:00:00', 'verified', true, false],
      ['DocumentRead', '传阅', 'delivery-doc-1.hlth', 'hlth-clerk', 'hlth', '03:50:00', 'verified', false, false],
      ['DocumentReceived', '签收', 'delivery-doc-1.fin', 'fin-clerk', 'fin', '05:00:00', 'hash_mismatch', false, false],
      ['IncomingFiled', '收文归档', 'delivery-doc-1.hlth', 'hlth-clerk', 'hlth', '05:01:00', 'chain_broken', false, false],
    ]);
    // Logged but not yet under a signed checkpoint: a leaf, not anchored. Written after the
    // sequencer ran: no leaf at all.
    assert.deepEqual(entries.map((e) => e.leafIndex !== null), [...entries.map((_, i) => i < 22)]);
    assert.ok(entries.slice(0, 6).every((e) => e.leafIndex! < n));
    assert.ok(entries.slice(6, 22).every((e) => e.leafIndex! >= n));
  });

  test('an entry carries the whole envelope as recorded', async () => {
    const [sealed] = (await ledger.store.readStream('document-doc-1')).events.filter((e) => e.type === 'DocumentSealed');
    const entry = (await Q.documentTimeline(pool, 'doc-1')).items.find((e) => e.type === 'DocumentSealed')!;
    assert.deepEqual(entry, {
      feedSeq: entry.feedSeq,
      position: sealed!.position,
      globalPosition: sealed!.globalPosition,
      streamId: 'document-doc-1',
      revision: 4,
      eventId: sealed!.eventId,
      type: 'DocumentSealed',
      action: '盖章',
      actor: { userId: 'city-office-keeper', unitId: 'city-office', role: 'SEAL_KEEPER' },
      commandId: sealed!.commandId,
      correlationId: sealed!.correlationId,
      documentId: 'doc-1',
      unitId: 'city-office',
      subjectUserId: null,
      occurredAt: '2026-03-02T02:13:00.000Z',
      recordedAt: '2026-03-02T02:13:00.000Z',
      lateRecorded: false,
      hash: sealed!.hash,
      prevHash: sealed!.prevHash,
      hashStatus: 'verified',
      anchored: true,
      leafIndex: entry.feedSeq - 1,
    });
  });

  test("a person's timeline, by claimed time, with a time window", async () => {
    const mine = await all((after) => Q.actorTimeline(pool, 'edu-clerk', { first: 2, ...(after ? { after } : {}) }));
    assert.deepEqual(mine.map((e) => [e.action, e.streamId, e.occurredAt.slice(11, 19)]), [
      ['签收', 'delivery-doc-1.edu', '02:20:00'],
      ['登记', 'delivery-doc-1.edu', '02:21:00'],
      ['办结', 'delivery-doc-1.edu', '02:26:00'],
      ['答复', 'delivery-doc-1.edu', '02:27:00'],
      ['收文归档', 'delivery-doc-1.edu', '02:28:00'],
    ]);
    const window = await Q.actorTimeline(pool, 'edu-clerk', { from: '2026-03-02T02:21:00.000Z', to: '2026-03-02T02:27:00.000Z' });
    assert.deepEqual(window.items.map((e) => e.action), ['登记', '办结']);
    assert.equal(window.hasNextPage, false);
    // The back-dated read sits where it claims to belong, flagged.
    const leader = await Q.actorTimeline(pool, 'hlth-leader');
    assert.deepEqual(leader.items.map((e) => [e.action, e.occurredAt, e.recordedAt, e.lateRecorded]), [
      ['传阅', '2026-03-02T02:00:00.000Z', '2026-03-02T04:00:00.000Z', true],
    ]);
    // What the super administrator did while seeding the city, the SYSTEM bootstrap excluded.
    const admin = await Q.actorTimeline(pool, 'admin', { first: 100 });
    assert.deepEqual(
      admin.items.map((e) => [e.action, e.unitId, e.subjectUserId]),
      [
        ['登记单位', 'edu', null], ['登记单位', 'fin', null], ['登记单位', 'hlth', null],
        ...['city-office', 'edu', 'fin', 'hlth'].flatMap((u) => [
          ['登记用户', u, `${u}-clerk`], ['登记用户', u, `${u}-leader`], ['登记用户', u, `${u}-keeper`], ['制发印章', u, null],
        ]),
        // Same time: feed order, which is not global_position order here.
        ['授予角色', 'fin', 'fin-clerk'], ['授予角色', 'edu', 'edu-clerk'],
      ],
    );
    assert.deepEqual((await Q.actorTimeline(pool, 'system', { first: 100 })).items.map((e) => e.action), ['登记单位', '登记用户', '预留文号', '送达', '送达', '送达']);
  });

  test("a unit's timeline: what its people did and what concerned it", async () => {
    const entries = await all((after) => Q.unitTimeline(pool, 'hlth', { first: 3, ...(after ? { after } : {}) }));
    assert.deepEqual(entries.map((e) => [e.action, e.actor.userId, e.unitId, e.subjectUserId, e.occurredAt.slice(11, 19), e.hashStatus]), [
      ['登记单位', 'admin', 'hlth', null, '02:00:00', 'verified'],
      ['登记用户', 'admin', 'hlth', 'hlth-clerk', '02:00:00', 'verified'],
      ['登记用户', 'admin', 'hlth', 'hlth-leader', '02:00:00', 'verified'],
      ['登记用户', 'admin', 'hlth', 'hlth-keeper', '02:00:00', 'verified'],
      ['制发印章', 'admin', 'hlth', null, '02:00:00', 'verified'],
      ['传阅', 'hlth-leader', 'hlth', null, '02:00:00', 'verified'],
      ['送达', 'system', 'hlth', null, '02:14:00', 'verified'],
      ['签收', 'hlth-clerk', 'hlth', null, '02:31:00', 'verified'],
      ['传阅', 'hlth-clerk', 'hlth', null, '03:50:00', 'verified'],
      ['收文归档', 'hlth-clerk', 'hlth', null, '05:01:00', 'chain_broken'],
    ]);
    // The city office: its own people's acts (including the administrator's across the city) and
    // what concerned it, each once even when both.
    const office = await all((after) => Q.unitTimeline(pool, 'city-office', { first: 7, ...(after ? { after } : {}) }));
    const whole = (await Q.unitTimeline(pool, 'city-office', { first: 100 })).items;
    assert.deepEqual(office, whole);
    assert.equal(new Set(whole.map((e) => e.feedSeq)).size, whole.length);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_entries WHERE actor_unit_id = 'city-office' OR subject_unit_id = 'city-office'`,
    );
    assert.equal(whole.length, rows[0]!.n);
    const window = await Q.unitTimeline(pool, 'edu', { from: '2026-03-02T02:14:00.000Z', to: '2026-03-02T02:22:00.000Z' });
    assert.deepEqual(window.items.map((e) => e.action), ['送达', '签收', '登记']);
    assert.deepEqual((await Q.unitTimeline(pool, 'nowhere')).items, []);
  });

  test('entries that did not verify, for the inspector', async () => {
    const bad = await Q.unverifiedEntries(pool);
    assert.deepEqual(bad.items.map((e) => [e.streamId, e.hashStatus]), [
      ['delivery-doc-1.fin', 'hash_mismatch'],
      ['delivery-doc-1.hlth', 'chain_broken'],
    ]);
  });

  test('bad paging arguments are refused', async () => {
    const refused = (e: unknown) => e instanceof Refusal && e.code === 'VALIDATION_FAILED';
    await assert.rejects(Q.actorTimeline(pool, 'edu-clerk', { after: 'garbage' }), refused);
    await assert.rejects(Q.actorTimeline(pool, 'edu-clerk', { first: 101 }), refused);
    await assert.rejects(Q.unitTimeline(pool, 'edu', { from: 'yesterday' }), refused);
    // A cursor belongs to its list: one person's cursor is refused on another's timeline.
    const first = await Q.actorTimeline(pool, 'edu-clerk', { first: 1 });
    await assert.rejects(Q.actorTimeline(pool, 'edu-leader', { after: first.endCursor! }), refused);
    await assert.rejects(Q.unitTimeline(pool, 'edu', { after: first.endCursor! }), refused);
  });

  test('a rebuild equals the incremental build, and batches of 1 equal batches of 1000', async () => {
    const incremental = await snapshot(pool);
    await runner.rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
    await new ProjectionRunner(pool, ledger.store, [auditProjection], { batchSize: 1 }).rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
    await new ProjectionRunner(pool, ledger.store, [auditProjection], { batchSize: 1000 }).rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
  });

  test('a row edited in place is caught on the next rebuild', async () => {
    const { rows } = await pool.query<{ global_position: number }>(
      `UPDATE events SET data = jsonb_set(data, '{name}', '"李副领导"') WHERE stream_id = 'user-edu-leader' AND revision = 0 RETURNING global_position`,
    );
    assert.equal(rows.length, 1);
    await runner.rebuild();
    const entries = (await Q.actorTimeline(pool, 'admin', { first: 100 })).items;
    assert.deepEqual(entries.filter((e) => e.hashStatus !== 'verified').map((e) => [e.streamId, e.hashStatus]), [['user-edu-leader', 'hash_mismatch']]);
  });

  test('a hash rewritten in place: the row mismatches, the next one no longer links, and the log no longer anchors it', async () => {
    await pool.query(`UPDATE events SET hash = repeat('cd', 32) WHERE stream_id = 'document-doc-1' AND type = 'DocumentSignedOff'`);
    await runner.rebuild();
    const entries = (await Q.documentTimeline(pool, 'doc-1', { first: 6 })).items;
    assert.deepEqual(entries.map((e) => [e.type, e.hashStatus, e.anchored]), [
      ['DocumentDrafted', 'verified', true],
      ['DraftRevised', 'verified', true],
      ['DocumentSignedOff', 'hash_mismatch', false],
      ['DocumentNumberReserved', 'verified', true],
      ['DocumentNumbered', 'chain_broken', true],
      ['DocumentSealed', 'verified', true],
    ]);
  });
});
