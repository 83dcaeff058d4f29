import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';
import { subscribeWs as subscribe } from '../support/graphql-ws.ts';
import { startApi } from '../support/http.ts';


const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`nothing within ${ms} ms`)), ms))]);

test('inboxChanged pushes to the recipient unit promptly after the mutation; documentTimeline pushes new entries', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const api = await startApi(ledger);
  ledger.start({ sequenceEveryMs: 1000 });
  after(() => api.close());
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput('s-1'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 's-1' });
  await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 's-1', sealId: 'city-office-seal' });
  await ledger.settle();

  const inbox = await subscribe(api.url, await api.tokenFor('edu-clerk'), 'subscription { inboxChanged(unitId: "edu") { unitId documentId eventType } }');
  const timeline = await subscribe(api.url, await api.tokenFor('city-office-clerk'), 'subscription { documentTimeline(documentId: "s-1") { action type hashStatus } }');
  // Let both subscriptions register before the change they wait for.
  await new Promise((ok) => setTimeout(ok, 100));

  await api.mutate('city-office-clerk', 'sendDocument', { documentId: 's-1' });
  // Sending goes through the delivery process manager first; the one-second promise is for the
  // inbox change after the recipient's own mutation, below.
  // Under load the read model may still be publishing earlier entries of the document; wait for 核发.
  const sent = await within(5000, (async () => {
    for (;;) {
      const m = await timeline.next();
      if (m.payload?.data?.documentTimeline?.action === '核发') return m;
    }
  })());
  assert.equal(sent.payload.data.documentTimeline.action, '核发');
  assert.equal(sent.payload.data.documentTimeline.hashStatus, 'VERIFIED');
  const delivered = await within(5000, inbox.next());
  assert.deepEqual(delivered.payload.data.inboxChanged, { unitId: 'edu', documentId: 's-1', eventType: 'DocumentDelivered' });

  const received = Date.now();
  await api.mutate('edu-clerk', 'receiveDocument', { documentId: 's-1', unitId: 'edu' });
  // Promptly: 3 s leaves room for a loaded CI machine; the latency
  // itself is a bench's to measure, not a test's.
  const change = await within(3000, inbox.next());
  assert.equal(change.payload.data.inboxChanged.eventType, 'DocumentReceived');
  assert.ok(Date.now() - received < 3000, `inbox change ${Date.now() - received} ms after the receipt`);
  inbox.close();
  timeline.close();
});

test("a unit cannot subscribe to another unit's inbox", async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const s = await subscribe(api.url, await api.tokenFor('fin-clerk'), 'subscription { inboxChanged(unitId: "edu") { unitId } }');
  const m = await within(2000, s.next());
  assert.equal(m.type, 'error');
  assert.equal(m.payload[0].extensions.code, 'NOT_AUTHORISED');
  s.close();
});
