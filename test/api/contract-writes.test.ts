import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { apiInput, startApi } from '../support/http.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/**
 * Issue 11 over the real HTTP server: ids the server generates when a client leaves them out
 * (returned in the payload; a retry with them is a repeat, a retry without a new command), and a
 * mutation's payload reading its own write (document, inboxItem) or waiting for every read model.
 */
describe('server-generated ids and reading one\'s own writes', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_READ_MODEL_WAIT_MS: '4000' } });
  await seedCity(ledger);
  ledger.start();
  const api = await startApi(ledger);
  after(() => api.close());

  // Domain values (通知), as clients of the ledger's own code write them; apiInput names them as the schema's enums.
  const content = {
    title: '关于开展防汛检查的通知',
    docType: '通知',
    body: '　　请各单位于本周内完成防汛检查。',
    mainRecipients: ['edu'],
    docNumberPrefix: '阜政办',
  };
  const DRAFT = `mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { commandId documentId duplicate document { documentId status title } } }`;

  test('draftDocument without documentId and commandId: both generated and returned, the document in the payload', async () => {
    const r = await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', content) });
    const d = r.data?.draftDocument;
    assert.ok(d, JSON.stringify(r.errors));
    assert.match(d.commandId, /^srv-[0-9a-f-]{36}$/);
    assert.match(d.documentId, /^doc-[0-9a-f-]{36}$/);
    assert.equal(d.duplicate, false);
    assert.deepEqual(d.document, { documentId: d.documentId, status: 'DRAFTED', title: content.title });

    // A retry with the returned ids is a repeat: the first outcome, nothing appended.
    const again = await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', { ...content, commandId: d.commandId, documentId: d.documentId }) });
    assert.equal(again.data?.draftDocument.duplicate, true);
    assert.equal((await ledger.store.readStream(`document-${d.documentId}`)).events.length, 1);

    // A retry without them is a second command: a second document (the schema says so).
    const second = await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', content) });
    assert.notEqual(second.data?.draftDocument.documentId, d.documentId);
    assert.notEqual(second.data?.draftDocument.commandId, d.commandId);
  });

  test('the schema tells that a retry without commandId is not idempotent', async () => {
    const r = await api.gql('city-office-clerk', '{ __type(name: "SignOffDocumentInput") { inputFields { name description type { kind name } } } }');
    const commandId = r.data!.__type.inputFields.find((f: { name: string }) => f.name === 'commandId');
    assert.equal(commandId.type.kind, 'SCALAR', 'optional');
    assert.match(commandId.description, /NOT idempotent/);
  });

  test('a revision\'s payload shows the document as the document query will', async () => {
    const first = (await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', { ...content, documentId: 'rw-1' }) })).data!.draftDocument;
    assert.equal(first.documentId, 'rw-1');
    const r = await api.gql(
      'city-office-clerk',
      `mutation { reviseDraft(input: { documentId: "rw-1", title: "关于开展汛前安全检查的通知" }) { documentId document { title status } } }`,
    );
    assert.deepEqual(r.data?.reviseDraft.document, { title: '关于开展汛前安全检查的通知', status: 'DRAFTED' });
    const read = await api.gql('city-office-clerk', '{ document(id: "rw-1") { title status } }');
    assert.deepEqual(read.data?.document, r.data?.reviseDraft.document);
  });

  test('waitForReadModels: true — the timeline (a read model) shows the command as soon as the mutation answers', async () => {
    const r = await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', { ...content, documentId: 'rw-2', waitForReadModels: true }) });
    assert.ok(r.data?.draftDocument, JSON.stringify(r.errors));
    const timeline = await api.gql('city-office-clerk', '{ timeline(documentId: "rw-2") { edges { node { type } } } }');
    assert.deepEqual(timeline.data?.timeline.edges.map((e: { node: { type: string } }) => e.node.type), ['DocumentDrafted']);
    // Every read model is at or past the command's events.
    const { rows } = await ledger.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM projection_checkpoints WHERE position IS NULL');
    assert.equal(rows[0]!.n, 0);
  });

  test('a recipient\'s receipt answers with its inbox copy as the inbox shows it', async () => {
    await api.gql('city-office-clerk', DRAFT, { input: apiInput('DraftDocumentInput', { ...content, documentId: 'rw-3' }) });
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'rw-3' })).result);
    assert.ok((await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'rw-3', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE })).result);
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'rw-3', waitForReadModels: true })).result);
    // Delivery is the ledger's own follow-up of the sending: wait until it is there.
    for (let i = 0; (await ledger.store.readStream('delivery-rw-3.edu')).revision === null; i++) {
      assert.ok(i < 200, 'not delivered');
      await new Promise((ok) => setTimeout(ok, 25));
    }
    const r = await api.mutate('edu-clerk', 'receiveDocument', { documentId: 'rw-3', unitId: 'edu' }, 'documentId inboxItem { documentId unitId status receivedBy }');
    assert.deepEqual(r.result?.inboxItem, { documentId: 'rw-3', unitId: 'edu', status: 'RECEIVED', receivedBy: 'edu-clerk' }, JSON.stringify(r.errors));
  });

  test('read models that do not catch up in time: READ_MODELS_TIMEOUT, the command recorded, a retry with its commandId a repeat', async () => {
    await ledger.projections.stop();
    const input = apiInput('DraftDocumentInput', { ...content, documentId: 'rw-4', commandId: 'rw-4-draft-command', waitForReadModels: true });
    const started = Date.now();
    const r = await api.gql('city-office-clerk', DRAFT, { input });
    assert.ok(Date.now() - started >= 4000);
    assert.equal(r.errors?.[0]?.extensions?.code, 'READ_MODELS_TIMEOUT');
    assert.match(r.errors![0]!.message, /操作已记录/);
    assert.equal((r.errors![0]!.extensions!.details as { commandId: string }).commandId, 'rw-4-draft-command');
    assert.equal((await ledger.store.readStream('document-rw-4')).events.length, 1);
    ledger.projections.start();
    const again = await api.gql('city-office-clerk', DRAFT, { input });
    assert.equal(again.data?.draftDocument.duplicate, true, JSON.stringify(again.errors));
  });
});
