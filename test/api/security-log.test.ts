import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Refusal } from '../../src/domain/refusal.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';
import { walkBothWays, type RelayPage } from '../support/relay-walk.ts';

/**
 * Issue 11: the security log (安全日志) an inspector reads as a Relay connection — newest first by
 * default, filtered by user, unit, refusal code, action and time, paged both ways.
 */
describe('the security log as a connection', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  const api = await startApi(ledger);
  after(() => api.close());

  // Refusals written the way the command service writes them, in a known order and with known
  // times (a refusal's `at` is the database's clock: the times are set afterwards to test from/to).
  const clerk = { kind: 'user', userId: 'edu-clerk', unitId: 'edu', roles: ['CLERK'] } as const;
  const keeper = { kind: 'user', userId: 'fin-keeper', unitId: 'fin', roles: ['SEAL_KEEPER'] } as const;
  const written: { userId: string; code: string; commandType: string; commandId: string }[] = [];
  for (let i = 0; i < 23; i++) {
    const [who, code, commandType] = i % 3 === 0 ? [keeper, 'SEAL_PASSPHRASE_WRONG', 'SealDocument'] : [clerk, 'NOT_AUTHORISED', 'SignOffDocument'];
    const commandId = `sl-${String(i).padStart(2, '0')}`;
    await ledger.securityLog.record(who as never, commandType, commandId, new Refusal(code as never, `拒绝 ${i}`));
    written.push({ userId: who.userId, code, commandType, commandId });
  }
  await ledger.db.pool.query(`UPDATE security_log SET at = timestamptz '2026-03-01T00:00:00Z' + (substr(command_id, 4)::int * interval '1 hour') WHERE command_id LIKE 'sl-%'`);

  type Entry = { userId: string; unitId: string; code: string; commandType: string; commandId: string; at: string };
  const page = (filter: string) => async (args: Record<string, unknown>) => {
    const r = await api.gql(
      'inspector',
      `query ($first: Int, $after: String, $last: Int, $before: String) { securityLog(${filter}${filter ? ', ' : ''}first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { userId unitId code commandType commandId at } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`,
      args,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.securityLog as RelayPage<Entry>;
  };
  const ids = (edges: { node: Entry }[]) => edges.map((e) => e.node.commandId).filter((id) => id?.startsWith('sl-'));

  test('newest first by default, OLDEST on request; pages both ways agree', async () => {
    const newest = ids(await walkBothWays(page(''), 4, 'security log'));
    assert.deepEqual(newest, written.map((w) => w.commandId).reverse());
    const oldest = ids(await walkBothWays(page('order: OLDEST'), 5, 'security log, oldest first'));
    assert.deepEqual(oldest, written.map((w) => w.commandId));
  });

  test('filters: user, unit, refusal code, action and a time range', async () => {
    const byCode = await walkBothWays(page('code: SEAL_PASSPHRASE_WRONG'), 3, 'by code');
    assert.deepEqual(ids(byCode), written.filter((w) => w.code === 'SEAL_PASSPHRASE_WRONG').map((w) => w.commandId).reverse());
    assert.ok(byCode.every((e) => e.node.userId === 'fin-keeper' && e.node.unitId === 'fin'));
    assert.deepEqual(ids(await walkBothWays(page('unitId: "fin"'), 3, 'by unit')), ids(byCode));
    assert.deepEqual(ids(await walkBothWays(page('userId: "edu-clerk", commandType: "SignOffDocument"'), 4, 'by user and action')),
      written.filter((w) => w.userId === 'edu-clerk').map((w) => w.commandId).reverse());
    // [03:00, 07:00): the refusals written as the 4th to the 7th.
    const range = await walkBothWays(page('from: "2026-03-01T03:00:00Z", to: "2026-03-01T07:00:00Z", order: OLDEST'), 2, 'by time');
    assert.deepEqual(ids(range), ['sl-03', 'sl-04', 'sl-05', 'sl-06']);
    assert.equal(range[0]!.node.at, '2026-03-01T03:00:00.000Z');
  });

  test('a cursor of another list is refused; so are a page too large and first with last', async () => {
    const catalogueLike = Buffer.from(JSON.stringify(['directory.seal-usage', '2026-01-01T00:00:00.000Z', 1])).toString('base64url');
    for (const [args, field] of [
      [{ first: 2, after: catalogueLike }, 'after'],
      [{ first: 101 }, 'first'],
      [{ first: 2, last: 2 }, 'first'],
    ] as const) {
      const r = await api.gql('inspector', 'query ($first: Int, $after: String, $last: Int) { securityLog(first: $first, after: $after, last: $last) { totalCount } }', args);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', `${field}: ${JSON.stringify(r.errors)}`);
    }
  });

  test('only inspectors and super administrators read it', async () => {
    const r = await api.gql('edu-clerk', '{ securityLog(first: 1) { totalCount } }');
    assert.equal(r.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
  });
});
