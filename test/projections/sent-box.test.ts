import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { sentBoxProjection } from '../../projections/sent-box/index.ts';
import { listSent, sentDocument, type SentDocument, type SentRecipient } from '../../projections/sent-box/queries.ts';
import { listInbox } from '../../projections/inbox/queries.ts';
import { inboxProjection } from '../../projections/inbox/index.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { projectionDigest } from '../../src/projections/digest.ts';
import { countingPool, createMailroom, runScenario, T, TITLE_A, TITLE_B, TITLE_C, TITLE_D } from './mailroom-scenario.ts';

const dump = async (pool: pg.Pool) => ({
  documents: (await pool.query('SELECT * FROM sent_box_documents ORDER BY document_id')).rows,
  recipients: (await pool.query('SELECT * FROM sent_box_recipients ORDER BY document_id, unit_id')).rows,
});


async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  return assert.fail('expected a refusal');
}

/** A recipient as sent, before any delivery; each expectation states what changed since. */
const copy = (unitId: string, over: Partial<SentRecipient> = {}): SentRecipient => ({
  unitId,
  kind: 'main',
  status: 'pending',
  deliveredAt: null,
  receivedAt: null,
  receivedBy: null,
  returnedAt: null,
  returnedBy: null,
  returnReason: null,
  withdrawnAt: null,
  withdrawReason: null,
  completedAt: null,
  filedAt: null,
  ...over,
});

const docA = (over: Partial<SentDocument> & Pick<SentDocument, 'recipients'>): SentDocument => ({
  documentId: 'doc-a',
  issuerUnitId: 'city-office',
  title: TITLE_A,
  docNumber: '阜政办〔2026〕1号',
  docType: '通知',
  urgency: '平件',
  sentAt: T('01:30'),
  sentBy: 'city-office-clerk',
  status: 'sent',
  recalledAt: null,
  recalledBy: null,
  recallReason: null,
  filedAt: null,
  filedBy: null,
  retention: null,
  recipientCount: 3,
  receivedCount: 0,
  returnedCount: 0,
  completedCount: 0,
  withdrawnCount: 0,
  ...over,
});

describe('sent box, built from the real commands of a mail room', async () => {
  const m = await createMailroom();
  const pool = m.ledger.db.pool;
  const runner = new ProjectionRunner(pool, m.ledger.store, [sentBoxProjection]);
  await runner.prepare();
  const seen = new Map<string, Record<string, SentDocument | null>>();
  await runScenario(m, async (phase) => {
    await runner.catchUp();
    const docs: Record<string, SentDocument | null> = {};
    for (const id of ['doc-a', 'doc-b', 'doc-c', 'doc-d']) docs[id] = await sentDocument(pool, id);
    seen.set(phase, docs);
  });
  const incremental = await dump(pool);

  test('a sent document lists every recipient in order, pending until the delivery is made, then delivered', () => {
    assert.deepEqual(seen.get('doc-a sent')!['doc-a'], docA({ recipients: [copy('edu'), copy('fin'), copy('hlth', { kind: 'cc' })] }));
    assert.equal(seen.get('doc-a sent')!['doc-b'], null);
    const delivered = { status: 'delivered', deliveredAt: T('01:31') } as const;
    assert.deepEqual(
      seen.get('doc-a delivered')!['doc-a'],
      docA({ recipients: [copy('edu', delivered), copy('fin', delivered), copy('hlth', { ...delivered, kind: 'cc' })] }),
    );
  });

  test('the receipt (回执) names who signed and when; a return carries its reason; the document counts them', () => {
    const delivered = { status: 'delivered', deliveredAt: T('01:31') } as const;
    assert.deepEqual(
      seen.get('doc-a signed, assigned and returned')!['doc-a'],
      docA({
        receivedCount: 2,
        returnedCount: 1,
        recipients: [
          copy('edu', { ...delivered, status: 'received', receivedAt: T('02:00'), receivedBy: 'edu-clerk' }),
          copy('fin', { ...delivered, status: 'returned', returnedAt: T('02:30'), returnedBy: 'fin-clerk', returnReason: '非本单位职责，请改送市人社局' }),
          copy('hlth', { ...delivered, kind: 'cc', status: 'received', receivedAt: T('02:40'), receivedBy: 'hlth-clerk' }),
        ],
      }),
    );
  });

  test('a recalled document shows who recalled it and why, and every copy withdrawn', () => {
    const withdrawn = { status: 'withdrawn', deliveredAt: T('03:31'), withdrawnAt: T('03:45'), withdrawReason: '附件有误，重新发文' } as const;
    const expected = docA({
      documentId: 'doc-b',
      title: TITLE_B,
      docNumber: '阜政办〔2026〕2号',
      sentAt: T('03:30'),
      status: 'recalled',
      recalledAt: T('03:45'),
      recalledBy: 'city-office-clerk',
      recallReason: '附件有误，重新发文',
      withdrawnCount: 3,
      recipients: [copy('edu', withdrawn), copy('fin', withdrawn), copy('hlth', { ...withdrawn, kind: 'cc' })],
    });
    assert.deepEqual(seen.get('doc-b recalled')!['doc-b'], expected);
    assert.deepEqual(seen.get('doc-a handled and filed')!['doc-b'], expected);
  });

  test('an urgent document: pending, then one receipt of two; handling assignments stay the recipient\'s business', () => {
    const c = (recipients: SentRecipient[], receivedCount = 0) =>
      docA({ documentId: 'doc-c', title: TITLE_C, docNumber: '阜政办〔2026〕3号', urgency: '特急', sentAt: T('05:30'), recipientCount: 2, receivedCount, recipients });
    assert.deepEqual(seen.get('doc-c sent')!['doc-c'], c([copy('edu'), copy('fin')]));
    assert.deepEqual(
      seen.get('doc-c assigned')!['doc-c'],
      c([copy('edu', { status: 'received', deliveredAt: T('05:31'), receivedAt: T('05:40'), receivedBy: 'edu-clerk' }), copy('fin', { status: 'delivered', deliveredAt: T('05:31') })], 1),
    );
  });

  test('an abandoned recall: the copy shows withdrawn, then delivered again; the document was never recalled', () => {
    const d = (edu: SentRecipient, withdrawnCount: number) =>
      docA({
        documentId: 'doc-d',
        issuerUnitId: 'hlth',
        title: TITLE_D,
        docNumber: '阜卫〔2026〕1号',
        docType: '函',
        urgency: '加急',
        sentAt: T('06:30'),
        sentBy: 'hlth-clerk',
        recipientCount: 2,
        withdrawnCount,
        recipients: [edu, copy('fin', { kind: 'cc', status: 'delivered', deliveredAt: T('06:31') })],
      });
    assert.deepEqual(
      seen.get('doc-d withdrawn from edu')!['doc-d'],
      d(copy('edu', { status: 'withdrawn', deliveredAt: T('06:31'), withdrawnAt: T('07:00'), withdrawReason: '误发，撤回重发' }), 1),
    );
    assert.deepEqual(seen.get('doc-d reinstated')!['doc-d'], d(copy('edu', { status: 'delivered', deliveredAt: T('06:31') }), 0));
  });

  test('the final rows, exactly: completion and filing at the recipient, filing at the sender', async () => {
    const delivered = { deliveredAt: T('01:31') } as const;
    assert.deepEqual(
      await sentDocument(pool, 'doc-a'),
      docA({
        status: 'filed',
        filedAt: T('04:00', 5),
        filedBy: 'city-office-clerk',
        retention: 'Y',
        receivedCount: 2,
        returnedCount: 1,
        completedCount: 1,
        recipients: [
          copy('edu', { ...delivered, status: 'filed', receivedAt: T('02:00'), receivedBy: 'edu-clerk', completedAt: T('02:00', 5), filedAt: T('03:00', 5) }),
          copy('fin', { ...delivered, status: 'returned', returnedAt: T('02:30'), returnedBy: 'fin-clerk', returnReason: '非本单位职责，请改送市人社局' }),
          copy('hlth', { ...delivered, kind: 'cc', status: 'received', receivedAt: T('02:40'), receivedBy: 'hlth-clerk' }),
        ],
      }),
    );
    assert.equal(await sentDocument(pool, 'doc-unknown'), null);
    assert.deepEqual(incremental.documents.map((d) => [d.document_id, d.issuer_unit_id, d.status]), [
      ['doc-a', 'city-office', 'filed'],
      ['doc-b', 'city-office', 'recalled'],
      ['doc-c', 'city-office', 'sent'],
      ['doc-d', 'hlth', 'sent'],
    ]);
    assert.equal(incremental.recipients.length, 3 + 3 + 2 + 2);
  });

  test("each unit's sent box, latest first, each document with its recipients, in two queries", async () => {
    const counted = countingPool(pool);
    const office = await listSent(counted.pool, { unitId: 'city-office', first: 10 });
    assert.equal(counted.statements.length, 2);
    assert.deepEqual(office.items.map((d) => d.documentId), ['doc-c', 'doc-b', 'doc-a']);
    assert.equal(office.hasNextPage, false);
    for (const d of office.items) assert.deepEqual(d, await sentDocument(pool, d.documentId));
    assert.deepEqual((await listSent(pool, { unitId: 'hlth', first: 10 })).items, [await sentDocument(pool, 'doc-d')]);
    const empty = await listSent(pool, { unitId: 'edu', first: 10 });
    assert.deepEqual([empty.items, empty.endCursor, empty.hasNextPage, empty.hasPreviousPage, await empty.totalCount()], [[], null, false, false, 0]);
  });

  test('a rebuild equals the incremental build', async () => {
    const before = await projectionDigest(pool, sentBoxProjection);
    await runner.rebuild();
    assert.deepEqual(await dump(pool), incremental);
    assert.equal((await projectionDigest(pool, sentBoxProjection)).digest, before.digest);
  });

  test('batches of 1 and of 1000 events give the same rows', async () => {
    for (const batchSize of [1, 1000]) {
      await new ProjectionRunner(pool, m.ledger.store, [sentBoxProjection], { batchSize }).rebuild();
      assert.deepEqual(await dump(pool), incremental, `batch size ${batchSize}`);
    }
  });

  test('bad paging input and a foreign cursor are refused with VALIDATION_FAILED', async () => {
    for (const first of [0, 101, 2.5]) assert.equal((await refusal(listSent(pool, { unitId: 'city-office', first }))).code, 'VALIDATION_FAILED');
    assert.equal((await refusal(listSent(pool, { unitId: 'city-office', first: 2, after: '!!' }))).code, 'VALIDATION_FAILED');
    const inboxRunner = new ProjectionRunner(pool, m.ledger.store, [inboxProjection]);
    await inboxRunner.prepare();
    await inboxRunner.catchUp();
    const inboxCursor = (await listInbox(pool, { unitId: 'edu', first: 1 })).endCursor!;
    assert.equal((await refusal(listSent(pool, { unitId: 'city-office', first: 2, after: inboxCursor }))).code, 'VALIDATION_FAILED');
  });
});

describe('sent box pagination over many documents', async () => {
  const m = await createMailroom();
  const pool = m.ledger.db.pool;
  const fin = m.people('fin');
  const N = 23;
  const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();
  // edu sends N documents, three at a time with the same sentAt (the documentId breaks the tie);
  // fin signs for every other one, hlth returns every fifth.
  for (let i = 0; i < N; i++) {
    const id = `s-${String(i).padStart(2, '0')}`;
    await m.issue('edu', id, plus(T('09:00'), 5 * Math.floor(i / 3)), {
      title: `关于第${i + 1}批学校安全检查的通知`,
      mainRecipients: ['fin'],
      ccRecipients: ['hlth'],
      docNumberPrefix: '阜教',
    });
  }
  await m.deliver(T('11:00'));
  for (let i = 0; i < N; i += 2) await m.act(T('11:30'), fin.clerk, 'ReceiveDocument', { documentId: `s-${String(i).padStart(2, '0')}`, unitId: 'fin' });
  for (let i = 0; i < N; i += 5) {
    await m.act(T('11:40'), m.people('hlth').clerk, 'ReturnDocument', { documentId: `s-${String(i).padStart(2, '0')}`, unitId: 'hlth', reason: '抄送有误' });
  }
  const runner = new ProjectionRunner(pool, m.ledger.store, [sentBoxProjection], { batchSize: 11 });
  await runner.prepare();
  await runner.catchUp();

  const expected = Array.from({ length: N }, (_, i) => ({ id: `s-${String(i).padStart(2, '0')}`, sentAt: Date.parse(plus(T('09:00'), 5 * Math.floor(i / 3))) }))
    .sort((a, b) => b.sentAt - a.sentAt || (a.id < b.id ? -1 : 1))
    .map((d) => d.id);

  test('every page size walks the whole sent box latest first, no duplicates, no gaps, two queries a page', async () => {
    for (const first of [1, 4, 5, 22, 23, 100]) {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const counted = countingPool(pool);
        const page = await listSent(counted.pool, { unitId: 'edu', first, after });
        // After a cursor, one more: the probe for documents before it (hasPreviousPage).
        assert.equal(counted.statements.length, after === null ? 2 : 3, 'one query for the page, one for its recipients');
        assert.equal(page.hasPreviousPage, after !== null);
        for (const d of page.items) {
          const i = Number(d.documentId.slice(2));
          assert.deepEqual(
            d.recipients.map((r) => [r.unitId, r.kind, r.status]),
            [
              ['fin', 'main', i % 2 === 0 ? 'received' : 'delivered'],
              ['hlth', 'cc', i % 5 === 0 ? 'returned' : 'delivered'],
            ],
          );
          assert.deepEqual([d.recipientCount, d.receivedCount, d.returnedCount], [2, i % 2 === 0 ? 1 : 0, i % 5 === 0 ? 1 : 0]);
        }
        ids.push(...page.items.map((d) => d.documentId));
        if (!page.hasNextPage) break;
        assert.equal(page.items.length, first);
        after = page.endCursor;
      }
      assert.deepEqual(ids, expected, `first=${first}`);
    }
  });

  test('backward from the end (last/before) walks the same list in reverse; pageInfo and cursors agree both ways', async () => {
    for (const last of [1, 4, 23, 100]) {
      const ids: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await listSent(pool, { unitId: 'edu', last, before });
        ids.unshift(...page.items.map((d) => d.documentId));
        assert.equal(page.startCursor, page.cursors[0] ?? null);
        assert.equal(page.endCursor, page.cursors.at(-1) ?? null);
        assert.equal(page.hasNextPage, before !== undefined, `last=${last}: more after a page read before a cursor`);
        assert.equal(await page.totalCount(), N);
        if (!page.hasPreviousPage) break;
        assert.equal(page.items.length, last);
        before = page.startCursor!;
      }
      assert.deepEqual(ids, expected, `last=${last}`);
    }
    // An edge's cursor continues the list from that edge either way.
    const middle = await listSent(pool, { unitId: 'edu', first: 5, after: (await listSent(pool, { unitId: 'edu', first: 10 })).cursors[4] });
    assert.deepEqual(middle.items.map((d) => d.documentId), expected.slice(5, 10));
    const back = await listSent(pool, { unitId: 'edu', last: 3, before: middle.startCursor });
    assert.deepEqual(back.items.map((d) => d.documentId), expected.slice(2, 5));
    assert.deepEqual([back.hasPreviousPage, back.hasNextPage], [true, true]);
    // OLDEST is the same list the other way round, and its cursors are this list's.
    const oldest: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await listSent(pool, { unitId: 'edu', sort: 'OLDEST', first: 7, after });
      oldest.push(...page.items.map((d) => d.documentId));
      if (!page.hasNextPage) break;
      after = page.endCursor!;
    }
    assert.deepEqual(oldest, [...expected].reverse());
    assert.equal((await refusal(listSent(pool, { unitId: 'edu', first: 2, last: 2 }))).code, 'VALIDATION_FAILED');
    assert.equal((await refusal(listSent(pool, { unitId: 'edu', last: 0 }))).code, 'VALIDATION_FAILED');
    assert.equal((await refusal(listSent(pool, { unitId: 'edu', status: 'lost' as never }))).code, 'VALIDATION_FAILED');
    assert.equal(await (await listSent(pool, { unitId: 'edu', status: 'recalled' })).totalCount(), 0);
  });

  test('a page continues after its cursor when a document is sent meanwhile', async () => {
    const page1 = await listSent(pool, { unitId: 'edu', first: 4 });
    await m.issue('edu', 's-late', T('12:00'), { mainRecipients: ['fin'], ccRecipients: [], docNumberPrefix: '阜教' });
    await runner.catchUp();
    const rest: string[] = [];
    for (let after = page1.endCursor; ; ) {
      const page = await listSent(pool, { unitId: 'edu', first: 4, after });
      rest.push(...page.items.map((d) => d.documentId));
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    assert.deepEqual([...page1.items.map((d) => d.documentId), ...rest], expected);
    assert.equal((await listSent(pool, { unitId: 'edu', first: 1 })).items[0]!.documentId, 's-late');
  });

  test('the page query is an index range scan in sort order', async () => {
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const page = await listSent(pool, { unitId: 'edu', first: 3 });
      const counted = countingPool(pool);
      await listSent(counted.pool, { unitId: 'edu', first: 3, after: page.endCursor });
      const { text, values } = counted.statements[0]!;
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      assert.match(plan, /"Index Name":"sent_box_documents_unit_order"/, plan);
      assert.doesNotMatch(plan, /"Node Type":"Sort"/, plan);
      assert.match(plan, /"Index Cond":"[^"]*ROW\(sent_rank, document_id\) > ROW/, plan);
    } finally {
      client.release();
    }
  });
});
