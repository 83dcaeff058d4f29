import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

const pdf = (bytes: number) => ({ name: '附件1.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(bytes, 7).toString('base64') });

describe('the whole lifecycle over GraphQL on HTTP', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const draft = (documentId: string, over: Record<string, unknown> = {}) => ({
    documentId,
    title: '关于开展电子印章应用试点的通知',
    docType: 'NOTICE',
    urgency: 'URGENT',
    body: '　　为推进电子印章在政务专网中的应用，现就试点工作通知如下。',
    mainRecipients: ['edu', 'fin', 'hlth'],
    docNumberPrefix: '阜政办',
    attachments: [pdf(1000)],
    ...over,
  });

  test('draft → sign off → seal → send to three units → each signs → read → assign → complete → file at both ends', async () => {
    const d = await api.mutate('city-office-clerk', 'draftDocument', draft('g-1'));
    assert.equal(d.status, 200, JSON.stringify(d.errors));
    const attachment = d.result!.events[0].data.attachments[0];
    assert.equal(attachment.size, 1000);
    assert.match(attachment.sm3, /^[0-9a-f]{64}$/);
    assert.equal((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'g-1', opinion: '同意' })).status, 200);
    const sealed = await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'g-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
    assert.deepEqual(sealed.result!.events.map((e: { type: string }) => e.type), ['DocumentNumberReserved', 'DocumentNumbered', 'DocumentSealed']);
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'g-1' })).result);
    await ledger.settle();
    for (const unit of ['edu', 'fin', 'hlth']) {
      const r = await api.mutate(`${unit}-clerk`, 'receiveDocument', { documentId: 'g-1', unitId: unit });
      assert.equal(r.result!.events[0].type, 'DocumentReceived', JSON.stringify(r.errors));
    }
    const k = { documentId: 'g-1', unitId: 'edu' };
    for (const [user, mutation, input] of [
      ['edu-clerk', 'registerIncoming', { ...k, registerNo: '收-001' }],
      ['edu-leader', 'markDocumentRead', k],
      ['edu-leader', 'giveInstruction', { ...k, kind: '批示', text: '请抓紧办理。' }],
      ['edu-leader', 'assignHandling', { ...k, assigneeUserId: 'edu-clerk', dueDate: '2099-12-01' }],
      ['edu-clerk', 'completeHandling', { ...k, result: '已办结' }],
      ['edu-clerk', 'fileIncoming', { ...k, retention: 'D30' }],
      ['city-office-clerk', 'fileDocument', { documentId: 'g-1', retention: 'Y' }],
    ] as const) {
      const r = await api.mutate(user, mutation, input);
      assert.ok(r.result, `${mutation}: ${JSON.stringify(r.errors)}`);
    }
  });

  test('no token, a forged token, a revoked token: UNAUTHENTICATED', async () => {
    const none = await api.gql(null, '{ me { userId } }');
    assert.equal(none.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const forged = await api.gql(null, '{ me { userId } }', {}, `gw1.admin.${'A'.repeat(43)}`);
    assert.equal(forged.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const malformed = await api.gql(null, '{ me { userId } }', {}, 'not-a-token');
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const me = await api.gql('edu-leader', '{ me { userId unitId roles } }');
    assert.deepEqual(me.data?.me, { userId: 'edu-leader', unitId: 'edu', roles: ['LEADER'] });
    // Refused logins are in the security log (no credential at all is not a login attempt).
    const logins = (await ledger.securityLog.page({}, { first: 20 })).items.filter((e) => e.commandType === 'Login');
    assert.deepEqual(
      logins.map((e) => [e.userId, e.code]),
      [[null, 'UNAUTHENTICATED'], ['admin', 'UNAUTHENTICATED']],
    );
  });

  test('bad input answers with the right code, never a 500, and writes nothing', async () => {
    const classified = await api.mutate('city-office-clerk', 'draftDocument', draft('g-2', { classification: '机密' }));
    assert.equal(classified.code, 'CLASSIFIED_REFUSED');
    const big = await api.mutate('city-office-clerk', 'draftDocument', draft('g-3', { attachments: [pdf(2 * 1024 * 1024), pdf(1.5 * 1024 * 1024)] }));
    assert.equal(big.code, 'ATTACHMENTS_TOO_LARGE');
    const missing = await api.gql('city-office-clerk', 'mutation { draftDocument(input: { commandId: "abcdefgh1", documentId: "x" }) { commandId } }');
    assert.equal(missing.status, 400);
    const wrongType = await api.gql('city-office-clerk', 'mutation { signOffDocument(input: { commandId: 5, documentId: "x" }) { commandId } }');
    assert.equal(wrongType.status, 400);
    // A value outside an enum never reaches the command: the schema refuses the request.
    const badValue = await api.mutate('city-office-clerk', 'draftDocument', draft('g-4', { docType: '便条' }));
    assert.equal(badValue.code, 'VALIDATION_FAILED');
    assert.equal(badValue.status, 400);
    const badBody = await api.mutate('city-office-clerk', 'draftDocument', draft('g-4', { title: ' ' }));
    assert.equal(badBody.code, 'VALIDATION_FAILED');
    assert.equal(badBody.status, 200);
    const unknown = await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'no-such-doc' });
    assert.equal(unknown.code, 'NOT_FOUND');
    const foreignSeal = await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'g-1', sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
    assert.ok(['SEAL_NOT_USABLE', 'INVALID_STATE'].includes(foreignSeal.code!));
    for (const id of ['g-2', 'g-3', 'g-4']) assert.equal((await ledger.store.readStream(`document-${id}`)).revision, null);
  });

  test("a seal of another unit is refused", async () => {
    await api.mutate('city-office-clerk', 'draftDocument', draft('g-5'));
    await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'g-5' });
    const r = await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'g-5', sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
    assert.equal(r.code, 'SEAL_NOT_USABLE');
  });

  test('a replayed commandId returns the first outcome; reused for another input it is refused', async () => {
    const commandId = `m-${randomUUID()}`;
    const q = 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { duplicate events { eventId } } }';
    const first = await api.gql('city-office-clerk', q, { input: { commandId, ...draft('g-6') } });
    const again = await api.gql('city-office-clerk', q, { input: { commandId, ...draft('g-6') } });
    assert.equal(first.data?.draftDocument.duplicate, false);
    assert.equal(again.data?.draftDocument.duplicate, true);
    assert.deepEqual(again.data?.draftDocument.events, first.data?.draftDocument.events);
    const reused = await api.gql('city-office-clerk', q, { input: { commandId, ...draft('g-6', { title: '另一标题' }) } });
    assert.equal(reused.errors?.[0]?.extensions?.code, 'COMMAND_ID_REUSED');
  });

  test('issueCredential returns a working token once; revoking it stops it at once', async () => {
    const issued = await api.mutate('admin', 'issueCredential', { userId: 'fin-leader', credentialId: 'phone' }, 'token credentialId duplicate');
    const token = issued.result!.token as string;
    assert.match(token, /^gw1\.fin-leader\./);
    assert.equal((await api.gql(null, '{ me { userId } }', {}, token)).data?.me.userId, 'fin-leader');
    await api.mutate('admin', 'revokeCredential', { userId: 'fin-leader', credentialId: 'phone' });
    assert.equal((await api.gql(null, '{ me { userId } }', {}, token)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  });

  test('an over-deep or over-costly query is refused before it runs', async () => {
    const wide = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: units { unitId name }`).join(' ')} }`;
    const costly = await api.gql('admin', wide);
    assert.equal(costly.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.equal(costly.status, 400);
    assert.equal(costly.data ?? null, null);
    const viaFragment = `query { ...F } fragment F on Query { ${Array.from({ length: 100 }, (_, i) => `a${i}: units { unitId name }`).join(' ')} }`;
    assert.equal((await api.gql('admin', viaFragment)).errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    const deep = '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }';
    const refused = await api.gql('admin', deep);
    // Depth and cost answer alike: the same code, the same status.
    assert.equal(refused.status, 400);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.match(refused.errors?.[0]?.message ?? '', /嵌套过深/);
    assert.equal((await api.gql('admin', '{ me { userId } }')).data?.me.userId, 'admin');
  });
});

describe('GraphiQL', async () => {
  test('is served at /graphiql in development, and not in production', async () => {
    const dev = await createTestLedger();
    const devApi = await startApi(dev);
    const page = await devApi.app.inject({ method: 'GET', url: '/graphiql' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /GraphiQL/);
    await devApi.close();
    const prod = await createTestLedger({ env: { GONGWEN_MODE: 'production', GONGWEN_LEDGER_KEY: 'a1'.repeat(32) } });
    const prodApi = await startApi(prod);
    assert.equal((await prodApi.app.inject({ method: 'GET', url: '/graphiql' })).statusCode, 404);
    await prodApi.close();
  });
});
