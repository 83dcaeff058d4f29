import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLedger, draftInput, refusal, seedCity, cmdId } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * Input the database cannot store (NUL, lone UTF-16 surrogates) is refused as VALIDATION_FAILED
 * naming the field, in every argument of every operation; `null` means an absent argument; and
 * introspection needs a login where the configuration says so.
 */
describe('bad input answers VALIDATION_FAILED naming the field', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  const api = await startApi(ledger);
  after(() => api.close());
  const NUL = 'a\u0000b';
  const LONE = 'a\ud800b';

  const expectField = (r: Awaited<ReturnType<typeof api.gql>>, field: string, what: string) => {
    assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', `${what}: ${JSON.stringify(r.errors)}`);
    assert.equal((r.errors?.[0]?.extensions as { field?: string } | undefined)?.field, field, what);
    assert.match(r.errors?.[0]?.message ?? '', /[\u4e00-\u9fff]/);
  };

  test('NUL and lone surrogates in the id arguments of every query, as variables and as literals', async () => {
    const queries: [string, string, string][] = [
      ['document', 'query ($v: ID!) { document(id: $v) { documentId } }', 'id'],
      ['timeline', 'query ($v: ID!) { timeline(documentId: $v) { pageInfo { hasNextPage } } }', 'documentId'],
      ['seals', 'query ($v: ID) { seals(unitId: $v) { sealId } }', 'unitId'],
      ['sealUsage', 'query ($v: ID) { sealUsage(sealId: $v) { pageInfo { hasNextPage } } }', 'sealId'],
      ['catalogue', 'query ($v: String!) { catalogue(fonds: $v, year: 2026) { pageInfo { hasNextPage } } }', 'fonds'],
      ['verifySeal', 'query ($v: ID!) { verifySeal(documentId: $v) { valid } }', 'documentId'],
      ['securityLog', 'query ($v: ID) { securityLog(userId: $v) { totalCount } }', 'userId'],
      ['searchDocuments', 'query ($v: String!) { searchDocuments(query: $v) { pageInfo { hasNextPage } } }', 'query'],
    ];
    for (const [name, query, argument] of queries) {
      for (const bad of [NUL, LONE]) expectField(await api.gql('inspector', query, { v: bad }), 'v', `${name} ${JSON.stringify(bad)}`);
      const literal = query.replace(/^query \(\$v: [A-Za-z!]+\) /, '').replace('$v', JSON.stringify(NUL));
      expectField(await api.gql('inspector', literal), argument, `${name} literal`);
    }
  });

  test('lone surrogates and NUL in the text fields of commands', async () => {
    const base = draftInput('bad-1', { docNumberPrefix: '阜政办' });
    for (const field of ['title', 'body']) {
      for (const bad of [LONE, NUL]) {
        const r = await api.mutate('city-office-clerk', 'draftDocument', { ...base, [field]: `正文${bad}` });
        assert.equal(r.code, 'VALIDATION_FAILED', `${field}: ${JSON.stringify(r.errors)}`);
        assert.equal((r.errors?.[0]?.extensions as { field?: string }).field, `input.${field}`);
      }
    }
    // An instruction's text, on a delivery.
    const r = await api.mutate('edu-leader', 'giveInstruction', { documentId: 'bad-1', unitId: 'edu', kind: '批示', text: `请办理${LONE}` });
    assert.equal(r.code, 'VALIDATION_FAILED');
    assert.equal((r.errors?.[0]?.extensions as { field?: string }).field, 'input.text');
    assert.equal((await ledger.store.readStream('document-bad-1')).revision, null, 'nothing was drafted');
  });

  test('the command schemas refuse them too (commands that do not come through the API)', async () => {
    const clerk = city.people('city-office').clerk;
    for (const over of [{ title: `标题${LONE}` }, { body: `正文${LONE}` }, { title: `标题${NUL}` }]) {
      const r = await refusal(ledger.commands.execute(clerk, 'DraftDocument', { commandId: cmdId(), ...draftInput('bad-2', over) }));
      assert.equal(r.code, 'VALIDATION_FAILED', JSON.stringify(over));
    }
  });

  test('null means absent: after, status, first, limit', async () => {
    const cases = [
      '{ inbox(status: null, after: null, first: null) { pageInfo { hasNextPage } } }',
      '{ sentDocuments(after: null) { pageInfo { hasNextPage } } }',
      '{ sealUsage(after: null, unitId: null) { pageInfo { hasNextPage } } }',
      '{ seals(status: null, unitId: null, limit: null) { sealId } }',
      '{ units(activeOnly: null, limit: null) { unitId } }',
      '{ securityLog(first: null, userId: null, code: null, order: null) { totalCount } }',
      '{ searchDocuments(query: "通知", after: null) { pageInfo { hasNextPage } } }',
    ];
    for (const query of cases) {
      const r = await api.gql('inspector', query);
      assert.equal(r.errors, undefined, `${query}: ${JSON.stringify(r.errors)}`);
    }
    const withVariables = await api.gql('edu-clerk', 'query ($after: String, $status: InboxStatus) { inbox(after: $after, status: $status) { pageInfo { hasNextPage } } }', { after: null, status: null });
    assert.equal(withVariables.errors, undefined, JSON.stringify(withVariables.errors));
  });

  test('a list size outside 1..max is VALIDATION_FAILED, not a database error', async () => {
    for (const query of ['{ seals(limit: 0) { sealId } }', '{ units(limit: 5000) { unitId } }', '{ securityLog(first: -1) { totalCount } }']) {
      const r = await api.gql('inspector', query);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', `${query}: ${JSON.stringify(r.errors)}`);
    }
  });
});

describe('introspection: open in development, behind a login in production (configurable)', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';
  const production = { GONGWEN_MODE: 'production', GONGWEN_LEDGER_KEY: 'b2'.repeat(32) };

  test('development: anyone may introspect', async () => {
    const ledger = await createTestLedger();
    const api = await startApi(ledger);
    assert.equal((await api.gql(null, INTROSPECT)).data?.__schema.queryType.name, 'Query');
    await api.close();
  });

  test('production: only with a login; GONGWEN_INTROSPECTION=open opens it again', async () => {
    const ledger = await createTestLedger({ env: production });
    await seedCity(ledger);
    const api = await startApi(ledger);
    const anonymous = await api.gql(null, INTROSPECT);
    assert.equal(anonymous.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(anonymous.data ?? null, null);
    assert.equal((await api.gql(null, '{ __type(name: "Query") { name } }')).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal((await api.gql('edu-clerk', INTROSPECT)).data?.__schema.queryType.name, 'Query');
    await api.close();
    const open = await createTestLedger({ env: { ...production, GONGWEN_INTROSPECTION: 'open' } });
    const openApi = await startApi(open);
    assert.equal((await openApi.gql(null, INTROSPECT)).data?.__schema.queryType.name, 'Query');
    await openApi.close();
  });
});
