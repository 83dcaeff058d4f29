import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestLedger, draftInput, refusal, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

// Issue 9, item 12: a damaged or swapped seal_key_vault row is the operator's problem, answered
// SEAL_KEY_DAMAGED before any passphrase is tried, and never counted against the keeper.
test('a damaged or swapped seal key row answers SEAL_KEY_DAMAGED, is logged as such, and does not count toward the lock', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: '2' } });
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  const pool = ledger.db.pool;
  await city.run(office.clerk, 'DraftDocument', draftInput('dmg-1'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'dmg-1' });
  const seal = () => city.run(office.keeper, 'SealDocument', { documentId: 'dmg-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
  const { rows } = await pool.query<{ wrapped: Record<string, string>; integrity: string }>(`SELECT wrapped, integrity FROM seal_key_vault WHERE seal_id = 'city-office-seal'`);
  const original = rows[0]!.wrapped;
  const integrity = rows[0]!.integrity;

  // One byte of the ciphertext changed.
  const flipped = original.ciphertext!.slice(0, -2) + (original.ciphertext!.endsWith('00') ? '01' : '00');
  await pool.query(`UPDATE seal_key_vault SET wrapped = jsonb_set(wrapped, '{ciphertext}', to_jsonb($1::text)) WHERE seal_id = 'city-office-seal'`, [flipped]);
  for (let i = 0; i < 3; i++) {
    const r = await refusal(seal());
    assert.equal(r.code, 'SEAL_KEY_DAMAGED', r.message);
    assert.match(r.message, /已损坏或被调换/);
  }

  // Another seal's row copied over this one's (its own wrapped key, passphrase and all).
  await pool.query(
    `UPDATE seal_key_vault v SET wrapped = o.wrapped, integrity = o.integrity FROM seal_key_vault o
      WHERE v.seal_id = 'city-office-seal' AND o.seal_id = 'edu-seal'`,
  );
  assert.equal((await refusal(seal())).code, 'SEAL_KEY_DAMAGED');

  const log = (await ledger.securityLog.page({ userId: 'city-office-keeper' }, { first: 100 })).items;
  assert.deepEqual(log.map((e) => e.code), Array(4).fill('SEAL_KEY_DAMAGED'));

  // Restored, the keeper seals at once: none of the four counted as a wrong passphrase.
  await pool.query(`UPDATE seal_key_vault v SET wrapped = $1, integrity = NULL WHERE seal_id = 'city-office-seal'`, [original]);
  assert.equal((await refusal(seal())).code, 'SEAL_KEY_DAMAGED', 'a row without its integrity seal is not trusted either');
  await pool.query(`UPDATE seal_key_vault v SET wrapped = $1, integrity = $2 WHERE seal_id = 'city-office-seal'`, [original, integrity]);
  const sealed = await seal();
  assert.ok(sealed.events.some((e) => e.type === 'DocumentSealed'));
});
