import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { encodeCursor } from '../../projections/shared/keyset.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { startApi } from '../support/http.ts';
import { bj, ledgerOnClock, sendDocument } from './support.ts';

/** RFC 3339 as the DateTime scalar serialises an instant: UTC, milliseconds, Z. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The supervision schema's contract over the real server: enums in and out, DateTime, Date and
 * Month, bad arguments refused as VALIDATION_FAILED, and Relay pages both ways on every list.
 */
describe('supervision API contract: typed values, both-way pages', async () => {
  // Built in the suite's body, as the other HTTP suites do: the test ledger lives as long as the suite.
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-14', '19:00'));
  {
    await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '陈纪检', roles: ['INSPECTOR'] });
    clock.set(bj('2025-11-14', '20:00'));
    await sendDocument(ledger, city, 'c-1', { urgency: '特急', mainRecipients: ['fin', 'edu'], ccRecipients: ['hlth'] });
    await sendDocument(ledger, city, 'c-2', { urgency: '加急', mainRecipients: ['fin', 'edu'] });
    await sendDocument(ledger, city, 'c-3', { urgency: '特急', docType: '函', mainRecipients: ['hlth'] });
    const scan = async () => {
      await ledger.settle();
      await scanDeadlines({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never);
      await ledger.settle();
    };
    // Monday 08:00: the 特急 (due Friday 22:00) are yellow; hlth's leader then pauses c-3's clock.
    clock.set(bj('2025-11-17', '08:00'));
    await scan();
    clock.set(bj('2025-11-17', '09:00'));
    await city.run(city.people('hlth').leader, 'PauseSupervisionClock', { documentId: 'c-3', unitId: 'hlth', clock: 'sign', reason: '等待上级答复' });
    // 16:00: the 加急 (four working hours: due 15:00) are yellow; edu signs for its copy at 16:30.
    clock.set(bj('2025-11-17', '16:00'));
    await scan();
    clock.set(bj('2025-11-17', '16:30'));
    await city.run(city.people('edu').clerk, 'ReceiveDocument', { documentId: 'c-2', unitId: 'edu' });
    // 18:00: the 特急 still lying are red (one working day after Friday 22:00: Monday 17:30).
    clock.set(bj('2025-11-17', '18:00'));
    await scan();
  }
  const api = await startApi(ledger);
  after(() => api.close());

  const ok = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await api.gql('inspector', query, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };

  test('enums out: urgency, docType, kind, clock, level, escalation, clearedReason and the timeline\'s event types by their API names', async () => {
    const d = await ok(`{ warnings(first: 100) { edges { node { documentId unitId urgency docType clock level escalation clearedReason timeline { type } } } }
                          overdue(first: 100) { edges { node { documentId unitId urgency docType kind clock level } } } }`);
    const warnings: any[] = d.warnings.edges.map((e: any) => e.node);
    const c1fin = warnings.filter((w) => w.documentId === 'c-1' && w.unitId === 'fin');
    assert.deepEqual(c1fin.map((w) => [w.urgency, w.docType, w.clock, w.level, w.escalation, w.clearedReason]), [
      ['EXTRA_URGENT', 'NOTICE', 'SIGN', 'YELLOW', 'REMIND', null],
      ['EXTRA_URGENT', 'NOTICE', 'SIGN', 'RED', 'SUPERVISE', null],
    ]);
    const signed = warnings.find((w) => w.documentId === 'c-2' && w.unitId === 'edu');
    assert.deepEqual([signed.urgency, signed.clearedReason], ['URGENT', 'SIGNED'], 'signed for after its deadline: cleared');
    assert.deepEqual(signed.timeline.map((t: any) => t.type), ['DEADLINE_SET', 'WARNING_ISSUED', 'WARNING_CLEARED']);
    const paused = warnings.find((w) => w.documentId === 'c-3');
    assert.equal(paused.docType, 'LETTER');
    assert.ok(paused.timeline.some((t: any) => t.type === 'CLOCK_PAUSED'), JSON.stringify(paused.timeline));
    const overdue: any[] = d.overdue.edges.map((e: any) => e.node);
    assert.deepEqual(overdue.find((o) => o.documentId === 'c-1' && o.unitId === 'hlth'), { documentId: 'c-1', unitId: 'hlth', urgency: 'EXTRA_URGENT', docType: 'NOTICE', kind: 'CC', clock: 'SIGN', level: 'RED' });
    assert.ok(overdue.every((o) => ['SIGN', 'HANDLE'].includes(o.clock) && ['YELLOW', 'RED'].includes(o.level) && ['MAIN', 'CC'].includes(o.kind)));
  });

  test('enums in, as literals and as variables, filter by the domain values behind them', async () => {
    const all = await ok('{ warnings(first: 100) { edges { node { warningId urgency level clock } } } }');
    const nodes: any[] = all.warnings.edges.map((e: any) => e.node);
    for (const [urgency, level, clock] of [['EXTRA_URGENT', 'RED', 'SIGN'], ['URGENT', 'YELLOW', 'SIGN'], ['EXTRA_URGENT', 'YELLOW', 'HANDLE']]) {
      const expected = nodes.filter((n) => n.urgency === urgency && n.level === level && n.clock === clock).map((n) => n.warningId);
      const literal = await ok(`{ warnings(urgency: ${urgency}, level: ${level}, clock: ${clock}, first: 100) { edges { node { warningId } } } }`);
      const variables = await ok('query ($u: Urgency, $l: WarningLevel, $c: SupervisionClock) { warnings(urgency: $u, level: $l, clock: $c, first: 100) { edges { node { warningId } } } }', { u: urgency, l: level, c: clock });
      assert.deepEqual(literal.warnings.edges.map((e: any) => e.node.warningId), expected, `${urgency} ${level} ${clock}`);
      assert.deepEqual(variables.warnings.edges.map((e: any) => e.node.warningId), expected);
    }
    assert.ok(nodes.some((n) => n.urgency === 'EXTRA_URGENT' && n.level === 'RED'), 'the filters select something');
    const extra = await ok('{ overdue(urgency: EXTRA_URGENT, clock: SIGN, first: 100) { edges { node { urgency clock } } } sendersCheck(urgency: URGENT) { edges { node { urgency } } } }');
    assert.ok(extra.overdue.edges.length > 0 && extra.overdue.edges.every((e: any) => e.node.urgency === 'EXTRA_URGENT' && e.node.clock === 'SIGN'));
    assert.ok(extra.sendersCheck.edges.length > 0 && extra.sendersCheck.edges.every((e: any) => e.node.urgency === 'URGENT'));
  });

  test('every instant is a DateTime (RFC 3339, UTC); month a Month, day a Date', async () => {
    const d = await ok(`{
      warnings(first: 100) { basis { computedAt } edges { node { dueAt fellDueAt raisedAt clearedAt timeline { occurredAt recordedAt } } } }
      overdue(first: 100) { basis { computedAt } edges { node { deliveredAt receivedAt dueAt redAt } } }
      unitStatistics(month: "2025-11") { basis { computedAt } units { month } }
      dailyCheck(day: "2025-11-17") { day checkedAt }
    }`);
    const instants: unknown[] = [d.warnings.basis.computedAt, d.overdue.basis.computedAt, d.unitStatistics.basis.computedAt, d.dailyCheck.checkedAt];
    for (const { node } of d.warnings.edges) instants.push(node.dueAt, node.fellDueAt, node.raisedAt, ...(node.clearedAt ? [node.clearedAt] : []), ...node.timeline.flatMap((t: any) => [t.occurredAt, t.recordedAt]));
    for (const { node } of d.overdue.edges) instants.push(node.deliveredAt, node.dueAt, node.redAt, ...(node.receivedAt ? [node.receivedAt] : []));
    assert.ok(instants.length > 40);
    for (const t of instants) assert.match(String(t), INSTANT);
    assert.ok(d.warnings.edges.some((e: any) => e.node.clearedAt !== null));
    assert.deepEqual(new Set(d.unitStatistics.units.map((u: any) => u.month)), new Set(['2025-11']));
    assert.equal(d.dailyCheck.day, '2025-11-17');
    // An instant with an offset reads as the same instant.
    const fellDue = d.warnings.edges[0].node.fellDueAt as string;
    const beijing = new Date(Date.parse(fellDue) + 8 * 3600_000).toISOString().replace('Z', '+08:00');
    const from = await ok('query ($from: DateTime) { warnings(from: $from, first: 1) { edges { node { fellDueAt } } } }', { from: beijing });
    assert.equal(from.warnings.edges[0].node.fellDueAt, fellDue);
  });

  test('a bad month, day, instant, urgency, level or clock is VALIDATION_FAILED in Chinese, as literal, as variable and in the CSV', async () => {
    const refused = async (query: string, variables: Record<string, unknown>, field: RegExp) => {
      const r = await api.gql('inspector', query, variables);
      assert.equal(r.status, 400, query);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', JSON.stringify(r.errors));
      assert.match(r.errors![0]!.message, /[\u4e00-\u9fff]/u, 'in Chinese');
      assert.match(r.errors![0]!.message, field);
      return r;
    };
    for (const month of ['2025-13', '2025-1', '25-11', '2025-11-01']) {
      const r = await refused(`{ unitStatistics(month: ${JSON.stringify(month)}) { units { unitId } } }`, {}, /「month」月份须形如 2026-11/);
      assert.equal((r.errors![0]!.extensions as { field?: string }).field, 'month');
      await refused('query ($m: Month!) { unitRanking(month: $m) { units { unitId } } }', { m: month }, /\$m.*月份须形如/);
    }
    for (const day of ['2025-02-30', '2025-11-7', '17/11/2025', '2025-11-17T00:00:00Z']) {
      await refused(`{ dailyCheck(day: ${JSON.stringify(day)}) { day } }`, {}, /「day」日期须为实有的日期/);
      await refused('query ($d: Date!) { dailyCheck(day: $d) { day } }', { d: day }, /\$d.*日期须为实有的日期/);
    }
    await refused('{ warnings(from: "2025-11-10") { edges { node { warningId } } } }', {}, /「from」时间须为 RFC 3339/);
    await refused('query ($to: DateTime) { warnings(to: $to) { edges { node { warningId } } } }', { to: '2025-11-17 00:00' }, /\$to/);
    await refused('{ overdue(urgency: "特急") { edges { node { unitId } } } }', {}, /Urgency/);
    await refused('query ($u: Urgency) { overdue(urgency: $u) { edges { node { unitId } } } }', { u: 'VERY_URGENT' }, /\$u/);
    await refused('{ warnings(level: yellow) { edges { node { unitId } } } }', {}, /WarningLevel/);
    await refused('{ overdue(clock: SIGNED) { edges { node { unitId } } } }', {}, /SupervisionClock/);

    const csv = async (path: string) => {
      const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${await api.tokenFor('inspector')}` } });
      // The one error shape of every HTTP route (src/api/http-errors.ts).
      const body = (await res.json()) as { errors: [{ message: string; extensions: { code: string } }] };
      return { status: res.status, code: body.errors[0].extensions.code, message: body.errors[0].message };
    };
    for (const [path, field] of [
      [`/supervision/warnings.csv?urgency=${encodeURIComponent('特急')}`, /「urgency」须为 EXTRA_URGENT、URGENT、ORDINARY 之一/],
      ['/supervision/overdue.csv?clock=sign', /「clock」须为 SIGN、HANDLE 之一/],
      ['/supervision/warnings.csv?level=yellow', /「level」须为 YELLOW、RED 之一/],
      ['/supervision/warnings.csv?from=2025-11-10', /「from」时间须为 RFC 3339/],
      ['/supervision/unitStatistics.csv?month=2025-13', /「month」月份须形如/],
      ['/supervision/dailyCheck.csv?day=2025-02-30', /「day」日期须为实有的日期/],
    ] as const) {
      const r = await csv(path);
      assert.deepEqual([r.status, r.code], [400, 'VALIDATION_FAILED'], path);
      assert.match(r.message, field);
    }
    const good = await fetch(`${api.url}/supervision/warnings.csv?urgency=URGENT&level=YELLOW&clock=SIGN`, { headers: { authorization: `Bearer ${await api.tokenFor('inspector')}` } });
    assert.equal(good.status, 200);
    const lines = (await good.text()).split('\r\n');
    assert.ok(lines.some((l) => /,c-2,edu,.*,sign,yellow,/.test(l)), 'the cells keep the domain\'s terms');
  });

  /** Walks a list forward (first/after) and backward (last/before) in pages of `size`, checking pageInfo on each page. */
  async function bothWays(field: string, args: string, key: string, size: number) {
    const query = `query ($first: Int, $after: String, $last: Int, $before: String) {
      ${field}(${args} first: $first, after: $after, last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${key} } } } }`;
    const page = async (variables: Record<string, unknown>) => (await ok(query, variables))[field];
    const forward: { cursor: string; node: any }[] = [];
    let p = await page({ first: size });
    for (let n = 0; ; n++) {
      assert.equal(p.pageInfo.hasPreviousPage, n > 0, `${field} forward page ${n}`);
      assert.equal(p.pageInfo.startCursor, p.edges[0]?.cursor ?? null);
      assert.equal(p.pageInfo.endCursor, p.edges.at(-1)?.cursor ?? null);
      forward.push(...p.edges);
      if (!p.pageInfo.hasNextPage) break;
      p = await page({ first: size, after: p.pageInfo.endCursor });
    }
    const backwardPages: { cursor: string; node: any }[][] = [];
    p = await page({ last: size });
    for (let n = 0; ; n++) {
      assert.equal(p.pageInfo.hasNextPage, n > 0, `${field} backward page ${n}`);
      assert.ok(p.edges.length <= size);
      backwardPages.push(p.edges);
      if (!p.pageInfo.hasPreviousPage) break;
      p = await page({ last: size, before: p.pageInfo.startCursor });
    }
    const backward = backwardPages.reverse().flat();
    assert.deepEqual(backward, forward, `${field}: the backward pages, reversed, are the forward pages`);
    assert.equal(p.totalCount, forward.length);
    assert.equal(new Set(forward.map((e) => JSON.stringify(e.node))).size, forward.length, 'no entry twice');
    // Every edge's own cursor: after it, the rest; before it, what came before.
    const k = Math.floor(forward.length / 2);
    const rest = await page({ first: 100, after: forward[k]!.cursor });
    assert.deepEqual(rest.edges, forward.slice(k + 1));
    const earlier = await page({ last: 100, before: forward[k]!.cursor });
    assert.deepEqual(earlier.edges, forward.slice(0, k));
    return forward;
  }

  test('overdue, sendersCheck and warnings page both ways: the backward pages reversed are the forward pages', async () => {
    const overdue = await bothWays('overdue', '', 'documentId unitId clock', 2);
    assert.ok(overdue.length >= 5, `${overdue.length} overdue`);
    const sent = await bothWays('sendersCheck', 'unitId: "city-office",', 'documentId unitId clock', 2);
    assert.ok(sent.length >= 5);
    const warnings = await bothWays('warnings', '', 'warningId', 3);
    assert.ok(warnings.length >= 7, `${warnings.length} warnings`);
    const red = await bothWays('warnings', 'level: RED, urgency: EXTRA_URGENT,', 'warningId level urgency', 1);
    assert.ok(red.length >= 2 && red.every((e) => e.node.level === 'RED'));
    // No page size given: the declared default (20) forward.
    const whole = await ok('{ warnings { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage } } }');
    assert.deepEqual(whole.warnings.edges.map((e: any) => e.cursor), warnings.map((e) => e.cursor));
    // totalCount asked through fragments is counted too (inside the snapshot the page is read in).
    const fragments = await ok(`{ warnings(first: 1) { ...Count } sendersCheck(last: 1) { ... on OverdueConnection { totalCount } } }
      fragment Count on SupervisionWarningConnection { totalCount }`);
    assert.deepEqual([fragments.warnings.totalCount, fragments.sendersCheck.totalCount], [warnings.length, sent.length]);
    // Arguments written null are left out: the default page, forward, no bounds.
    const nulls = await ok('{ warnings(first: null, after: null, last: null, before: null, from: null, to: null, level: null, clock: null) { edges { cursor } } overdue(last: null, before: null, urgency: null) { totalCount } }');
    assert.deepEqual(nulls.warnings.edges.map((e: any) => e.cursor), warnings.map((e) => e.cursor));
    assert.equal(nulls.overdue.totalCount, overdue.length);
    const empty = await ok('{ unverifiedEntries(last: 5) { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }');
    assert.deepEqual(empty.unverifiedEntries, { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  test('paging refusals: first with last, a size past the maximum, a cursor of another list or forged', async () => {
    const code = async (query: string) => (await api.gql('inspector', query)).errors?.[0]?.extensions?.code;
    const [w] = (await ok('{ warnings(first: 1) { edges { cursor } } }')).warnings.edges;
    assert.equal(await code('{ warnings(first: 2, last: 2) { edges { cursor } } }'), 'VALIDATION_FAILED');
    assert.equal(await code('{ overdue(last: 101) { edges { cursor } } }'), 'VALIDATION_FAILED');
    assert.equal(await code(`{ overdue(after: ${JSON.stringify(w.cursor)}) { edges { cursor } } }`), 'VALIDATION_FAILED', 'a warnings cursor is not an overdue one');
    // Well-formed JSON of the right list, but no uuid and no time inside: refused, not a database cast error.
    for (const forged of [encodeCursor('supervision.warnings', ['2025-11-14T14:00:00.000Z', 'not-a-uuid']), encodeCursor('supervision.warnings', ['someday', '00000000-0000-0000-0000-000000000000'])]) {
      assert.equal(await code(`{ warnings(before: ${JSON.stringify(forged)}) { edges { cursor } } }`), 'VALIDATION_FAILED', forged);
    }
    assert.equal(await code(`{ overdue(after: ${JSON.stringify(encodeCursor('supervision.overdue', ['never', 'c-1', 'fin', 'sign']))}) { edges { cursor } } }`), 'VALIDATION_FAILED');
  });
});
