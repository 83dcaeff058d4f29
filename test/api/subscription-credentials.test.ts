import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { newToken } from '../../src/api/api-commands.ts';
import { connectWs as connect } from '../support/graphql-ws.ts';
import { startApi } from '../support/http.ts';
import { cmdId, createTestLedger, seedCity, SYSTEM } from '../support/ledger.ts';

/**
 * Issue 11: a subscription lives only as long as the credential it was opened with. Over a real
 * WebSocket (graphql-transport-ws): a token that expires, one that is revoked and a user who is
 * deactivated each end the running subscription with an `error` frame naming why; the connection
 * cannot open a new one with the dead token; a valid token's subscription runs on.
 */
const within = <T>(ms: number, p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms))]);


describe('subscriptions end with their credential', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_SUBSCRIPTION_RECHECK_MS: '200' } });
  const { admin } = await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());

  /** A token of its own for a user, optionally expiring. */
  const issue = async (userId: string, credentialId: string, expiresAt?: string) => {
    const { token, tokenHash } = newToken(userId);
    await ledger.commands.execute(SYSTEM, 'IssueCredential', { commandId: cmdId(), userId, credentialId, tokenHash, ...(expiresAt && { expiresAt }) });
    return token;
  };
  const INBOX = 'subscription { inboxChanged(unitId: "edu") { documentId } }';

  test('a token that expires ends the subscription at its expiry: error frame, UNAUTHENTICATED, reason expired', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const c = await connect(api.url, await issue('edu-clerk', 'sub-exp', expiresAt));
    c.subscribe('1', INBOX);
    const m = await within(4000, c.next(), 'expiry');
    assert.ok(Date.now() >= Date.parse(expiresAt), 'not before the expiry');
    assert.equal(m.type, 'error');
    assert.equal(m.id, '1');
    assert.equal(m.payload[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(m.payload[0].extensions.details.reason, 'expired');
    assert.match(m.payload[0].message, /已过期/);
    c.close();
  });

  test('a revoked token ends the running subscription, and the connection cannot open another with it', async () => {
    const revoked = await connect(api.url, await issue('edu-clerk', 'sub-rev'));
    const valid = await connect(api.url, await issue('edu-leader', 'sub-valid'));
    revoked.subscribe('1', INBOX);
    valid.subscribe('1', INBOX);
    await new Promise((ok) => setTimeout(ok, 500));
    assert.equal(revoked.pending() + valid.pending(), 0, 'nothing before the revocation');
    await ledger.commands.execute(admin, 'RevokeCredential', { commandId: cmdId(), userId: 'edu-clerk', credentialId: 'sub-rev' });
    const m = await within(3000, revoked.next(), 'revocation');
    assert.equal(m.type, 'error');
    assert.equal(m.payload[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(m.payload[0].extensions.details.reason, 'revoked');
    revoked.subscribe('2', INBOX);
    const again = await within(3000, revoked.next(), 'resubscribe');
    assert.equal(again.type, 'error');
    assert.equal(again.id, '2');
    assert.equal(again.payload[0].extensions.code, 'UNAUTHENTICATED');
    // The other user's subscription, on a valid token, was left alone.
    await new Promise((ok) => setTimeout(ok, 500));
    assert.equal(valid.pending(), 0);
    revoked.close();
    valid.close();
  });

  test('a deactivated user\'s subscription ends: reason user_deactivated', async () => {
    const c = await connect(api.url, await issue('edu-keeper', 'sub-user'));
    c.subscribe('1', INBOX);
    await new Promise((ok) => setTimeout(ok, 300));
    await ledger.commands.execute(admin, 'DeactivateUser', { commandId: cmdId(), userId: 'edu-keeper', reason: '调离' });
    const m = await within(3000, c.next(), 'deactivation');
    assert.equal(m.type, 'error');
    assert.equal(m.payload[0].extensions.details.reason, 'user_deactivated');
    c.close();
  });
});
