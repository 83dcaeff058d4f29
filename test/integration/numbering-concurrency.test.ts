import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streams } from '../../src/domain/streams.ts';
import { yearOf } from '../../src/domain/numbering/index.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

test('20 concurrent sealings in one unit and year take numbers 1..20: no gap, no duplicate', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  const ids = Array.from({ length: 20 }, (_, i) => `num-${i}`);
  for (const id of ids) {
    await city.run(office.clerk, 'DraftDocument', draftInput(id));
    await city.run(office.leader, 'SignOffDocument', { documentId: id });
  }
  await Promise.all(ids.map((id) => city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: id, sealId: 'city-office-seal' })));

  const year = yearOf(new Date().toISOString(), 'Asia/Shanghai');
  const numbers = [];
  for (const id of ids) {
    const events = (await ledger.store.readStream(streams.document(id))).events;
    const numbered = events.find((e) => e.type === 'DocumentNumbered')!.data as { number: number; docNumber: string };
    assert.equal(numbered.docNumber, `阜政办〔${year}〕${numbered.number}号`);
    numbers.push(numbered.number);
  }
  assert.deepEqual(numbers.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  const reserved = (await ledger.store.readStream(streams.numbering('city-office', '阜政办', year))).events;
  assert.equal(reserved.length, 20);
});

test('two keepers sealing the same document at once: one seal, one number', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput('twice'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'twice' });
  const results = await Promise.allSettled([
    city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'twice', sealId: 'city-office-seal' }),
    city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'twice', sealId: 'city-office-seal' }),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const events = (await ledger.store.readStream(streams.document('twice'))).events.map((e) => e.type);
  assert.equal(events.filter((t) => t === 'DocumentSealed').length, 1);
  const year = yearOf(new Date().toISOString(), 'Asia/Shanghai');
  assert.equal((await ledger.store.readStream(streams.numbering('city-office', '阜政办', year))).events.length, 1);
});
