import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startApi } from '../support/http.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { createTestLedger, draftInput, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/**
 * Issue 9, item 6: twenty wrong passphrases sent at once must not get more than the limit (5) of
 * SEAL_PASSPHRASE_WRONG, nor let more than the limit of tries reach the key: each try is recorded
 * before the key is unwrapped, under a lock per seal.
 */
describe('the seal passphrase lock under parallel tries', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: '5' } });
  const city = await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());

  const triesThatReachedTheKey = async (sealId: string) =>
    (await ledger.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM seal_passphrase_attempts WHERE seal_id = $1`, [sealId])).rows[0]!.n;

  const tally = (codes: (string | undefined)[]) => codes.reduce<Record<string, number>>((t, c) => ({ ...t, [String(c)]: (t[String(c)] ?? 0) + 1 }), {});

  test('in process: 20 wrong passphrases at once give 5 SEAL_PASSPHRASE_WRONG and 15 SEAL_LOCKED', async () => {
    const office = city.units[0]!;
    await city.run(office.clerk, 'DraftDocument', draftInput('lock-1'));
    await city.run(office.leader, 'SignOffDocument', { documentId: 'lock-1' });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => city.run(office.keeper, 'SealDocument', { documentId: 'lock-1', sealId: 'city-office-seal', passphrase: `Wrong-pass-${i}` })),
    );
    const codes = results.map((r) => (r.status === 'rejected' && r.reason instanceof Refusal ? r.reason.code : 'unexpected'));
    assert.deepEqual(tally(codes), { SEAL_PASSPHRASE_WRONG: 5, SEAL_LOCKED: 15 });
    assert.equal(await triesThatReachedTheKey('city-office-seal'), 5);
    // The right passphrase is locked out too, and does not reach the key.
    const locked = await city.run(office.keeper, 'SealDocument', { documentId: 'lock-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }).catch((e: Refusal) => e);
    assert.equal((locked as Refusal).code, 'SEAL_LOCKED');
    assert.equal(await triesThatReachedTheKey('city-office-seal'), 5);
  });

  test('over HTTP: 20 wrong passphrases at once give at most 5 SEAL_PASSPHRASE_WRONG', async () => {
    assert.ok((await api.mutate('edu-clerk', 'draftDocument', { ...draftInput('lock-2', { docNumberPrefix: '阜教', mainRecipients: ['fin'], ccRecipients: [] }), classification: undefined })).result);
    assert.ok((await api.mutate('edu-leader', 'signOffDocument', { documentId: 'lock-2' })).result);
    await api.tokenFor('edu-keeper');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.mutate('edu-keeper', 'sealDocument', { documentId: 'lock-2', sealId: 'edu-seal', passphrase: `Wrong-pass-${i}` })),
    );
    assert.deepEqual(tally(answers.map((a) => a.code)), { SEAL_PASSPHRASE_WRONG: 5, SEAL_LOCKED: 15 });
    assert.equal(await triesThatReachedTheKey('edu-seal'), 5);
    const log = await ledger.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM security_log WHERE code = 'SEAL_PASSPHRASE_WRONG' AND details->>'sealId' = 'edu-seal'`);
    assert.equal(log.rows[0]!.n, 5);
  });
});
