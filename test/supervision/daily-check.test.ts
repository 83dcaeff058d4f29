import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streams } from '../../src/domain/streams.ts';
import { computeDailyCheck, recordDailyCheck } from '../../src/supervision/daily-check.ts';
import { SignInRecorder } from '../../src/supervision/sign-ins.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { user } from '../support/ledger.ts';
import { bj, ledgerOnClock, sendDocument } from './support.ts';

test('the daily check at the close: units with unsigned deliveries, clerks who never signed in; recorded once; one sign-in record per user and day', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-17', '08:00'));
  const deps = { store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never;
  clock.set(bj('2025-11-17', '09:00'));
  await sendDocument(ledger, city, 'daily-1', { urgency: '加急', mainRecipients: ['fin', 'edu'] });
  const eduClerk = user('edu-clerk', 'edu', 'CLERK', 'STAFF') as never;
  // Many requests, two server processes: one record.
  const second = new SignInRecorder(ledger.store);
  for (let i = 0; i < 5; i++) await Promise.all([ledger.signIns.record(eduClerk, bj('2025-11-17', '09:05')), second.record(eduClerk, bj('2025-11-17', '09:06'))]);
  const signIns = await ledger.store.readStream(streams.signIn('edu-clerk', '2025-11-17'));
  assert.deepEqual(signIns.events.map((e) => e.type), ['UserSignedIn']);
  await city.run(city.people('edu').clerk, 'ReceiveDocument', { documentId: 'daily-1', unitId: 'edu' });
  clock.set(bj('2025-11-17', '17:40'));
  await ledger.settle();
  await scanDeadlines(deps);
  await ledger.settle();
  const recorded = await recordDailyCheck(deps, '2025-11-17');
  assert.ok(recorded);
  const data = recorded.data as any;
  assert.deepEqual(data.unsignedByUnit, [{ unitId: 'fin', unsigned: 1, overdue: 1 }]);
  assert.deepEqual(
    data.clerksWithoutSignIn.map((c: any) => c.userId),
    ['city-office-clerk', 'fin-clerk', 'hlth-clerk'],
  );
  assert.equal(data.policyVersion, '2026.2');
  assert.equal(await recordDailyCheck(deps, '2025-11-17'), null, 'a second run adds nothing');
  assert.equal((await ledger.store.readStream(streams.dailyCheck('2025-11-17'))).events.length, 1);

  // A check run late (the server was down over the night) reports the day as it closed: fin's
  // receipt the next morning does not make the day look clean.
  clock.set(bj('2025-11-18', '09:00'));
  await city.run(city.people('fin').clerk, 'ReceiveDocument', { documentId: 'daily-1', unitId: 'fin' });
  await ledger.settle();
  const late = await computeDailyCheck(deps, '2025-11-17');
  assert.deepEqual(late.unsignedByUnit, [{ unitId: 'fin', unsigned: 1, overdue: 1 }]);
  assert.deepEqual((await computeDailyCheck(deps, '2025-11-18')).unsignedByUnit, []);
});
