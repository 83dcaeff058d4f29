import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { startApi } from '../support/http.ts';
import { bj, ledgerOnClock, sendDocument } from './support.ts';

test('supervision over HTTP: inspectors see every unit, a leader only the own unit, others nothing; one query answers "which units let 特急 lie, and who"', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-14', '19:00'));
  const admin = city.admin;
  await city.run(admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '陈纪检', roles: ['INSPECTOR'] });
  await city.run(admin, 'SetUserMobile', { userId: 'fin-clerk', mobile: '13912345678' });
  clock.set(bj('2025-11-14', '20:00'));
  await sendDocument(ledger, city, 'urgent-1', { urgency: '特急', mainRecipients: ['fin', 'edu'] });
  clock.set(bj('2025-11-14', '21:00'));
  await city.run(city.people('edu').clerk, 'ReceiveDocument', { documentId: 'urgent-1', unitId: 'edu' });
  clock.set(bj('2025-11-17', '10:00'));
  await ledger.settle();
  await scanDeadlines({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never);
  await ledger.settle();
  const api = await startApi(ledger);
  try {
    const question = `query ($from: DateTime!, $to: DateTime!) {
      warnings(urgency: EXTRA_URGENT, from: $from, to: $to, first: 50) {
        basis { period policyVersion calendarVersion ledgerPosition }
        edges { node { unitName level fellDueAt clearedAt overdueWorkingHours title responsible { name mobile } timeline { type } } }
      }
    }`;
    const vars = { from: bj('2025-11-10', '00:00').toISOString(), to: bj('2025-11-17', '00:00').toISOString() };
    const r = await api.gql('inspector', question, vars);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const nodes: any[] = r.data!.warnings.edges.map((e: any) => e.node);
    assert.deepEqual(nodes, [
      {
        unitName: '阜阳市财政局',
        level: 'YELLOW',
        fellDueAt: bj('2025-11-14', '22:00').toISOString(),
        clearedAt: null,
        // No office time between Friday 22:00 and Monday 10:00 but Monday 08:30–10:00.
        overdueWorkingHours: nodes[0].overdueWorkingHours,
        title: '关于做好2026年电子公文交换工作的通知',
        responsible: [{ name: '张文书', mobile: '13912345678' }],
        timeline: [{ type: 'DEADLINE_SET' }, { type: 'WARNING_ISSUED' }],
      },
    ]);
    assert.ok(nodes[0]!.overdueWorkingHours > 1.5, 'still lying: measured up to now');
    assert.equal(r.data!.warnings.basis.policyVersion, '2026.2');

    // The overdue list by person, and the sender's check of the city office.
    const overdue = await api.gql('inspector', `{ overdue(userId: "fin-clerk") { edges { node { documentId unitId clock level urgency } } } }`);
    assert.deepEqual(overdue.data!.overdue.edges.map((e: any) => e.node), // Red as of now (the API reckons against the wall clock; the test's clock stopped in 2025).
      [{ documentId: 'urgent-1', unitId: 'fin', clock: 'SIGN', level: 'RED', urgency: 'EXTRA_URGENT' }]);
    const sent = await api.gql('city-office-clerk', `{ sendersCheck { edges { node { unitId dueAt } } } }`);
    assert.deepEqual(sent.data!.sendersCheck.edges.map((e: any) => e.node.unitId), ['fin']);

    // A leader sees the own unit only; a clerk sees nothing.
    const own = await api.gql('fin-leader', `{ warnings { edges { node { unitId } } } }`);
    assert.deepEqual(own.data!.warnings.edges.map((e: any) => e.node.unitId), ['fin']);
    // An argument written null is one left out (first: null takes its default, not a refused page size).
    const nulls = await api.gql('fin-leader', `{ warnings(unitId: null, urgency: null, level: null, first: null, after: null) { edges { node { unitId } } } overdue(unitId: null, clock: null, first: null) { edges { node { unitId } } } }`);
    assert.equal(nulls.errors, undefined, JSON.stringify(nulls.errors));
    assert.deepEqual(nulls.data!.warnings.edges.map((e: any) => e.node.unitId), ['fin']);
    const eduLeader = await api.gql('edu-leader', `{ warnings { edges { node { unitId } } } }`);
    assert.deepEqual(eduLeader.data!.warnings.edges, []);
    const other = await api.gql('edu-leader', `{ warnings(unitId: "fin") { edges { node { unitId } } } }`);
    assert.equal(other.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    const clerk = await api.gql('fin-clerk', `{ overdue { edges { node { unitId } } } }`);
    assert.equal(clerk.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    const ranking = await api.gql('fin-leader', `{ unitRanking(month: "2025-11") { units { rank } } }`);
    assert.equal(ranking.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    const unverified = await api.gql('inspector', `{ unverifiedEntries { edges { node { eventId } } } }`);
    assert.deepEqual(unverified.data!.unverifiedEntries.edges, []);
    const bad = await api.gql('inspector', `{ unitStatistics(month: "2025-13") { units { unitId } } }`);
    assert.equal(bad.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');

    // Ranking and scorecard: fin had the only warning of the month.
    const rank = await api.gql('inspector', `{ unitRanking(month: "2025-11") { basis { period } units { rank unitId onTimeSignatureRate yellowWarnings } } }`);
    const units = rank.data!.unitRanking.units;
    assert.deepEqual(units.slice(-2).map((u: any) => [u.unitId, u.rank, u.onTimeSignatureRate]), [['city-office', 3, null], ['hlth', 3, null]], 'nothing assessable ranks last, tied');
    assert.deepEqual(units.find((u: any) => u.unitId === 'edu'), { rank: 1, unitId: 'edu', onTimeSignatureRate: 1, yellowWarnings: 0 });
    assert.deepEqual(units.find((u: any) => u.unitId === 'fin'), { rank: 2, unitId: 'fin', onTimeSignatureRate: 0, yellowWarnings: 1 });
    const card = await api.gql('inspector', `{ scorecard(year: 2025) { basis { period } units { unitId score } } }`);
    const fin = card.data!.scorecard.units.find((u: any) => u.unitId === 'fin');
    assert.ok(fin.score < card.data!.scorecard.units.find((u: any) => u.unitId === 'edu').score);

    // Every table downloads as CSV: UTF-8 with a BOM, or GB18030; the same access rules.
    const download = async (userId: string, path: string) =>
      fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${await api.tokenFor(userId)}` } });
    const csv = await download('inspector', `/supervision/warnings.csv?urgency=EXTRA_URGENT`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /text\/csv; charset=utf-8/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    assert.match(lines[0]!, /^warningId,documentId,unitId,unitName,clock,level,/);
    assert.match(lines[1]!, /,urgent-1,fin,阜阳市财政局,sign,yellow,/);
    assert.ok(lines.some((l) => /^period,calendarVersion,policyVersion,ledgerPosition/.test(l)), 'the basis closes the file');
    const gb = Buffer.from(await (await download('inspector', '/supervision/unitStatistics.csv?month=2025-11&encoding=gb18030')).arrayBuffer());
    assert.ok(gb.includes(Buffer.from([0xb2, 0xc6, 0xd5, 0xfe])), '财政 in GB18030');
    assert.ok(!gb.includes(Buffer.from('财政', 'utf8')));
    assert.equal((await download('fin-clerk', '/supervision/overdue.csv')).status, 403);
    assert.equal((await fetch(`${api.url}/supervision/overdue.csv`)).status, 401);
    assert.equal((await download('inspector', '/supervision/nothing.csv')).status, 404);

    // Signing clears: the warning stays in the history with its clearing.
    clock.set(bj('2025-11-17', '10:30'));
    await city.run(city.people('fin').clerk, 'ReceiveDocument', { documentId: 'urgent-1', unitId: 'fin' });
    await ledger.settle();
    await scanDeadlines({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never);
    await ledger.settle();
    const again = await api.gql('inspector', question, vars);
    const w = again.data!.warnings.edges[0].node;
    assert.equal(w.clearedAt, bj('2025-11-17', '10:30').toISOString());
    assert.equal(w.overdueWorkingHours, 2, 'lay from the deadline to Monday 10:30: 08:30–10:30');
    assert.deepEqual(w.timeline.map((t: any) => t.type), ['DEADLINE_SET', 'WARNING_ISSUED', 'WARNING_CLEARED']);
  } finally {
    await api.close();
  }
});
