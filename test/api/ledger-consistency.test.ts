import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { verifyConsistencyProof, type ConsistencyProof } from '../../src/integrity/merkle-log.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

const QUERY = `query ($from: Int!, $to: Int) { ledgerConsistency(fromSize: $from, toSize: $to) {
  fromSize toSize fromRoot toRoot proof
  fromCheckpoint { treeSize rootHash createdAt keyId publicKey signature }
  toCheckpoint { treeSize rootHash createdAt keyId publicKey signature } } }`;

// Issue 9, item 7: an outside monitor keeps up with the log through the API, checking each
// proof with the ledger's public key alone.
test('ledgerConsistency gives an outside monitor an RFC 9162 proof it checks with the public key alone', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const held = await ledger.merkleLog.checkpoint();
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-m'));
  const latest = await ledger.merkleLog.checkpoint();
  assert.ok(latest.treeSize > held.treeSize);

  const r = await api.gql('edu-clerk', QUERY, { from: held.treeSize });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const proof = r.data!.ledgerConsistency as ConsistencyProof;
  assert.equal(proof.toSize, latest.treeSize, 'to the latest signed checkpoint by default');
  assert.equal(proof.fromRoot, held.rootHash);
  assert.ok(proof.proof.length > 0);
  const { publicKey } = (await api.gql('edu-clerk', '{ ledgerKey { publicKey } }')).data!.ledgerKey as { publicKey: string };
  assert.equal(verifyConsistencyProof(proof, publicKey), true);
  // The monitor checks against the root it holds: another root does not pass.
  assert.equal(verifyConsistencyProof({ ...proof, fromRoot: 'ab'.repeat(32) }), false);

  const anonymous = await api.gql(null, QUERY, { from: held.treeSize });
  assert.equal(anonymous.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  const beyond = await api.gql('edu-clerk', QUERY, { from: latest.treeSize + 5 });
  assert.equal(beyond.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
  assert.match(beyond.errors![0]!.message, /树大小/);
});
