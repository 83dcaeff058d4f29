import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { startApi, type GraphqlResponse } from '../support/http.ts';

/**
 * A frontend's view of the work lists: a client that knows only the schema walks one document's
 * whole life over HTTP (draft → sign-off → seal → send → sign for → assign → complete → file), with
 * the ledger running as `gongwen serve` runs it (projections and process managers in the
 * background), and after every step checks every role's work lists and badge numbers; a WebSocket
 * subscription tells the receiving clerk of each change. Then it pages a list of several pages
 * forward and backward by its cursors.
 */

const LISTS = ['myDrafts', 'awaitingSignOff', 'awaitingSealing', 'awaitingSending', 'awaitingReceipt', 'awaitingHandling', 'mine'] as const;
type ListName = (typeof LISTS)[number];
type Work = Partial<Record<ListName, string[]>> & { awaitingAssignment?: number };

const WORK = `{
  workCounts { unitId drafts awaitingSignOff awaitingSealing awaitingSending awaitingReceipt awaitingAssignment awaitingHandling myAwaitingHandling }
  myDrafts { totalCount edges { cursor node { documentId stage } } }
  awaitingSignOff { totalCount edges { cursor node { documentId stage } } }
  awaitingSealing { totalCount edges { cursor node { documentId stage } } }
  awaitingSending { totalCount edges { cursor node { documentId stage docNumber } } }
  awaitingReceipt { totalCount edges { cursor node { documentId status } } }
  awaitingHandling { totalCount edges { cursor node { documentId status } } }
  mine: awaitingHandling(mine: true) { totalCount edges { cursor node { documentId status } } }
}`;

/** The badge number that must equal each list's size. */
const COUNT_OF: Record<ListName, string> = {
  myDrafts: 'drafts',
  awaitingSignOff: 'awaitingSignOff',
  awaitingSealing: 'awaitingSealing',
  awaitingSending: 'awaitingSending',
  awaitingReceipt: 'awaitingReceipt',
  awaitingHandling: 'awaitingHandling',
  mine: 'myAwaitingHandling',
};

describe('work lists through the GraphQL API alone, over a whole document life', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  ledger.start();
  const api = await startApi(ledger);
  after(() => api.close());

  const ok = (r: GraphqlResponse, what: string) => {
    assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
    return r.data!;
  };
  const must = async (userId: string, name: string, input: Record<string, unknown>) => {
    const r = await api.mutate(userId, name, input, 'commandId');
    assert.ok(r.result, `${userId} ${name}: ${JSON.stringify(r.errors)}`);
  };

  /** The read side follows the ledger within moments: a client asks again until it shows the change. */
  async function eventually(check: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Every work list of the user holds exactly `expected` (absent: nothing), and every badge number is its list's size. */
  const expectWork = (userId: string, expected: Work) =>
    eventually(async () => {
      const data = ok(await api.gql(userId, WORK), userId);
      for (const list of LISTS) {
        const ids = data[list].edges.map((e: { node: { documentId: string } }) => e.node.documentId);
        assert.deepEqual(ids, expected[list] ?? [], `${userId} ${list}`);
        assert.equal(data[list].totalCount, ids.length, `${userId} ${list} totalCount`);
        assert.equal(data.workCounts[COUNT_OF[list]], ids.length, `${userId} workCounts.${COUNT_OF[list]}`);
      }
      assert.equal(data.workCounts.awaitingAssignment, expected.awaitingAssignment ?? 0, `${userId} workCounts.awaitingAssignment`);
    });

  const people = ['edu-clerk', 'edu-leader', 'edu-keeper', 'fin-clerk', 'fin-leader'] as const;
  /** Everyone's lists at once: those named hold what is given, everyone else's are empty. */
  const expectEveryone = async (work: Partial<Record<(typeof people)[number], Work>>) => {
    for (const userId of people) await expectWork(userId, work[userId] ?? {});
  };

  test('each step moves the document from one work list to the next, for exactly the right people', async () => {
    const D = 'wl-1';
    const k = { documentId: D, unitId: 'fin' };
    // The receiving clerk's client listens for its unit's inbox changes.
    const token = await api.tokenFor('fin-clerk');
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const pushed: { documentId: string; eventType: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { inboxChanged(unitId: "fin") { documentId eventType } }' } }));
          setTimeout(resolve, 200);
        }
        if (m.type === 'next') pushed.push(m.payload.data.inboxChanged);
      });
    });
    const pushedFor = (eventType: string) => eventually(async () => assert.ok(pushed.some((p) => p.documentId === D && p.eventType === eventType), `no ${eventType} pushed: ${JSON.stringify(pushed)}`));

    await expectEveryone({});

    await must('edu-clerk', 'draftDocument', { documentId: D, title: '关于报送2026年度部门预算的通知', docType: '通知', body: '　　市财政局：请于月底前报送部门预算。', mainRecipients: ['fin'], docNumberPrefix: '阜教' });
    // 起草中 for its drafter, 待签发 for every leader of the unit (and everyone of the unit may see that list).
    await expectEveryone({ 'edu-clerk': { myDrafts: [D], awaitingSignOff: [D] }, 'edu-leader': { awaitingSignOff: [D] }, 'edu-keeper': { awaitingSignOff: [D] } });

    await must('edu-leader', 'signOffDocument', { documentId: D });
    const edu = (work: Work) => ({ 'edu-clerk': work, 'edu-leader': work, 'edu-keeper': work });
    await expectEveryone(edu({ awaitingSealing: [D] }));

    // A revision voids the sign-off: the draft is back with its drafter and the leaders.
    await must('edu-clerk', 'reviseDraft', { documentId: D, title: '关于报送2026年度部门预算草案的通知' });
    await expectEveryone({ 'edu-clerk': { myDrafts: [D], awaitingSignOff: [D] }, 'edu-leader': { awaitingSignOff: [D] }, 'edu-keeper': { awaitingSignOff: [D] } });
    await must('edu-leader', 'signOffDocument', { documentId: D });
    await expectEveryone(edu({ awaitingSealing: [D] }));

    await must('edu-keeper', 'sealDocument', { documentId: D, sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
    await expectEveryone(edu({ awaitingSending: [D] }));
    const sending = ok(await api.gql('edu-clerk', '{ awaitingSending { edges { node { docNumber stage } } } }'), 'awaitingSending');
    assert.equal(sending.awaitingSending.edges[0].node.stage, 'sealed');
    assert.match(sending.awaitingSending.edges[0].node.docNumber, /^阜教〔\d{4}〕1号$/);

    await must('edu-clerk', 'sendDocument', { documentId: D });
    await pushedFor('DocumentDelivered');
    const fin = (work: Work) => ({ 'fin-clerk': work, 'fin-leader': work });
    await expectEveryone(fin({ awaitingReceipt: [D] }));

    await must('fin-clerk', 'receiveDocument', k);
    await pushedFor('DocumentReceived');
    await expectEveryone(fin({ awaitingAssignment: 1 }));

    await must('fin-leader', 'assignHandling', { ...k, assigneeUserId: 'fin-clerk', dueDate: '2099-12-01' });
    await pushedFor('HandlingAssigned');
    // 待办 of the unit for both; the clerk's own 待办 only for the clerk.
    await expectEveryone({ 'fin-clerk': { awaitingHandling: [D], mine: [D] }, 'fin-leader': { awaitingHandling: [D] } });

    await must('fin-clerk', 'completeHandling', { ...k, result: '已按时报送' });
    await pushedFor('HandlingCompleted');
    await expectEveryone({});

    await must('fin-clerk', 'fileIncoming', { ...k, retention: 'D30' });
    await must('edu-clerk', 'fileDocument', { documentId: D, retention: 'Y' });
    await pushedFor('IncomingFiled');
    await expectEveryone({});
    ws.close();
    assert.deepEqual(
      pushed.filter((p) => p.documentId === D).map((p) => p.eventType),
      ['DocumentDelivered', 'DocumentReceived', 'HandlingAssigned', 'HandlingCompleted', 'IncomingFiled'],
    );

    // The sent box and the inbox tell the end of the story, with their filters.
    await eventually(async () => {
      const sent = ok(await api.gql('edu-clerk', '{ sentDocuments(status: FILED) { totalCount edges { cursor node { documentId status recipients { unitId status } } } } }'), 'sentDocuments');
      assert.equal(sent.sentDocuments.totalCount, 1);
      assert.deepEqual(sent.sentDocuments.edges[0].node, { documentId: D, status: 'FILED', recipients: [{ unitId: 'fin', status: 'FILED' }] });
      const handled = ok(await api.gql('fin-clerk', '{ inbox(status: HANDLED, sort: NEWEST) { totalCount counts { handled } edges { node { documentId } } } }'), 'inbox');
      assert.deepEqual([handled.inbox.totalCount, handled.inbox.counts.handled, handled.inbox.edges[0].node.documentId], [1, 1, D]);
    });
  });

  test('a list of several pages, forward and backward by its cursors, each page consistent with the others', async () => {
    const N = 23;
    const ids = Array.from({ length: N }, (_, i) => `wl-p${String(i).padStart(2, '0')}`);
    for (const documentId of ids) {
      await must('fin-clerk', 'draftDocument', { documentId, title: `关于第${documentId.slice(4)}项财政资金检查的通知`, docType: '通知', body: '　　各单位：现开展检查。', mainRecipients: ['edu'], docNumberPrefix: '阜财' });
    }
    const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String) {
      myDrafts(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { documentId draftedAt } }
      }
    }`;
    type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }; edges: { cursor: string; node: { documentId: string; draftedAt: string } }[] };
    const page = async (vars: Record<string, unknown>): Promise<Page> => ok(await api.gql('fin-clerk', PAGE, vars), JSON.stringify(vars)).myDrafts;
    await eventually(async () => assert.equal((await page({})).totalCount, N));

    // Forward, 5 at a time (the default page is 20).
    assert.equal((await page({})).edges.length, 20);
    const forward: Page['edges'] = [];
    for (let after: string | null = null, pages = 0; ; pages++) {
      const p: Page = await page({ first: 5, after });
      assert.equal(p.totalCount, N);
      assert.equal(p.pageInfo.hasPreviousPage, after !== null);
      assert.equal(p.pageInfo.startCursor, p.edges[0]?.cursor ?? null);
      assert.equal(p.pageInfo.endCursor, p.edges.at(-1)?.cursor ?? null);
      forward.push(...p.edges);
      if (!p.pageInfo.hasNextPage) {
        assert.equal(pages, 4);
        break;
      }
      after = p.pageInfo.endCursor;
    }
    // Oldest draft first (all 平件), every draft once.
    const order = [...forward].sort((a, b) => a.node.draftedAt.localeCompare(b.node.draftedAt) || (a.node.documentId < b.node.documentId ? -1 : 1));
    assert.deepEqual(forward.map((e) => e.node.documentId), order.map((e) => e.node.documentId));
    assert.deepEqual([...forward.map((e) => e.node.documentId)].sort(), ids);

    // Backward from the end, 6 at a time: the same edges, the same cursors.
    const backward: Page['edges'] = [];
    for (let before: string | null = null; ; ) {
      const p: Page = await page({ last: 6, before });
      assert.equal(p.pageInfo.hasNextPage, before !== null);
      backward.unshift(...p.edges);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    assert.deepEqual(backward, forward);

    // Any edge's cursor continues the list from that edge, either way.
    const mid = await page({ first: 4, after: forward[9]!.cursor });
    assert.deepEqual(mid.edges, forward.slice(10, 14));
    const before = await page({ last: 3, before: forward[9]!.cursor });
    assert.deepEqual(before.edges, forward.slice(6, 9));
    assert.deepEqual([before.pageInfo.hasPreviousPage, before.pageInfo.hasNextPage], [true, true]);
    const between = await page({ first: 100, after: forward[2]!.cursor, before: forward[7]!.cursor });
    assert.deepEqual(between.edges, forward.slice(3, 7));

    // The same documents await the unit's leaders, in the same order, with that list's own cursors.
    const leader = ok(await api.gql('fin-leader', '{ awaitingSignOff(first: 100) { totalCount edges { cursor node { documentId } } } }'), 'awaitingSignOff').awaitingSignOff;
    assert.deepEqual(leader.edges.map((e: { node: { documentId: string } }) => e.node.documentId), forward.map((e) => e.node.documentId));
    const foreign = await api.gql('fin-leader', `{ awaitingSignOff(after: "${forward[0]!.cursor}") { totalCount } }`);
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', 'a cursor of another list is refused');

    // Bad page arguments are refused with the list's own words.
    for (const bad of [{ first: 2, last: 2 }, { last: 0 }, { first: 101 }, { after: 'not-a-cursor' }]) {
      const r = await api.gql('fin-clerk', PAGE, bad);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', JSON.stringify(bad));
      assert.equal(r.status, 200);
    }
  });
});
