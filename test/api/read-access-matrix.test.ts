import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { Roles, type Role } from '../../schemas/common.ts';
import { schemaFiles } from '../../src/api/graphql.ts';
import { streams } from '../../src/domain/streams.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { startApi, type GraphqlResponse } from '../support/http.ts';

/**
 * The read rules as an executable specification: every read query of the schema, asked by every
 * role of the issuing unit (edu), of a fellow recipient (fin) and of a unit that has nothing to do
 * with the document (tax). Another recipient (hlth) handles the document too: nothing of its
 * handling may reach fin. A unit that may not read the document learns no more than of one that
 * does not exist. A query added to the schema without a case here fails the test.
 */
type Relation = 'issuer' | 'recipient' | 'unrelated';
const UNIT: Record<Relation, string> = { issuer: 'edu', recipient: 'fin', unrelated: 'tax' };
const DOC = 'ra-1';
const GHOST = 'ra-ghost';

interface Asker {
  role: Role;
  relation: Relation;
  unitId: string;
  userId: string;
  seesAll: boolean;
}

type Check = (r: GraphqlResponse, a: Asker) => void;
const code = (r: GraphqlResponse) => r.errors?.[0]?.extensions?.code;
const ok: Check = (r, a) => assert.equal(r.errors, undefined, `${a.userId}: ${JSON.stringify(r.errors)}`);
const refused =
  (expected: string): Check =>
  (r, a) => {
    assert.equal(code(r), expected, `${a.userId}: expected ${expected}, got ${JSON.stringify(r.errors ?? r.data)}`);
    assert.ok(!r.data || Object.values(r.data).every((v) => v === null), `${a.userId}: data with a refusal`);
  };
const readsDocument = (a: Asker) => a.seesAll || a.relation !== 'unrelated';

describe('read-access matrix: every read query × every role × issuer / fellow recipient / unrelated unit', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const { admin, run } = city;
  const api = await startApi(ledger);
  after(() => api.close());
  await run(admin, 'RegisterUnit', { unitId: 'tax', name: '阜阳市税务局', kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: ['阜税'] });

  const askers: Asker[] = [];
  for (const relation of Object.keys(UNIT) as Relation[]) {
    for (const role of Roles) {
      const unitId = UNIT[relation];
      // The super administrator lives in the city office only (the directory's rule).
      const userId = role === 'SUPER_ADMIN' ? 'admin' : `ra-${unitId}-${role.toLowerCase().replace('_', '-')}`;
      if (role !== 'SUPER_ADMIN') await run(admin, 'RegisterUser', { userId, unitId, name: `矩阵${role}`, roles: [role] });
      askers.push({ role, relation, unitId: role === 'SUPER_ADMIN' ? 'city-office' : unitId, userId, seesAll: role === 'INSPECTOR' || role === 'SUPER_ADMIN' });
    }
  }

  // edu issues a document to fin (主送) and hlth (抄送); both sign for it and handle it.
  const must = async (user: string, name: string, input: Record<string, unknown>) => {
    const r = await api.mutate(user, name, input);
    assert.ok(r.result, `${name}: ${JSON.stringify(r.errors)}`);
  };
  await must('edu-clerk', 'draftDocument', { documentId: DOC, title: '关于做好汛期安全工作的通知', docType: '通知', urgency: '加急', body: '　　各单位：现就汛期安全工作通知如下。', mainRecipients: ['fin'], ccRecipients: ['hlth'], docNumberPrefix: '阜教' });
  await must('edu-leader', 'signOffDocument', { documentId: DOC });
  await must('edu-keeper', 'sealDocument', { documentId: DOC, sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
  await must('edu-clerk', 'sendDocument', { documentId: DOC });
  await ledger.settle();
  for (const unitId of ['fin', 'hlth']) {
    await must(`${unitId}-clerk`, 'receiveDocument', { documentId: DOC, unitId });
    await must(`${unitId}-leader`, 'giveInstruction', { documentId: DOC, unitId, kind: '批示', text: `${unitId} 请认真落实` });
    await must(`${unitId}-leader`, 'assignHandling', { documentId: DOC, unitId, assigneeUserId: `${unitId}-clerk`, dueDate: '2099-12-01' });
  }
  // And a draft of its own, still awaiting sign-off: the issuing work lists' one item.
  await must('edu-clerk', 'draftDocument', { documentId: 'ra-draft', title: '关于开展教师培训的请示', docType: '请示', body: '　　市政府：拟开展教师培训。', mainRecipients: ['city-office'], docNumberPrefix: '阜教' });
  await ledger.settle();

  const q = (query: string) => query;
  /** A work list of edu's issuing side: edu's own people and those who see every unit; anyone else naming edu is refused. */
  const eduWorkList = (field: string, expected: string[]) => ({
    query: q(`{ ${field}(unitId: "edu") { totalCount edges { cursor node { documentId issuerUnitId } } } }`),
    check: (r: GraphqlResponse, a: Asker) => {
      if (!a.seesAll && a.unitId !== 'edu') return refused('NOT_AUTHORISED')(r, a);
      ok(r, a);
      assert.deepEqual(r.data![field].edges.map((e: { node: { documentId: string } }) => e.node.documentId), expected, a.userId);
      assert.equal(r.data![field].totalCount, expected.length);
    },
  });
  /** A work list of fin's receiving side, as its inbox: fin's own people and those who see every unit. */
  const finWorkList = (field: string) => ({
    query: q(`{ ${field}(unitId: "fin") { totalCount edges { node { documentId unitId status } } } }`),
    check: (r: GraphqlResponse, a: Asker) => {
      if (!a.seesAll && a.unitId !== 'fin') return refused('NOT_AUTHORISED')(r, a);
      ok(r, a);
      assert.ok(r.data![field].edges.every((e: { node: { unitId: string } }) => e.node.unitId === 'fin'));
    },
  });
  /** Each read query: how it is asked, and what each asker must get. */
  const cases: Record<string, { query: string; check: Check }> = {
    me: { query: q('{ me { userId unitId } }'), check: (r, a) => (ok(r, a), assert.equal(r.data!.me.userId, a.userId)) },
    securityLog: { query: q('{ securityLog(first: 5) { edges { node { code } } } }'), check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a) },
    inbox: {
      query: q('{ inbox(unitId: "fin") { edges { node { documentId unitId } } } }'),
      check: (r, a) => {
        if (!a.seesAll && a.unitId !== 'fin') return refused('NOT_AUTHORISED')(r, a);
        ok(r, a);
        assert.ok(r.data!.inbox.edges.every((e: { node: { unitId: string } }) => e.node.unitId === 'fin'));
      },
    },
    sentDocuments: {
      query: q('{ sentDocuments(unitId: "edu") { edges { node { documentId recipients { unitId status } } } } }'),
      check: (r, a) => (a.seesAll || a.unitId === 'edu' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    document: {
      query: q(`{ document(id: "${DOC}") { documentId issuerUnitId } }`),
      check: (r, a) => {
        ok(r, a);
        if (readsDocument(a)) assert.equal(r.data!.document?.documentId, DOC, a.userId);
        else assert.equal(r.data!.document, null, `${a.userId} read the document`);
      },
    },
    timeline: {
      query: q(`{ timeline(documentId: "${DOC}") { edges { node { streamId unitId actorUserId } } } }`),
      check: (r, a) => {
        if (!readsDocument(a)) return refused('NOT_FOUND')(r, a);
        ok(r, a);
        const seen = new Set<string>(r.data!.timeline.edges.map((e: { node: { streamId: string } }) => e.node.streamId));
        const hlth = streams.delivery(DOC, 'hlth');
        if (a.seesAll || a.relation === 'issuer') {
          assert.ok(seen.has(hlth) && seen.has(streams.delivery(DOC, 'fin')), `${a.userId} misses deliveries`);
        } else {
          assert.deepEqual([...seen].sort(), [streams.delivery(DOC, 'fin'), streams.document(DOC)].sort(), `${a.userId} sees ${[...seen]}`);
          assert.ok(!JSON.stringify(r.data).includes('hlth'), `${a.userId} sees hlth's handling`);
        }
      },
    },
    actorTimeline: {
      query: q('{ actorTimeline(userId: "hlth-leader") { edges { node { streamId } } } }'),
      check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    unitTimeline: {
      query: q('{ unitTimeline(unitId: "hlth") { edges { node { streamId } } } }'),
      check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    searchDocuments: {
      query: q('{ searchDocuments(query: "汛期安全") { edges { node { documentId } } } }'),
      check: (r, a) => {
        ok(r, a);
        const found = r.data!.searchDocuments.edges.some((e: { node: { documentId: string } }) => e.node.documentId === DOC);
        if (a.relation === 'unrelated' && !a.seesAll) assert.equal(found, false, `${a.userId} found the document`);
        if (a.relation === 'issuer' || a.seesAll) assert.equal(found, true, `${a.userId} did not find the document`);
      },
    },
    credentials: {
      query: q('{ credentials(userId: "hlth-leader") { credentialId usable } }'),
      check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    units: { query: q('{ units { unitId } }'), check: ok },
    seals: { query: q('{ seals { sealId unitId } }'), check: ok },
    ledgerKey: { query: q('{ ledgerKey { keyId } }'), check: ok },
    catalogue: {
      query: q('{ catalogue(fonds: "0001", year: 2026) { edges { node { archivalCode } } } }'),
      check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    sealUsage: {
      query: q('{ sealUsage(unitId: "edu") { edges { node { documentId } } } }'),
      check: (r, a) => (a.seesAll || a.unitId === 'edu' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    sealingContent: {
      query: q(`{ sealingContent(documentId: "${DOC}") { contentDigest } }`),
      // The issuing unit's own: anyone else is told what they would be told of no document.
      check: (r, a) => (a.unitId === 'edu' ? assert.notEqual(code(r), 'NOT_FOUND', a.userId) : refused('NOT_FOUND')(r, a)),
    },
    verifySeal: {
      query: q(`{ verifySeal(documentId: "${DOC}") { valid } }`),
      check: (r, a) => (readsDocument(a) ? (ok(r, a), assert.equal(r.data!.verifySeal.valid, true)) : refused('NOT_FOUND')(r, a)),
    },
    exportSealedDocument: {
      query: q(`{ exportSealedDocument(documentId: "${DOC}") }`),
      check: (r, a) => (readsDocument(a) ? ok : refused('NOT_FOUND'))(r, a),
    },
    // 电子监察: inspectors see every unit; a unit's leaders only their own unit.
    overdue: {
      query: q('{ overdue(unitId: "edu") { edges { node { unitId } } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' || (a.role === 'LEADER' && a.unitId === 'edu') ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    sendersCheck: {
      query: q('{ sendersCheck(unitId: "edu") { edges { node { unitId } } } }'),
      check: (r, a) => (a.seesAll || a.unitId === 'edu' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    warnings: {
      query: q('{ warnings(unitId: "fin") { edges { node { unitId } } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' || (a.role === 'LEADER' && a.unitId === 'fin') ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    unitStatistics: {
      query: q('{ unitStatistics(month: "2026-01", unitId: "fin") { units { unitId } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' || (a.role === 'LEADER' && a.unitId === 'fin') ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    unitRanking: {
      query: q('{ unitRanking(month: "2026-01") { units { unitId } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    scorecard: {
      query: q('{ scorecard(year: 2026, unitId: "fin") { units { unitId } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' || (a.role === 'LEADER' && a.unitId === 'fin') ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    dailyCheck: {
      query: q('{ dailyCheck(day: "2026-01-05") { day } }'),
      check: (r, a) => (a.role === 'INSPECTOR' || a.role === 'LEADER' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    unverifiedEntries: {
      query: q('{ unverifiedEntries { edges { node { streamId } } } }'),
      check: (r, a) => (a.role === 'INSPECTOR' ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    // 档案: an export's readers; the exports of a fonds like its catalogue; a package check by archivists.
    dossierExport: { query: q('{ dossierExport(exportId: "ra-none") { exportId } }'), check: (r, a) => (ok(r, a), assert.equal(r.data!.dossierExport, null)) },
    dossierExports: {
      query: q('{ dossierExports(fonds: "0001", year: 2026) { edges { node { exportId } } } }'),
      check: (r, a) => (a.seesAll ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
    checkDossierPackage: { query: q('{ checkDossierPackage(exportId: "ra-none") { passed } }'), check: refused('NOT_FOUND') },
    ledgerConsistency: {
      query: q('{ ledgerConsistency(fromSize: 1) { fromSize toSize proof } }'),
      // Hashes only: any signed-in user may check that the log was extended, never rewritten.
      check: ok,
    },
    // Work lists: a unit sees only its own work; a drafter's drafts are their own.
    myDrafts: {
      query: q('{ myDrafts { totalCount edges { node { documentId draftedBy } } } }'),
      check: (r, a) => {
        ok(r, a);
        assert.deepEqual(r.data!.myDrafts.edges.map((e: { node: { documentId: string } }) => e.node.documentId), a.userId === 'edu-clerk' ? ['ra-draft'] : [], a.userId);
      },
    },
    awaitingSignOff: eduWorkList('awaitingSignOff', ['ra-draft']),
    awaitingSealing: eduWorkList('awaitingSealing', []),
    awaitingSending: eduWorkList('awaitingSending', []),
    awaitingReceipt: finWorkList('awaitingReceipt'),
    awaitingHandling: {
      ...finWorkList('awaitingHandling'),
      check: (r, a) => {
        finWorkList('awaitingHandling').check(r, a);
        // fin's handling of the document is fin's own: nobody else's list shows it, and it is there for fin.
        if (!r.errors) assert.deepEqual(r.data!.awaitingHandling.edges.map((e: { node: { documentId: string } }) => e.node.documentId), [DOC], a.userId);
      },
    },
    workCounts: {
      query: q('{ workCounts(unitId: "edu") { unitId drafts awaitingSignOff awaitingSealing awaitingReceipt } }'),
      check: (r, a) => {
        if (!a.seesAll && a.unitId !== 'edu') return refused('NOT_AUTHORISED')(r, a);
        ok(r, a);
        assert.deepEqual(r.data!.workCounts, { unitId: 'edu', drafts: a.userId === 'edu-clerk' ? 1 : 0, awaitingSignOff: 1, awaitingSealing: 0, awaitingReceipt: 0 }, a.userId);
      },
    },
    numberRegister: {
      query: q('{ numberRegister(unitId: "edu", prefix: "阜教", year: 2026) { lastNumber edges { node { status } } } }'),
      // The issuing unit's clerks and leaders, inspectors and super administrators.
      check: (r, a) => (a.seesAll || (a.unitId === 'edu' && (a.role === 'CLERK' || a.role === 'LEADER')) ? ok : refused('NOT_AUTHORISED'))(r, a),
    },
  };

  test('every read query of the schema has its case here', () => {
    const schema = buildSchema(schemaFiles.map((f) => readFileSync(new URL(`../../schemas/graphql/${f}`, import.meta.url), 'utf8')).join('\n'));
    assert.deepEqual(Object.keys(schema.getQueryType()!.getFields()).sort(), Object.keys(cases).sort());
  });

  for (const [name, c] of Object.entries(cases)) {
    test(`${name}: every role of the issuer, a fellow recipient and an unrelated unit`, async () => {
      for (const a of askers) c.check(await api.gql(a.userId, c.query), a);
    });
  }

  test('a refusal on an unreadable document says exactly what it says of a missing one', async () => {
    const outsider = 'ra-tax-clerk';
    for (const field of ['timeline', 'verifySeal', 'exportSealedDocument', 'sealingContent']) {
      const selection = field === 'timeline' ? ' { pageInfo { hasNextPage } }' : field === 'verifySeal' ? ' { valid }' : field === 'sealingContent' ? ' { contentDigest }' : '';
      const real = await api.gql(outsider, `{ ${field}(documentId: "${DOC}")${selection} }`);
      const ghost = await api.gql(outsider, `{ ${field}(documentId: "${GHOST}")${selection} }`);
      assert.equal(real.errors?.[0]?.message.replace(DOC, '?'), ghost.errors?.[0]?.message.replace(GHOST, '?'), field);
      assert.deepEqual(real.errors?.[0]?.extensions, ghost.errors?.[0]?.extensions, field);
      assert.ok(!JSON.stringify(real.errors).includes('edu'), `${field} names the issuer`);
    }
    // So does a command on it.
    const cmd = await api.mutate(outsider, 'recallDocument', { documentId: DOC, reason: '试探' });
    const none = await api.mutate(outsider, 'recallDocument', { documentId: GHOST, reason: '试探' });
    assert.equal(cmd.code, 'NOT_FOUND');
    assert.equal(cmd.errors?.[0]?.message.replace(DOC, '?'), none.errors?.[0]?.message.replace(GHOST, '?'));
    assert.ok(!JSON.stringify(cmd.errors).includes('edu'), 'the refusal names the issuer');
  });

  test("the timeline subscription pushes a recipient its own delivery's entries, not another recipient's", async () => {
    const { default: WebSocket } = await import('ws');
    const token = await api.tokenFor('fin-clerk');
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const pushed: { streamId: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { documentTimeline(documentId: "${DOC}") { streamId } }` } }));
          setTimeout(resolve, 300);
        }
        if (m.type === 'next') pushed.push(m.payload.data.documentTimeline);
      });
    });
    await must('hlth-clerk', 'completeHandling', { documentId: DOC, unitId: 'hlth', result: '已落实' });
    await must('fin-clerk', 'completeHandling', { documentId: DOC, unitId: 'fin', result: '已落实' });
    await ledger.settle();
    await new Promise((ok) => setTimeout(ok, 500));
    ws.close();
    assert.deepEqual(pushed.map((p) => p.streamId), [streams.delivery(DOC, 'fin')]);
  });
});
