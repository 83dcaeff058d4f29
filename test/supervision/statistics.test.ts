import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streams } from '../../src/domain/streams.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { user } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';
import { bj, ledgerOnClock, sendDocument } from './support.ts';

/**
 * A generated October 2025 (国庆节: 1–8 October off, Saturday 11 October worked) for three units,
 * and the month's figures computed here independently: minute by minute over a hand-written list
 * of working days, without the calendar, the policy module or the statistics code.
 */
const OCTOBER_WORKDAYS = ['09', '10', '11', '13', '14', '15', '16', '17', '20', '21', '22', '23', '24', '27', '28', '29', '30', '31'].map((d) => `2025-10-${d}`);
const isWorkday = (day: string) => (day.startsWith('2025-10') ? OCTOBER_WORKDAYS.includes(day) : ![0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay()));
const MIN = 60_000;
const isWorkingMinute = (ms: number) => {
  const local = new Date(ms + 8 * 3600_000);
  const day = local.toISOString().slice(0, 10);
  const m = local.getUTCHours() * 60 + local.getUTCMinutes();
  return isWorkday(day) && ((m >= 510 && m < 720) || (m >= 870 && m < 1050));
};
const workingMinutesBetween = (a: number, b: number) => {
  let n = 0;
  for (let t = a; t < b; t += MIN) if (isWorkingMinute(t)) n++;
  return n;
};
const addWorkingMinutes = (a: number, n: number) => {
  let t = a;
  while (!isWorkingMinute(t)) t += MIN;
  for (let left = n; left > 0; t += MIN) if (isWorkingMinute(t)) left--;
  return t;
};
const nearestRank = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.ceil(p * s.length) - 1]!;
};
const hours2 = (min: number | null) => (min === null ? null : Math.round((min / 60) * 100) / 100);

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

test('the month statistics over a generated October equal an independent computation', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-10-09', '08:00'));
  const rnd = random(20251009);
  const units = ['edu', 'fin', 'hlth'];
  const urgencies = ['平件', '加急', '特急'] as const;
  type Plan = { documentId: string; unitId: string; urgency: string; deliveredAt: number; receivedAt: number | null; completedAt: number | null; backFilled: boolean };
  const plans: Plan[] = [];
  const actions: { at: number; run: () => Promise<unknown> }[] = [];
  let n = 0;
  for (const day of OCTOBER_WORKDAYS) {
    const at = bj(day, '09:00').getTime() + Math.floor(rnd() * 300) * MIN;
    const documentId = `gen-${++n}`;
    const urgency = urgencies[n % 3]!;
    actions.push({ at, run: () => sendDocument(ledger, city, documentId, { urgency, mainRecipients: units }) });
    for (const unitId of units) {
      const people = city.people(unitId);
      const roll = rnd();
      // 10 % never signed; otherwise signed after 1 minute to 3 days.
      const receivedAt = roll < 0.1 ? null : at + (1 + Math.floor(rnd() * 3 * 24 * 60)) * MIN;
      const completedAt = receivedAt !== null && rnd() < 0.5 ? receivedAt + (30 + Math.floor(rnd() * 5 * 24 * 60)) * MIN : null;
      const backFilled = receivedAt !== null && rnd() < 0.2;
      plans.push({ documentId, unitId, urgency, deliveredAt: at, receivedAt, completedAt, backFilled });
      if (receivedAt !== null) {
        actions.push({ at: receivedAt, run: () => city.run(people.clerk, 'ReceiveDocument', { documentId, unitId }) });
        if (backFilled) {
          // 补录: a reading recorded a day after the time it claims (written around the commands, as a data migration would).
          actions.push({
            at: receivedAt + 24 * 60 * MIN,
            run: () => ledger.store.append(streams.delivery(documentId, unitId), [{ type: 'DocumentRead', data: { documentId, unitId, readBy: `${unitId}-leader`, readAt: new Date(receivedAt + MIN).toISOString() }, occurredAt: new Date(receivedAt + MIN).toISOString() }], { expectedRevision: 'any', commandId: `backfill-${documentId}-${unitId}`, actor: { userId: `${unitId}-leader`, unitId, role: 'LEADER' } }),
          });
        }
      }
      if (completedAt !== null) {
        actions.push({ at: receivedAt! + MIN, run: () => city.run(people.leader, 'AssignHandling', { documentId, unitId, assigneeUserId: `${unitId}-clerk`, dueDate: '2025-12-31' }) });
        actions.push({ at: completedAt, run: () => city.run(people.clerk, 'CompleteHandling', { documentId, unitId, result: '已办结' }) });
      }
    }
  }
  // Sign-ins: edu every working day, fin on the first five, hlth never.
  const signIns = [...OCTOBER_WORKDAYS.map((d) => ['edu', d]), ...OCTOBER_WORKDAYS.slice(0, 5).map((d) => ['fin', d])] as [string, string][];
  for (const [unitId, day] of signIns) actions.push({ at: bj(day, '08:40').getTime(), run: () => ledger.signIns.record(user(`${unitId}-clerk`, unitId, 'CLERK') as never, bj(day, '08:40')) });
  actions.sort((a, b) => a.at - b.at);
  const t0 = Date.now();
  for (const [i, a] of actions.entries()) {
    clock.set(new Date(a.at));
    await a.run();
    await ledger.settle();
    if (process.env.DEBUG_PROGRESS && i % 20 === 0) console.error(i, actions.length, Date.now() - t0);
  }
  clock.set(bj('2025-11-20', '09:00'));
  await scanDeadlines({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never);
  await ledger.settle();

  // ---- the independent computation ----
  const monthStart = bj('2025-10-01', '00:00').getTime();
  const monthEnd = bj('2025-11-01', '00:00').getTime();
  const inMonth = (t: number) => t >= monthStart && t < monthEnd;
  const expected = units.map((unitId) => {
    const mine = plans.filter((p) => p.unitId === unitId);
    let onTime = 0;
    let late = 0;
    let overdue = 0;
    let yellow = 0;
    let red = 0;
    for (const p of mine) {
      const due = p.urgency === '特急' ? p.deliveredAt + 120 * MIN : addWorkingMinutes(p.deliveredAt, p.urgency === '加急' ? 240 : 390);
      const redAt = addWorkingMinutes(due, 390);
      if (p.receivedAt !== null) p.receivedAt <= due ? onTime++ : late++;
      else overdue++;
      if ((p.receivedAt ?? Infinity) > due && inMonth(due)) yellow++;
      if ((p.receivedAt ?? Infinity) > redAt && inMonth(redAt)) red++;
    }
    const signMinutes = mine.filter((p) => p.receivedAt !== null).map((p) => workingMinutesBetween(p.deliveredAt, p.receivedAt!));
    const completeMinutes = mine.filter((p) => p.completedAt !== null).map((p) => workingMinutesBetween(p.receivedAt!, p.completedAt!));
    const signedDays = new Set(signIns.filter(([u]) => u === unitId).map(([, d]) => d));
    return {
      unitId,
      deliveries: mine.length,
      signedOnTime: onTime,
      signedLate: late,
      unsignedOverdue: overdue,
      onTimeSignatureRate: Math.round((onTime / (onTime + late + overdue)) * 10000) / 10000,
      medianSignWorkingHours: hours2(nearestRank(signMinutes, 0.5)),
      p90SignWorkingHours: hours2(nearestRank(signMinutes, 0.9)),
      medianCompleteWorkingHours: hours2(nearestRank(completeMinutes, 0.5)),
      p90CompleteWorkingHours: hours2(nearestRank(completeMinutes, 0.9)),
      yellowWarnings: yellow,
      redWarnings: red,
      backFilledRecords: mine.filter((p) => p.backFilled && inMonth(p.receivedAt! + MIN)).length,
      workingDays: 18,
      daysWithoutSignIn: OCTOBER_WORKDAYS.filter((d) => !signedDays.has(d)).length,
    };
  });

  const api = await startApi(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  await ledger.settle();
  const fields = Object.keys(expected[0]!).join(' ');
  const r = await api.gql('inspector', `{ unitStatistics(month: "2025-10") { basis { period calendarVersion policyVersion ledgerPosition eventsApplied provisional } units { ${fields} } } }`);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const got = r.data!.unitStatistics;
  assert.deepEqual(got.units.filter((u: { unitId: string }) => units.includes(u.unitId)), expected);
  assert.equal(got.basis.period, '2025-10');
  assert.equal(got.basis.policyVersion, '2026.2');
  assert.match(got.basis.calendarVersion, /^chinese-days@/);
  assert.ok(got.basis.ledgerPosition.length > 0 && got.basis.eventsApplied > 0);
  assert.equal(got.basis.provisional, false);
  // The sanity of the generated month itself: it has late, unsigned and back-filled cases.
  assert.ok(expected.some((e) => e.signedLate > 0) && expected.some((e) => e.unsignedOverdue > 0) && expected.some((e) => e.redWarnings > 0) && expected.some((e) => e.backFilledRecords > 0));
  await api.close();
});
