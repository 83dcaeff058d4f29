import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { inboxProjection } from '../../projections/inbox/index.ts';
import { inboxCounts, inboxItem, listInbox, type InboxItem, type ListInboxOptions } from '../../projections/inbox/queries.ts';
import type { InboxStatus } from '../../projections/inbox/inbox-row.ts';
import { listSent } from '../../projections/sent-box/queries.ts';
import { sentBoxProjection } from '../../projections/sent-box/index.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { projectionDigest } from '../../src/projections/digest.ts';
import { countingPool, createMailroom, runScenario, T, TITLE_A, TITLE_B, TITLE_C, TITLE_D } from './mailroom-scenario.ts';

const dump = async (pool: pg.Pool) => ({
  items: (await pool.query('SELECT * FROM inbox_items ORDER BY document_id, unit_id')).rows,
  counts: (await pool.query('SELECT * FROM inbox_counts ORDER BY unit_id, user_id, status')).rows,
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

/** Every page of a list, `first` at a time, checking that each page but the last is full. */
async function allPages(pool: pg.Pool, opts: Omit<ListInboxOptions, 'first' | 'after'>, first: number): Promise<InboxItem[]> {
  const out: InboxItem[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await listInbox(pool, { ...opts, first, after });
    out.push(...page.items);
    if (!page.hasNextPage) {
      assert.ok(page.items.length <= first);
      return out;
    }
    assert.equal(page.items.length, first);
    after = page.endCursor;
  }
}

/** What a copy looks like right after delivery; each expectation below states only what changed since. */
const delivered = (over: Partial<InboxItem> & Pick<InboxItem, 'documentId' | 'unitId'>): InboxItem => ({
  title: TITLE_A,
  docNumber: '阜政办〔2026〕1号',
  docType: '通知',
  urgency: '平件',
  issuerUnitId: 'city-office',
  kind: 'main',
  sentAt: T('01:30'),
  deliveredAt: T('01:31'),
  status: 'awaiting_receipt',
  receivedAt: null,
  receivedBy: null,
  returnedAt: null,
  returnedBy: null,
  returnReason: null,
  withdrawn: false,
  withdrawnAt: null,
  withdrawReason: null,
  registeredAt: null,
  registeredBy: null,
  registerNo: null,
  reviewedAt: null,
  reviewAccepted: null,
  readers: [],
  instructions: 0,
  dueDate: null,
  urges: 0,
  lastUrgedAt: null,
  lastUrgeLevel: null,
  completedAt: null,
  completedBy: null,
  result: null,
  replies: 0,
  lastRepliedAt: null,
  filedAt: null,
  retention: null,
  registered: false,
  readerCount: 0,
  assignment: null,
  ...over,
});

const zero = { awaitingReceipt: 0, received: 0, awaitingHandling: 0, handled: 0, returned: 0, withdrawn: 0 };

describe('inbox, built from the real commands of a mail room', async () => {
  const m = await createMailroom();
  const pool = m.ledger.db.pool;
  const runner = new ProjectionRunner(pool, m.ledger.store, [inboxProjection]);
  await runner.prepare();
  const seen = new Map<string, { edu: InboxItem[]; fin: InboxItem[]; hlth: InboxItem[]; counts: Awaited<ReturnType<typeof inboxCounts>>[] }>();
  await runScenario(m, async (phase) => {
    await runner.catchUp();
    const list = async (unitId: string) => (await listInbox(pool, { unitId, first: 100 })).items;
    seen.set(phase, {
      edu: await list('edu'),
      fin: await list('fin'),
      hlth: await list('hlth'),
      counts: [await inboxCounts(pool, 'edu', 'edu-clerk'), await inboxCounts(pool, 'fin'), await inboxCounts(pool, 'hlth')],
    });
  });
  const incremental = await dump(pool);

  test('a sent document is in no inbox until the delivery is made; then each recipient has its copy awaiting receipt', () => {
    const sent = seen.get('doc-a sent')!;
    assert.deepEqual([sent.edu, sent.fin, sent.hlth], [[], [], []]);
    const d = seen.get('doc-a delivered')!;
    assert.deepEqual(d.edu, [delivered({ documentId: 'doc-a', unitId: 'edu' })]);
    assert.deepEqual(d.fin, [delivered({ documentId: 'doc-a', unitId: 'fin' })]);
    assert.deepEqual(d.hlth, [delivered({ documentId: 'doc-a', unitId: 'hlth', kind: 'cc' })]);
    assert.deepEqual(d.counts, [
      { unitId: 'edu', ...zero, awaitingReceipt: 1, person: { userId: 'edu-clerk', awaitingHandling: 0, handled: 0 } },
      { unitId: 'fin', ...zero, awaitingReceipt: 1, person: null },
      { unitId: 'hlth', ...zero, awaitingReceipt: 1, person: null },
    ]);
  });

  test('signing, registering, reviewing, reading, instructing and assigning make the copy 待办 of its assignee; a return is 已退回', () => {
    const s = seen.get('doc-a signed, assigned and returned')!;
    assert.deepEqual(s.edu, [
      delivered({
        documentId: 'doc-a',
        unitId: 'edu',
        status: 'awaiting_handling',
        receivedAt: T('02:00'),
        receivedBy: 'edu-clerk',
        registeredAt: T('02:05'),
        registeredBy: 'edu-clerk',
        registerNo: '收2026-001',
        registered: true,
        reviewedAt: T('02:07'),
        reviewAccepted: true,
        readers: ['edu-leader', 'edu-clerk'],
        readerCount: 2,
        instructions: 1,
        dueDate: '2026-03-20',
        assignment: { assigneeUserId: 'edu-clerk', assigneeDepartment: null, dueDate: '2026-03-20', assignedAt: T('02:20'), assignedBy: 'edu-leader' },
      }),
    ]);
    assert.deepEqual(s.fin, [
      delivered({ documentId: 'doc-a', unitId: 'fin', status: 'returned', returnedAt: T('02:30'), returnedBy: 'fin-clerk', returnReason: '非本单位职责，请改送市人社局' }),
    ]);
    assert.deepEqual(s.hlth, [delivered({ documentId: 'doc-a', unitId: 'hlth', kind: 'cc', status: 'received', receivedAt: T('02:40'), receivedBy: 'hlth-clerk' })]);
    assert.deepEqual(s.counts, [
      { unitId: 'edu', ...zero, awaitingHandling: 1, person: { userId: 'edu-clerk', awaitingHandling: 1, handled: 0 } },
      { unitId: 'fin', ...zero, returned: 1, person: null },
      { unitId: 'hlth', ...zero, received: 1, person: null },
    ]);
  });

  test("a recall withdraws every recipient's copy", () => {
    const s = seen.get('doc-b recalled')!;
    const b = (unitId: string, kind: 'main' | 'cc' = 'main') =>
      delivered({
        documentId: 'doc-b',
        unitId,
        kind,
        title: TITLE_B,
        docNumber: '阜政办〔2026〕2号',
        sentAt: T('03:30'),
        deliveredAt: T('03:31'),
        status: 'withdrawn',
        withdrawn: true,
        withdrawnAt: T('03:45'),
        withdrawReason: '附件有误，重新发文',
      });
    // Same urgency, no due date: the later delivery first.
    assert.deepEqual(s.fin.map((i) => i.documentId), ['doc-b', 'doc-a']);
    assert.deepEqual(s.fin[0], b('fin'));
    assert.deepEqual(s.hlth[0], b('hlth', 'cc'));
    assert.deepEqual(s.counts[2], { unitId: 'hlth', ...zero, received: 1, withdrawn: 1, person: null });
  });

  test('a reassignment replaces the assignee and the due date; the urgent copy leads the list', () => {
    const s = seen.get('doc-c assigned')!;
    assert.deepEqual(s.edu.map((i) => i.documentId), ['doc-c', 'doc-a', 'doc-b']);
    assert.deepEqual(s.edu[0], {
      ...delivered({ documentId: 'doc-c', unitId: 'edu', title: TITLE_C, docNumber: '阜政办〔2026〕3号', urgency: '特急', sentAt: T('05:30'), deliveredAt: T('05:31') }),
      status: 'awaiting_handling',
      receivedAt: T('05:40'),
      receivedBy: 'edu-clerk',
      dueDate: '2026-03-03T09:00:00.000Z',
      assignment: { assigneeUserId: 'edu-leader', assigneeDepartment: null, dueDate: '2026-03-03T09:00:00.000Z', assignedAt: T('05:50'), assignedBy: 'edu-leader' },
    });
    // doc-c is the leader's 待办 now, not the clerk's, and not counted twice for the unit.
    assert.deepEqual(s.counts[0], { unitId: 'edu', ...zero, awaitingHandling: 2, withdrawn: 1, person: { userId: 'edu-clerk', awaitingHandling: 1, handled: 0 } });
    assert.deepEqual(s.fin.map((i) => [i.documentId, i.status]), [
      ['doc-c', 'awaiting_receipt'],
      ['doc-b', 'withdrawn'],
      ['doc-a', 'returned'],
    ]);
  });

  test('an abandoned recall withdraws a copy and puts it back', () => {
    const withdrawn = seen.get('doc-d withdrawn from edu')!.edu.find((i) => i.documentId === 'doc-d')!;
    assert.deepEqual([withdrawn.status, withdrawn.withdrawn, withdrawn.withdrawnAt, withdrawn.withdrawReason], ['withdrawn', true, T('07:00'), '误发，撤回重发']);
    assert.equal(seen.get('doc-d withdrawn from edu')!.counts[0]!.withdrawn, 2);
    const back = seen.get('doc-d reinstated')!.edu.find((i) => i.documentId === 'doc-d')!;
    assert.deepEqual(
      back,
      delivered({
        documentId: 'doc-d',
        unitId: 'edu',
        title: TITLE_D,
        docNumber: '阜卫〔2026〕1号',
        docType: '函',
        urgency: '加急',
        issuerUnitId: 'hlth',
        sentAt: T('06:30'),
        deliveredAt: T('06:31'),
      }),
    );
  });

  test('the final rows, exactly', async () => {
    const eduA = delivered({
      documentId: 'doc-a',
      unitId: 'edu',
      status: 'handled',
      receivedAt: T('02:00'),
      receivedBy: 'edu-clerk',
      registeredAt: T('02:05'),
      registeredBy: 'edu-clerk',
      registerNo: '收2026-001',
      registered: true,
      reviewedAt: T('02:07'),
      reviewAccepted: true,
      readers: ['edu-leader', 'edu-clerk'],
      readerCount: 2,
      instructions: 1,
      dueDate: '2026-03-20',
      assignment: { assigneeUserId: 'edu-clerk', assigneeDepartment: null, dueDate: '2026-03-20', assignedAt: T('02:20'), assignedBy: 'edu-leader' },
      urges: 2,
      lastUrgedAt: T('01:00', 4),
      lastUrgeLevel: '督办',
      replies: 1,
      lastRepliedAt: T('01:50', 5),
      completedAt: T('02:00', 5),
      completedBy: 'edu-clerk',
      result: '已按要求部署落实',
      filedAt: T('03:00', 5),
      retention: 'D30',
    });
    assert.deepEqual(await inboxItem(pool, 'doc-a', 'edu'), eduA);
    // 特急, then 加急, then 平件 with a due date before 平件 without one.
    assert.deepEqual((await listInbox(pool, { unitId: 'edu', first: 10 })).items.map((i) => [i.documentId, i.status]), [
      ['doc-c', 'awaiting_handling'],
      ['doc-d', 'awaiting_receipt'],
      ['doc-a', 'handled'],
      ['doc-b', 'withdrawn'],
    ]);
    assert.deepEqual((await listInbox(pool, { unitId: 'fin', first: 10 })).items.map((i) => [i.documentId, i.kind, i.status]), [
      ['doc-c', 'main', 'awaiting_receipt'],
      ['doc-d', 'cc', 'awaiting_receipt'],
      ['doc-b', 'main', 'withdrawn'],
      ['doc-a', 'main', 'returned'],
    ]);
    assert.equal(await inboxItem(pool, 'doc-a', 'city-office'), null);
    assert.deepEqual((await listInbox(pool, { unitId: 'city-office', first: 10 })).items, []);
  });

  test('status and assignee filters: 待签收, 待办 per unit and per person, 已办, 已退回', async () => {
    const ids = async (opts: Omit<ListInboxOptions, 'first'>) => (await listInbox(pool, { ...opts, first: 10 })).items.map((i) => i.documentId);
    assert.deepEqual(await ids({ unitId: 'edu', status: 'awaiting_receipt' }), ['doc-d']);
    assert.deepEqual(await ids({ unitId: 'edu', status: 'awaiting_handling' }), ['doc-c']);
    assert.deepEqual(await ids({ unitId: 'edu', status: 'awaiting_handling', assigneeUserId: 'edu-leader' }), ['doc-c']);
    assert.deepEqual(await ids({ unitId: 'edu', status: 'awaiting_handling', assigneeUserId: 'edu-clerk' }), []);
    assert.deepEqual(await ids({ unitId: 'edu', assigneeUserId: 'edu-clerk' }), ['doc-a']);
    assert.deepEqual(await ids({ unitId: 'edu', status: 'handled' }), ['doc-a']);
    assert.deepEqual(await ids({ unitId: 'fin', status: 'returned' }), ['doc-a']);
    assert.deepEqual(await ids({ unitId: 'fin', status: 'awaiting_receipt' }), ['doc-c', 'doc-d']);
    assert.deepEqual(await ids({ unitId: 'hlth', status: 'received' }), ['doc-a']);
    assert.deepEqual(await ids({ unitId: 'hlth', status: 'withdrawn' }), ['doc-b']);
  });

  test('counts per status per unit and per person, and the counts table holds exactly the non-zero counters', async () => {
    assert.deepEqual(await inboxCounts(pool, 'edu'), { unitId: 'edu', awaitingReceipt: 1, received: 0, awaitingHandling: 1, handled: 1, returned: 0, withdrawn: 1, person: null });
    assert.deepEqual((await inboxCounts(pool, 'edu', 'edu-clerk')).person, { userId: 'edu-clerk', awaitingHandling: 0, handled: 1 });
    assert.deepEqual((await inboxCounts(pool, 'edu', 'edu-leader')).person, { userId: 'edu-leader', awaitingHandling: 1, handled: 0 });
    assert.deepEqual(await inboxCounts(pool, 'fin'), { unitId: 'fin', ...zero, awaitingReceipt: 2, returned: 1, withdrawn: 1, person: null });
    assert.deepEqual(await inboxCounts(pool, 'hlth'), { unitId: 'hlth', ...zero, received: 1, withdrawn: 1, person: null });
    assert.deepEqual(await inboxCounts(pool, 'city-office'), { unitId: 'city-office', ...zero, person: null });
    assert.deepEqual(
      incremental.counts.map((r) => [r.unit_id, r.user_id, r.status, r.n]),
      [
        ['edu', '', 'awaiting_handling', 1],
        ['edu', '', 'awaiting_receipt', 1],
        ['edu', '', 'handled', 1],
        ['edu', '', 'withdrawn', 1],
        ['edu', 'edu-clerk', 'handled', 1],
        ['edu', 'edu-leader', 'awaiting_handling', 1],
        ['fin', '', 'awaiting_receipt', 2],
        ['fin', '', 'returned', 1],
        ['fin', '', 'withdrawn', 1],
        ['hlth', '', 'received', 1],
        ['hlth', '', 'withdrawn', 1],
      ],
    );
    // The counters agree with the rows they count.
    const { rows } = await pool.query(
      `SELECT unit_id, status, count(*)::int AS n FROM inbox_items GROUP BY unit_id, status ORDER BY unit_id, status`,
    );
    assert.deepEqual(rows.map((r) => [r.unit_id, '', r.status, r.n]), incremental.counts.filter((r) => r.user_id === '').map((r) => [r.unit_id, r.user_id, r.status, r.n]));
  });

  test('a rebuild equals the incremental build', async () => {
    const before = await projectionDigest(pool, inboxProjection);
    await runner.rebuild();
    assert.deepEqual(await dump(pool), incremental);
    assert.equal((await projectionDigest(pool, inboxProjection)).digest, before.digest);
  });

  test('batches of 1 and of 1000 events give the same rows', async () => {
    for (const batchSize of [1, 1000]) {
      await new ProjectionRunner(pool, m.ledger.store, [inboxProjection], { batchSize }).rebuild();
      assert.deepEqual(await dump(pool), incremental, `batch size ${batchSize}`);
    }
  });

  test('bad paging input and a foreign cursor are refused with VALIDATION_FAILED', async () => {
    for (const first of [0, -1, 1.5, 101]) {
      assert.equal((await refusal(listInbox(pool, { unitId: 'edu', first }))).code, 'VALIDATION_FAILED');
    }
    assert.equal((await refusal(listInbox(pool, { unitId: 'edu', first: 5, after: 'not-a-cursor' }))).code, 'VALIDATION_FAILED');
    const sentRunner = new ProjectionRunner(pool, m.ledger.store, [sentBoxProjection]);
    await sentRunner.prepare();
    await sentRunner.catchUp();
    const sentCursor = (await listSent(pool, { unitId: 'city-office', first: 1 })).endCursor!;
    const foreign = await refusal(listInbox(pool, { unitId: 'edu', first: 5, after: sentCursor }));
    assert.equal(foreign.code, 'VALIDATION_FAILED');
    assert.match(foreign.message, /分页游标无效/);
    const status = await refusal(listInbox(pool, { unitId: 'edu', first: 5, status: 'pending' as InboxStatus }));
    assert.equal(status.code, 'VALIDATION_FAILED');
    assert.equal((await refusal(inboxCounts(pool, 'edu', ''))).code, 'VALIDATION_FAILED');
  });
});

describe('inbox pagination over many documents', async () => {
  const m = await createMailroom();
  const pool = m.ledger.db.pool;
  const edu = m.people('edu');
  const urgencies = ['平件', '加急', '特急'] as const;
  const N = 27;
  const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();
  // fin sends N documents to edu, two at a time with the same urgency (so deliveries tie in pairs
  // and the documentId breaks the tie); edu works some of them: due dates as calendar days and as
  // exact times, a department assignment, returns.
  for (let i = 0; i < N; i++) {
    const id = `p-${String(i).padStart(2, '0')}`;
    const sendAt = plus(T('08:00'), 10 + Math.floor(i / 2) * 4);
    await m.issue('fin', id, sendAt, { title: `关于第${i + 1}批项目资金拨付的通知`, urgency: urgencies[Math.floor(i / 2) % 3], mainRecipients: ['edu'], ccRecipients: [], docNumberPrefix: '阜财' });
    if (i % 2 === 1 || i === N - 1) await m.deliver(plus(sendAt, 1));
  }
  for (let i = 0; i < N; i++) {
    const k = { documentId: `p-${String(i).padStart(2, '0')}`, unitId: 'edu' };
    if (i % 5 === 3) {
      await m.act(T('10:00'), edu.clerk, 'ReturnDocument', { ...k, reason: '非本单位职责' });
      continue;
    }
    if (i % 3 === 2 && i % 4 !== 0) continue;
    await m.act(T('10:30'), edu.clerk, 'ReceiveDocument', k);
    if (i % 4 === 0) await m.act(T('10:40'), edu.leader, 'AssignHandling', { ...k, assigneeUserId: i % 8 === 0 ? 'edu-clerk' : 'edu-leader', dueDate: i % 8 === 0 ? '2026-03-09' : '2026-03-06T08:00:00.000Z' });
    else if (i % 6 === 1) await m.act(T('10:50'), edu.clerk, 'AssignHandling', { ...k, assigneeDepartment: '财务科', dueDate: '2026-03-06' });
  }
  await m.act(T('11:00'), edu.clerk, 'CompleteHandling', { documentId: 'p-00', unitId: 'edu', result: '已拨付' });

  const runner = new ProjectionRunner(pool, m.ledger.store, [inboxProjection], { batchSize: 7 });
  await runner.prepare();
  await runner.catchUp();

  // The order, stated independently of the projection's sort keys.
  const rank = { 特急: 0, 加急: 1, 平件: 2 } as const;
  const dueAt = (d: string | null) => (d === null ? Infinity : /^\d{4}-\d{2}-\d{2}$/.test(d) ? Date.parse(`${d}T23:59:59.999+08:00`) : Date.parse(d));
  const expectedOrder = (items: InboxItem[]) =>
    [...items]
      .sort(
        (a, b) =>
          rank[a.urgency] - rank[b.urgency] ||
          dueAt(a.dueDate) - dueAt(b.dueDate) ||
          Date.parse(b.deliveredAt) - Date.parse(a.deliveredAt) ||
          (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0),
      )
      .map((i) => i.documentId);

  test('every page size walks the whole inbox in order, with no duplicates and no gaps', async () => {
    const everything = (await listInbox(pool, { unitId: 'edu', first: 100 })).items;
    assert.equal(everything.length, N);
    assert.deepEqual(everything.map((i) => i.documentId), expectedOrder(everything));
    // The data really exercises every part of the key.
    assert.ok(new Set(everything.map((i) => i.dueDate)).size >= 4);
    assert.ok(everything.some((a, i) => everything.some((b, j) => i !== j && a.deliveredAt === b.deliveredAt && a.urgency === b.urgency && a.dueDate === b.dueDate)));
    for (const first of [1, 2, 4, 5, 26, 27]) {
      assert.deepEqual((await allPages(pool, { unitId: 'edu' }, first)).map((i) => i.documentId), expectedOrder(everything), `first=${first}`);
    }
  });

  test('filtered lists page the same way', async () => {
    const everything = (await listInbox(pool, { unitId: 'edu', first: 100 })).items;
    const filters: Omit<ListInboxOptions, 'first' | 'after'>[] = [
      { unitId: 'edu', status: 'awaiting_receipt' },
      { unitId: 'edu', status: 'awaiting_handling' },
      { unitId: 'edu', status: 'returned' },
      { unitId: 'edu', assigneeUserId: 'edu-leader' },
      { unitId: 'edu', assigneeUserId: 'edu-clerk', status: 'awaiting_handling' },
    ];
    for (const f of filters) {
      const want = everything.filter((i) => (f.status === undefined || i.status === f.status) && (f.assigneeUserId === undefined || i.assignment?.assigneeUserId === f.assigneeUserId));
      assert.ok(want.length >= 2, JSON.stringify(f));
      assert.deepEqual((await allPages(pool, f, 2)).map((i) => i.documentId), expectedOrder(want), JSON.stringify(f));
    }
    const counts = await inboxCounts(pool, 'edu', 'edu-leader');
    const n = (s: InboxStatus) => everything.filter((i) => i.status === s).length;
    assert.deepEqual(counts, {
      unitId: 'edu',
      awaitingReceipt: n('awaiting_receipt'),
      received: n('received'),
      awaitingHandling: n('awaiting_handling'),
      handled: n('handled'),
      returned: n('returned'),
      withdrawn: 0,
      person: { userId: 'edu-leader', awaitingHandling: everything.filter((i) => i.status === 'awaiting_handling' && i.assignment?.assigneeUserId === 'edu-leader').length, handled: 0 },
    });
  });

  test('a page continues after its cursor when rows arrive or move meanwhile: nothing repeats', async () => {
    const page1 = await listInbox(pool, { unitId: 'edu', status: 'awaiting_receipt', first: 3 });
    // One copy of page 1 is signed for (it leaves the list) and a new urgent copy arrives (before the cursor).
    await m.act(T('12:00'), edu.clerk, 'ReceiveDocument', { documentId: page1.items[0]!.documentId, unitId: 'edu' });
    await m.issue('fin', 'p-late', T('12:10'), { urgency: '特急', mainRecipients: ['edu'], ccRecipients: [], docNumberPrefix: '阜财' });
    await m.deliver(T('12:11'));
    await runner.catchUp();
    const rest: InboxItem[] = [];
    for (let after = page1.endCursor; ; ) {
      const page = await listInbox(pool, { unitId: 'edu', status: 'awaiting_receipt', first: 3, after });
      rest.push(...page.items);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const seen = [...page1.items, ...rest].map((i) => i.documentId);
    assert.equal(new Set(seen).size, seen.length);
    const now = (await listInbox(pool, { unitId: 'edu', status: 'awaiting_receipt', first: 100 })).items.map((i) => i.documentId);
    assert.deepEqual(rest.map((i) => i.documentId), now.slice(now.indexOf(page1.items.at(-1)!.documentId) + 1));
    assert.equal(now[0], 'p-late');
  });

  test('every list shape is an index range scan in sort order (no sort, no filter on the key)', async () => {
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const page = await listInbox(pool, { unitId: 'edu', first: 2 });
      const shapes: [ListInboxOptions, string][] = [
        [{ unitId: 'edu', first: 2, after: page.endCursor }, 'inbox_items_unit_order'],
        [{ unitId: 'edu', status: 'awaiting_receipt', first: 2, after: page.endCursor }, 'inbox_items_unit_status_order'],
        [{ unitId: 'edu', assigneeUserId: 'edu-leader', first: 2, after: page.endCursor }, 'inbox_items_assignee_order'],
        [{ unitId: 'edu', assigneeUserId: 'edu-leader', status: 'awaiting_handling', first: 2, after: page.endCursor }, 'inbox_items_assignee_status_order'],
      ];
      for (const [opts, index] of shapes) {
        const counted = countingPool(pool);
        await listInbox(counted.pool, opts);
        // The page, then the probe for rows before its cursor (hasPreviousPage): one index entry.
        assert.equal(counted.statements.length, 2);
        assert.match(counted.statements[1]!.text, /LIMIT 1$/);
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${counted.statements[0]!.text}`, counted.statements[0]!.values);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        assert.match(plan, new RegExp(`"Index Name":"${index}"`), plan);
        assert.doesNotMatch(plan, /"Node Type":"Sort"/, plan);
        assert.match(plan, /"Index Cond":"[^"]*ROW\(urgency_rank, due_rank, delivered_rank, document_id\) > ROW/, plan);
      }
    } finally {
      client.release();
    }
  });
});
