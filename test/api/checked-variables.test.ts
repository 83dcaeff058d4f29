import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLedger, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * The cost limit and the storable-text check depend on the variables, and a pass is remembered per
 * document and variable set (src/api/checked-variables.ts, issue #16): the same query sent again with
 * other variables is checked again, however often it passed before.
 */
describe('remembered variable checks', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(async () => {
    await api.close();
    await ledger.close();
  });

  test('a query that passed with a small page is refused with a page that makes it too costly', async () => {
    const sent = 'sentDocuments(first: $n) { edges { node { recipients { unitId } } } }';
    const query = `query ($n: Int) { a: ${sent} b: ${sent} c: ${sent} }`;
    for (let i = 0; i < 3; i++) assert.equal((await api.gql('edu-clerk', query, { n: 1 })).errors, undefined);
    const costly = await api.gql('edu-clerk', query, { n: 50 });
    assert.equal(costly.status, 400);
    assert.equal(costly.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    // Refused again (a refusal is not remembered as a pass), and the small page still passes.
    assert.equal((await api.gql('edu-clerk', query, { n: 50 })).errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.equal((await api.gql('edu-clerk', query, { n: 1 })).errors, undefined);
  });

  test('a query that passed with plain text is refused with a NUL in the same variable', async () => {
    const query = 'query ($q: String!) { searchDocuments(query: $q, first: 1) { totalCount } }';
    for (let i = 0; i < 2; i++) assert.equal((await api.gql('edu-clerk', query, { q: '通知' })).errors, undefined);
    const bad = await api.gql('edu-clerk', query, { q: '通\u0000知' });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
    assert.equal((await api.gql('edu-clerk', query, { q: '\ud800' })).errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
  });
});
