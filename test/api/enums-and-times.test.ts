import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { commandSdl } from '../../src/api/command-sdl.ts';
import { apiEnums } from '../../src/api/enums.ts';
import { defineCommand } from '../../schemas/define.ts';
import { Urgency } from '../../schemas/common.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('closed sets are enums, times are DateTime, over the real server', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const draft = {
    documentId: 'en-1',
    title: '关于做好防汛工作的紧急通知',
    docType: 'NOTICE',
    urgency: 'EXTRA_URGENT',
    body: '　　各单位：请立即部署防汛工作。',
    mainRecipients: ['edu'],
    docNumberPrefix: '阜政办',
    attachments: [{ name: '附件.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7').toString('base64') }],
  };

  test('enum names in, the domain\'s values in the ledger, enum names out', async () => {
    const d = await api.gql('city-office-clerk', 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { events { data } } }', { input: { commandId: 'enum-cmd-1', ...draft } });
    assert.equal(d.errors, undefined, JSON.stringify(d.errors));
    const recorded = d.data!.draftDocument.events[0].data;
    assert.equal(recorded.urgency, '特急');
    assert.equal(recorded.docType, '通知');
    assert.equal(recorded.classification, '非密', 'the default, UNCLASSIFIED, arrives as the domain value');
    const doc = await api.gql('city-office-clerk', '{ document(id: "en-1") { status docType urgency classification attachments { name mediaType size sm3 } signOff { signedOffBy } } }');
    assert.deepEqual({ ...doc.data!.document, attachments: undefined }, { status: 'DRAFTED', docType: 'NOTICE', urgency: 'EXTRA_URGENT', classification: 'UNCLASSIFIED', attachments: undefined, signOff: null });
    assert.deepEqual(doc.data!.document.attachments[0].size, 8);
    assert.match(doc.data!.document.attachments[0].sm3, /^[0-9a-f]{64}$/);
  });

  test('a domain value or an unknown name is refused by the schema, before the command', async () => {
    for (const urgency of ['特急', 'VERY_URGENT']) {
      const r = await api.gql('city-office-clerk', 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { commandId } }', { input: { commandId: `enum-bad-${urgency.length}`, ...draft, documentId: 'en-2', urgency } });
      assert.equal(r.status, 400);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
    }
    assert.equal((await ledger.store.readStream('document-en-2')).revision, null);
  });

  test('typed sign-off and sealing; times are RFC 3339 with an offset', async () => {
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'en-1', opinion: '同意' })).result);
    assert.ok((await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'en-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE })).result);
    await ledger.settle();
    const r = await api.gql('city-office-clerk', '{ document(id: "en-1") { status signOff { signedOffBy signedOffAt opinion } sealing { sealId sealedBy sealedAt contentDigest } } seals(unitId: "city-office") { sealId sealType keyCustody status validFrom } }');
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const { document } = r.data!;
    const seal = r.data!.seals.find((s: { sealId: string }) => s.sealId === 'city-office-seal');
    assert.ok(seal, JSON.stringify(r.data!.seals));
    assert.equal(document.status, 'SEALED');
    assert.equal(document.signOff.signedOffBy, 'city-office-leader');
    assert.equal(document.signOff.opinion, '同意');
    assert.match(document.signOff.signedOffAt, RFC3339);
    assert.equal(document.sealing.sealId, 'city-office-seal');
    assert.match(document.sealing.sealedAt, RFC3339);
    assert.deepEqual([seal.sealType, seal.keyCustody, seal.status], ['UNIT_SEAL', 'SERVER', 'ACTIVE']);
    assert.match(seal.validFrom, RFC3339);
  });

  test('inbox: filter by an enum, assignment typed with its due date', async () => {
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'en-1' })).result);
    await ledger.settle();
    const waiting = await api.gql('edu-clerk', '{ inbox(status: AWAITING_RECEIPT) { edges { node { documentId urgency kind status deliveredAt } } } }');
    assert.deepEqual({ ...waiting.data!.inbox.edges[0].node, deliveredAt: undefined }, { documentId: 'en-1', urgency: 'EXTRA_URGENT', kind: 'MAIN', status: 'AWAITING_RECEIPT', deliveredAt: undefined });
    assert.ok((await api.mutate('edu-clerk', 'receiveDocument', { documentId: 'en-1', unitId: 'edu' })).result);
    assert.ok((await api.mutate('edu-leader', 'assignHandling', { documentId: 'en-1', unitId: 'edu', assigneeUserId: 'edu-clerk', dueDate: '2099-12-01' })).result);
    await ledger.settle();
    const r = await api.gql('edu-clerk', '{ inbox(status: AWAITING_HANDLING) { edges { node { dueDate assignment { assigneeUserId dueDate assignedAt } } } counts { awaitingHandling mine { userId awaitingHandling } } } }');
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const node = r.data!.inbox.edges[0].node;
    assert.equal(node.assignment.dueDate, '2099-12-01');
    assert.match(node.assignment.assignedAt, RFC3339);
    assert.deepEqual(r.data!.inbox.counts.mine, { userId: 'edu-clerk', awaitingHandling: 1 });
    const badDue = await api.mutate('edu-leader', 'assignHandling', { documentId: 'en-1', unitId: 'edu', assigneeUserId: 'edu-clerk', dueDate: 'next week' });
    assert.equal(badDue.code, 'VALIDATION_FAILED');
  });

  test('an invalid DateTime is VALIDATION_FAILED naming the argument (literal) or the variable', async () => {
    const asAdmin = await api.gql('admin', '{ unitTimeline(unitId: "edu", from: "2026-12-01 09:00") { pageInfo { hasNextPage } } }');
    assert.equal(asAdmin.status, 400);
    assert.equal(asAdmin.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
    assert.equal((asAdmin.errors?.[0]?.extensions as { field?: string }).field, 'from');
    assert.match(asAdmin.errors![0]!.message, /「from」时间须为 RFC 3339/);
    for (const bad of ['2026-12-01T09:00:00', 'yesterday', '2026-13-01T09:00:00+08:00']) {
      const r = await api.gql('admin', 'query ($to: DateTime) { unitTimeline(unitId: "edu", to: $to) { pageInfo { hasNextPage } } }', { to: bad });
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', bad);
      assert.match(r.errors![0]!.message, /\$to/, bad);
    }
    const ok = await api.gql('admin', 'query ($to: DateTime) { unitTimeline(unitId: "edu", from: "2026-01-01T00:00:00+08:00", to: $to) { edges { node { occurredAt actorRole } } } }', { to: '2099-01-01T00:00:00Z' });
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    for (const e of ok.data!.unitTimeline.edges) assert.match(e.node.occurredAt, RFC3339);
  });
});

describe('the SDL generator', () => {
  test('zod enums become the API enums, .describe() texts descriptions, instants DateTime', () => {
    const Probe = defineCommand('DraftDocument', z.strictObject({ commandId: z.string().describe('探针 (probe)'), urgency: Urgency.default('平件'), validFrom: z.iso.datetime({ offset: true }) }));
    const sdl = commandSdl([Probe]);
    assert.match(sdl, /"探针 \(probe\)"\n {2}commandId: String!/);
    assert.match(sdl, /urgency: Urgency = ORDINARY/);
    assert.match(sdl, /validFrom: DateTime!/);
  });

  test('a zod enum without an API enum stops the generator', () => {
    const Probe = defineCommand('DraftDocument', z.strictObject({ commandId: z.string(), mood: z.enum(['喜', '怒']) }));
    assert.throws(() => commandSdl([Probe]), /no GraphQL enum for the zod enum 喜 怒/);
  });

  test('every enum value name is an ASCII GraphQL name, one per domain value', () => {
    for (const e of apiEnums) {
      const names = [...e.values.values()].map((v) => v.name);
      for (const n of names) assert.match(n, /^[A-Z][A-Z0-9_]*$/, `${e.name}.${n}`);
      assert.equal(new Set(names).size, names.length, e.name);
    }
  });
});
