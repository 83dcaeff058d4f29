import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLedger, seedCity, cmdId } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * The API keeps authenticated users folded while the server follows the feed (src/api/user-cache.ts):
 * a credential revoked, a role taken away or an account deactivated must count from the next
 * request, whether the change came through this server's API or from elsewhere (the CLI, another
 * server), which only the feed tells this server about.
 */
describe('authentication with the user cache', async () => {
  const ledger = await createTestLedger();
  const { admin } = await seedCity(ledger);
  ledger.start();
  const api = await startApi(ledger);
  after(async () => {
    await api.close();
    await ledger.close();
  });
  const ME = '{ me { userId roles } }';
  const credentialOf = async (userId: string) =>
    ((await api.gql('admin', 'query ($u: ID!) { credentials(userId: $u) { credentialId } }', { u: userId })).data!.credentials as { credentialId: string }[])[0]!.credentialId;

  test('revoked through the API: refused on the very next request', async () => {
    const token = await api.tokenFor('edu-clerk');
    for (let i = 0; i < 3; i++) assert.equal((await api.gql(null, ME, {}, token)).data?.me.userId, 'edu-clerk');
    const revoked = await api.mutate('admin', 'revokeCredential', { userId: 'edu-clerk', credentialId: await credentialOf('edu-clerk') });
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    assert.equal((await api.gql(null, ME, {}, token)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  });

  test('revoked and a role taken away outside the API (as the CLI does): refused once the feed has it', async () => {
    const token = await api.tokenFor('fin-clerk');
    assert.deepEqual((await api.gql(null, ME, {}, token)).data?.me.roles, ['CLERK', 'STAFF']);
    await ledger.commands.execute(admin, 'RevokeRole', { commandId: cmdId(), userId: 'fin-clerk', role: 'STAFF' });
    await ledger.settle();
    assert.deepEqual((await api.gql(null, ME, {}, token)).data?.me.roles, ['CLERK']);
    await ledger.commands.execute(admin, 'RevokeCredential', { commandId: cmdId(), userId: 'fin-clerk', credentialId: await credentialOf('fin-clerk') });
    await ledger.settle();
    assert.equal((await api.gql(null, ME, {}, token)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  });
});
