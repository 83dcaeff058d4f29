import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLedger, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * A stolen token must not outlive its revocation: a token may mint its user a new one (自助签发),
 * but that one lives at most 30 days, no longer than the token that made it, shows in the user's
 * credential list with what issued it, and stops working when that token is revoked.
 */
describe('self-issued credentials', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const ME = '{ me { userId } }';
  const LIST = 'query ($u: ID!) { credentials(userId: $u) { credentialId issuedWith expiresAt revoked usable } }';

  test('the attack: a token mints itself one expiring in 2099 — refused; a bounded one dies when the first is revoked', async () => {
    const stolen = await api.tokenFor('edu-clerk');
    const issue = (input: Record<string, unknown>, token = stolen) =>
      api.gql(null, 'mutation ($input: IssueCredentialInput!) { issueCredential(input: $input) { token events { data } } }', { input: { commandId: `self-${input.credentialId}-cmd`, userId: 'edu-clerk', ...input } }, token);

    const forever = await issue({ credentialId: 'spare-2099', expiresAt: '2099-01-01T00:00:00.000Z' });
    assert.equal(forever.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', JSON.stringify(forever.errors));
    assert.match(forever.errors?.[0]?.message ?? '', /30 天/);

    const spare = await issue({ credentialId: 'spare' });
    assert.equal(spare.errors, undefined, JSON.stringify(spare.errors));
    const spareToken = spare.data!.issueCredential.token as string;
    const expiresAt = Date.parse(spare.data!.issueCredential.events[0].data.expiresAt);
    assert.ok(expiresAt <= Date.now() + 30 * 24 * 3600 * 1000 + 60_000 && expiresAt > Date.now() + 29 * 24 * 3600 * 1000);
    // …and a third from the second: a chain, each bound to the one before.
    const third = await issue({ credentialId: 'spare-of-spare' }, spareToken);
    const thirdToken = third.data!.issueCredential.token as string;
    assert.equal((await api.gql(null, ME, {}, thirdToken)).data?.me.userId, 'edu-clerk');

    const listed = await api.gql('edu-clerk', LIST, { u: 'edu-clerk' });
    const byId = new Map((listed.data!.credentials as { credentialId: string; issuedWith: string | null; usable: boolean }[]).map((c) => [c.credentialId, c]));
    assert.equal(byId.get('spare')?.issuedWith !== null, true);
    assert.equal(byId.get('spare-of-spare')?.issuedWith, 'spare');
    assert.equal(byId.get('spare')?.usable, true);

    // The owner (or an administrator) revokes the stolen token: everything it minted falls with it.
    const first = byId.get('spare')!.issuedWith!;
    const revoked = await api.mutate('admin', 'revokeCredential', { userId: 'edu-clerk', credentialId: first, reason: '令牌被盗' });
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    for (const token of [stolen, spareToken, thirdToken]) {
      assert.equal((await api.gql(null, ME, {}, token)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    const after = await api.gql('admin', LIST, { u: 'edu-clerk' });
    assert.ok((after.data!.credentials as { usable: boolean }[]).every((c) => !c.usable), JSON.stringify(after.data));
  });

  test('a user lists only their own credentials; a unit administrator those of its unit; inspectors and super administrators anyone’s', async () => {
    assert.equal((await api.gql('fin-clerk', LIST, { u: 'edu-clerk' })).errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    assert.equal((await api.gql('fin-clerk', LIST, { u: 'fin-clerk' })).errors, undefined);
    assert.equal((await api.gql('admin', LIST, { u: 'nobody' })).errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });
});
