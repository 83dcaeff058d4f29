import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Refusal } from '../../src/domain/refusal.ts';
import { streams } from '../../src/domain/streams.ts';
import { yearOf } from '../../src/domain/numbering/index.ts';
import { buildServer } from '../../src/server.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

test('with one attempt allowed, contended sealings report CONFLICT and still leave no gap in the numbers', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_COMMAND_MAX_ATTEMPTS: '1' } });
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  // Whether eight sealings overlap on the numbering stream depends on the machine's timing (the
  // per-seal passphrase lock serialises part of each): rounds of eight until they have, at most four.
  const results: PromiseSettledResult<unknown>[] = [];
  for (let round = 0; round < 4 && !results.some((r) => r.status === 'rejected'); round++) {
    const ids = Array.from({ length: 8 }, (_, i) => `c-${round}-${i}`);
    for (const id of ids) {
      await city.run(office.clerk, 'DraftDocument', draftInput(id));
      await city.run(office.leader, 'SignOffDocument', { documentId: id });
    }
    results.push(...(await Promise.allSettled(ids.map((id) => city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: id, sealId: 'city-office-seal' })))));
  }
  const conflicts = results.filter((r) => r.status === 'rejected');
  for (const r of conflicts) {
    assert.ok(r.reason instanceof Refusal && r.reason.code === 'CONFLICT', String(r.reason));
  }
  assert.ok(conflicts.length > 0, 'eight writers on one numbering stream with no retries must collide');
  const year = yearOf(new Date().toISOString(), 'Asia/Shanghai');
  const numbers = (await ledger.store.readStream(streams.numbering('city-office', '阜政办', year))).events.map((e) => (e.data as { number: number }).number);
  assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1));
  // Every reserved number belongs to a document that is sealed with it, or is kept for the retry.
  const sealed = results.filter((r) => r.status === 'fulfilled').length;
  assert.ok(numbers.length >= sealed);
});

test('the delivery process manager is idempotent: replaying the feed creates no second delivery', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput('pm-1'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'pm-1' });
  await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'pm-1', sealId: 'city-office-seal' });
  await city.run(office.clerk, 'SendDocument', { documentId: 'pm-1' });
  await ledger.settle();
  await ledger.db.pool.query('DELETE FROM reactor_checkpoints');
  await ledger.settle();
  for (const unit of ['edu', 'fin', 'hlth']) {
    const events = (await ledger.store.readStream(streams.delivery('pm-1', unit))).events;
    assert.deepEqual(events.map((e) => e.type), ['DocumentDelivered']);
    assert.equal(events[0]!.actor.role, 'SYSTEM');
  }
});

test('the background process manager delivers without being asked, woken by the feed', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  ledger.start({ sequenceEveryMs: 200 });
  await city.run(office.clerk, 'DraftDocument', draftInput('bg-1'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'bg-1' });
  await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'bg-1', sealId: 'city-office-seal' });
  await city.run(office.clerk, 'SendDocument', { documentId: 'bg-1' });
  const deadline = Date.now() + 5000;
  while ((await ledger.store.readStream(streams.delivery('bg-1', 'hlth'))).revision === null) {
    assert.ok(Date.now() < deadline, 'delivery did not arrive within 5 s');
    await new Promise((ok) => setTimeout(ok, 20));
  }
  const status = await (async () => {
    for (;;) {
      const s = await ledger.status();
      if (s.treeSize > 0) return s;
      assert.ok(Date.now() < deadline, 'the Merkle sequencer did not run');
      await new Promise((ok) => setTimeout(ok, 50));
    }
  })();
  assert.ok(status.events > 0 && status.checkpointAt);
});

test('GET /health answers with the event count', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const app = await buildServer(ledger, { logLevel: 'silent' });
  const res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.status, 'ok');
  assert.ok(body.events > 0);
  await app.close();
});
