import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { searchDocuments } from '../../projections/search/queries.ts';
import { countingPool } from '../projections/mailroom-scenario.ts';
import { startApi } from '../support/http.ts';
import { SEAL_PASSPHRASE, createTestLedger, seedCity } from '../support/ledger.ts';
import { walkBothWays, type RelayPage } from '../support/relay-walk.ts';

/**
 * Issue 11: searchDocuments' filters (文种, 紧急程度, 密级, sent/received, issuing unit, a range of
 * the 成文日期 or of the sending time) and orders (RELEVANCE, NEWEST, OLDEST) over the real HTTP
 * server, each order paged both ways by its cursors; and every filter served by an index of the
 * search projection (EXPLAIN over 10,000 rows: no sequential scan of its tables; at 3,000 the
 * planner rightly hashes the whole bodies table, cheaper than 17 index probes at that size).
 */
/** The projection's tables read by a sequential scan anywhere in a plan (search_units holds a few rows, a scan of it is the right plan). */
type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };
const seqScans = (node: PlanNode): string[] => [
  ...(node['Node Type'] === 'Seq Scan' && /^search_(documents|bodies)$/.test(node['Relation Name'] ?? '') ? [node['Relation Name']!] : []),
  ...(node.Plans ?? []).flatMap(seqScans),
];
const day = (n: number, hour = 9) => new Date(`2026-03-${String(n).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`);

/** [id, unit, 文种, 紧急程度, recipients, how far it goes]; document n is drafted on day n. */
const docs = [
  ['sf-1', 'city-office', '通知', '特急', ['edu'], 'sent'],
  ['sf-2', 'edu', '请示', '平件', ['city-office'], 'sent'],
  ['sf-3', 'fin', '函', '加急', ['edu'], 'sent'],
  ['sf-4', 'city-office', '通报', '平件', ['edu', 'fin'], 'sent'],
  ['sf-5', 'edu', '通知', '加急', ['fin'], 'sent'],
  ['sf-6', 'edu', '报告', '特急', ['city-office'], 'signedOff'],
  ['sf-7', 'edu', '通知', '平件', ['city-office'], 'drafted'],
  ['sf-8', 'hlth', '通知', '平件', ['fin'], 'sent'],
] as const;

describe('searchDocuments: filters and orders', async () => {
  let clock = day(1);
  const ledger = await createTestLedger({ now: () => clock });
  const city = await seedCity(ledger);
  const people = Object.fromEntries(city.units.map((u) => [u.unitId, u]));
  for (const [i, [documentId, unit, docType, urgency, to, reach]] of docs.entries()) {
    const p = people[unit]!;
    clock = day(i + 1, 9);
    await city.run(p.clerk, 'DraftDocument', {
      documentId,
      title: `关于做好值班工作的${docType}`,
      docType,
      urgency,
      body: '　　现将值班安排通知如下。',
      mainRecipients: [...to],
      docNumberPrefix: p.prefix,
    });
    if (reach === 'drafted') continue;
    clock = day(i + 1, 10);
    await city.run(p.leader, 'SignOffDocument', { documentId });
    if (reach === 'signedOff') continue;
    clock = day(i + 1, 11);
    await city.run(p.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: `${unit}-seal` });
    await city.run(p.clerk, 'SendDocument', { documentId });
  }
  await ledger.settle();
  const api = await startApi(ledger);
  after(() => api.close());

  /** Arguments written into the query; enum values as their names (strings of capitals). */
  const args = (a: Record<string, unknown>) =>
    Object.entries(a)
      .map(([k, v]) => `${k}: ${typeof v === 'string' && /^[A-Z_]+$/.test(v) ? v : JSON.stringify(v)}`)
      .join(', ');
  const page = async (a: Record<string, unknown>, userId = 'edu-clerk'): Promise<RelayPage<{ documentId: string; urgency: string; writtenAt: string | null; sentAt: string | null }>> => {
    const r = await api.gql(userId, `{ searchDocuments(${args({ query: '值班', ...a })}) { edges { cursor node { documentId urgency writtenAt sentAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.searchDocuments;
  };
  const ids = async (a: Record<string, unknown>) => {
    const p = await page({ first: 100, ...a });
    assert.equal(p.totalCount, p.edges.length, 'totalCount counts the filtered list');
    return p.edges.map((e) => e.node.documentId).sort();
  };

  test('each filter narrows to exactly its documents (edu sees what it issued or was sent)', async () => {
    assert.deepEqual(await ids({}), ['sf-1', 'sf-2', 'sf-3', 'sf-4', 'sf-5', 'sf-6', 'sf-7']);
    assert.deepEqual(await ids({ docType: 'NOTICE' }), ['sf-1', 'sf-5', 'sf-7']);
    assert.deepEqual(await ids({ urgency: 'EXTRA_URGENT' }), ['sf-1', 'sf-6']);
    assert.deepEqual(await ids({ urgency: 'URGENT' }), ['sf-3', 'sf-5']);
    assert.deepEqual(await ids({ classification: 'UNCLASSIFIED' }), ['sf-1', 'sf-2', 'sf-3', 'sf-4', 'sf-5', 'sf-6', 'sf-7']);
    assert.deepEqual(await ids({ classification: 'CONFIDENTIAL' }), []);
    assert.deepEqual(await ids({ direction: 'SENT' }), ['sf-2', 'sf-5', 'sf-6', 'sf-7']);
    assert.deepEqual(await ids({ direction: 'RECEIVED' }), ['sf-1', 'sf-3', 'sf-4']);
    assert.deepEqual(await ids({ issuerUnitId: 'city-office' }), ['sf-1', 'sf-4']);
    // 成文日期 (the sign-off) from day 3 to before day 6; a draft not signed off has none.
    assert.deepEqual(await ids({ from: day(3, 0).toISOString(), to: day(6, 0).toISOString() }), ['sf-3', 'sf-4', 'sf-5']);
    assert.deepEqual(await ids({ dateField: 'WRITTEN', from: day(5, 0).toISOString() }), ['sf-5', 'sf-6']);
    assert.deepEqual(await ids({ dateField: 'SENT', from: day(4, 0).toISOString() }), ['sf-4', 'sf-5']);
    assert.deepEqual(await ids({ dateField: 'SENT', to: '2026-03-02T11:00:00+08:00' }), ['sf-1'], 'to is exclusive');
    assert.deepEqual(await ids({ direction: 'RECEIVED', urgency: 'URGENT' }), ['sf-3'], 'filters combine');
    // An inspector sees every unit's; the issuer filter then reaches hlth's too.
    assert.deepEqual(await ids({ issuerUnitId: 'hlth' }), []);
    const hlth = await page({ issuerUnitId: 'hlth' }, 'admin');
    assert.deepEqual(hlth.edges.map((e) => e.node.documentId), ['sf-8']);
    const sf6 = (await page({ issuerUnitId: 'edu', urgency: 'EXTRA_URGENT' })).edges[0]!.node;
    assert.deepEqual([sf6.urgency, sf6.writtenAt, sf6.sentAt], ['EXTRA_URGENT', day(6, 10).toISOString(), null]);
  });

  test('a bad range is refused: to not after from, a time without its offset', async () => {
    const r = await api.gql('edu-clerk', `{ searchDocuments(query: "值班", from: "${day(5).toISOString()}", to: "${day(4).toISOString()}") { totalCount } }`);
    assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
    const bare = await api.gql('edu-clerk', '{ searchDocuments(query: "值班", from: "2026-03-04") { totalCount } }');
    assert.equal(bare.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
  });

  test('NEWEST and OLDEST by the document\'s date (sent, else signed off, else drafted), each paged both ways', async () => {
    const newest = await walkBothWays((a) => page({ ...a, sort: 'NEWEST' }), 2, 'NEWEST');
    assert.deepEqual(newest.map((e) => e.node.documentId), ['sf-7', 'sf-6', 'sf-5', 'sf-4', 'sf-3', 'sf-2', 'sf-1']);
    const oldest = await walkBothWays((a) => page({ ...a, sort: 'OLDEST' }), 3, 'OLDEST');
    assert.deepEqual(oldest.map((e) => e.node.documentId), ['sf-1', 'sf-2', 'sf-3', 'sf-4', 'sf-5', 'sf-6', 'sf-7']);
    const relevance = await walkBothWays((a) => page(a), 2, 'RELEVANCE');
    assert.equal(relevance.length, 7);
    const filtered = await walkBothWays((a) => page({ ...a, sort: 'NEWEST', direction: 'SENT' }), 1, 'NEWEST of the sent');
    assert.deepEqual(filtered.map((e) => e.node.documentId), ['sf-7', 'sf-6', 'sf-5', 'sf-2']);
  });

  test('RELEVANCE: title hits before body-only hits, each newest first, paged both ways across the two', async () => {
    // 通知 is in the title of the 通知 (sf-1, sf-5, sf-7) and in every body.
    const relevance = await walkBothWays((a) => page({ ...a, query: '通知' }), 2, 'RELEVANCE');
    assert.deepEqual(relevance.map((e) => e.node.documentId), ['sf-7', 'sf-5', 'sf-1', 'sf-6', 'sf-4', 'sf-3', 'sf-2']);
  });

  test('a page the title hits fill reads no body-only hits (issue #16: a common term reads no bodies)', async () => {
    const read = async (first: number) => {
      const counted = countingPool(ledger.db.pool);
      const found = await searchDocuments(counted.pool, { query: '通知', visibleToUnitId: 'edu', first });
      return { ids: found.items.map((h) => h.documentId), statements: counted.statements.length, hasNextPage: found.hasNextPage };
    };
    // Two of the three title hits, and the third tells there is a next page: one statement.
    assert.deepEqual(await read(2), { ids: ['sf-7', 'sf-5'], statements: 1, hasNextPage: true });
    // Four: the three title hits, then the body-only part for the rest of the page.
    assert.deepEqual(await read(4), { ids: ['sf-7', 'sf-5', 'sf-1', 'sf-6'], statements: 2, hasNextPage: true });
  });

  test('a cursor belongs to its order and filters: handed to another, it is refused', async () => {
    const first = await page({ sort: 'NEWEST', first: 2 });
    for (const other of [{ sort: 'OLDEST' }, { sort: 'NEWEST', urgency: 'URGENT' }, {}]) {
      const r = await api.gql('edu-clerk', `{ searchDocuments(${args({ query: '值班', ...other, after: first.pageInfo.endCursor })}) { totalCount } }`);
      assert.equal(r.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', JSON.stringify(other));
    }
  });

  test('a revision after the sign-off voids it: the 成文日期 is cleared until the next sign-off', async () => {
    const edu = people.edu!;
    clock = day(20, 9);
    await city.run(edu.clerk, 'ReviseDraft', { documentId: 'sf-6', title: '关于做好值班工作的报告（修改）' });
    await ledger.settle();
    const written = async () => (await page({ issuerUnitId: 'edu', urgency: 'EXTRA_URGENT' })).edges[0]!.node.writtenAt;
    assert.equal(await written(), null);
    assert.deepEqual(await ids({ dateField: 'WRITTEN', from: day(5, 0).toISOString() }), ['sf-5']);
    clock = day(21, 10);
    await city.run(edu.leader, 'SignOffDocument', { documentId: 'sf-6' });
    await ledger.settle();
    assert.equal(await written(), day(21, 10).toISOString());
    // Its date for NEWEST is now the new sign-off: it comes first.
    assert.equal((await page({ sort: 'NEWEST', first: 1 })).edges[0]!.node.documentId, 'sf-6');
  });

  test('every filter and order is served by the projection\'s indexes (EXPLAIN over 10,000 more documents)', async () => {
    const pool = ledger.db.pool;
    await pool.query(`
      INSERT INTO search_documents (document_id, issuer_unit_id, recipient_unit_ids, status, title, doc_number, doc_type, sent_at, urgency, classification,
                                    signed_off_at, drafted_at, match_title, match_number, match_issuer, title_tsv, number_tsv, issuer_tsv)
      SELECT 'bulk-' || g, (ARRAY['city-office', 'edu', 'fin', 'hlth'])[1 + g % 4], ARRAY[(ARRAY['edu', 'fin', 'hlth'])[1 + g % 3]], 'sent', '其他公文' || g, NULL,
             (ARRAY['通知', '函', '请示', '报告'])[1 + g % 4], timestamptz '2025-01-01' + g * interval '1 hour', (ARRAY['平件', '加急', '特急'])[1 + g % 3], '非密',
             timestamptz '2025-01-01' + g * interval '1 hour', timestamptz '2025-01-01' + g * interval '1 hour', 'b' || g, '', 'b' || g, ('b' || g)::tsvector, ''::tsvector, ('b' || g)::tsvector
        FROM generate_series(1, 10000) g`);
    await pool.query(`INSERT INTO search_bodies (document_id, body, match_body, body_tsv, complete) SELECT 'bulk-' || g, 'b' || g, 'b' || g, ('b' || g)::tsvector, true FROM generate_series(1, 10000) g`);
    await pool.query('ANALYZE search_documents; ANALYZE search_bodies');
    const cases: Record<string, Parameters<typeof searchDocuments>[1]> = {
      plain: { query: '值班', visibleToUnitId: 'edu', first: 20 },
      docType: { query: '值班', visibleToUnitId: 'edu', docType: '通知', first: 20 },
      urgency: { query: '值班', urgency: '特急', first: 20 },
      classification: { query: '值班', classification: '非密', first: 20 },
      sent: { query: '值班', visibleToUnitId: 'edu', direction: { unitId: 'edu', side: 'SENT' }, first: 20 },
      received: { query: '值班', direction: { unitId: 'edu', side: 'RECEIVED' }, first: 20 },
      issuer: { query: '值班', issuerUnitId: 'city-office', first: 20 },
      written: { query: '值班', dates: { field: 'WRITTEN', from: day(3).toISOString(), to: day(6).toISOString() }, first: 20 },
      sentRange: { query: '值班', dates: { field: 'SENT', from: day(3).toISOString() }, first: 20 },
      newest: { query: '值班', sort: 'NEWEST', last: 2 },
      // A term the canonical text decides (three bigrams) beside one the index decides.
      terms: { query: '做好值班 通知', visibleToUnitId: 'edu', first: 20 },
    };
    for (const [name, c] of Object.entries(cases)) {
      const counted = countingPool(pool);
      const found = await searchDocuments(counted.pool, c);
      assert.ok(found.items.every((h) => h.documentId.startsWith('sf-')), name);
      await found.totalCount();
      // Every statement: the page's parts (short fields, bodies), and the count over both.
      assert.ok(counted.statements.length >= 2, name);
      for (const { text, values } of counted.statements) {
        const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        assert.deepEqual(seqScans(rows[0]['QUERY PLAN'][0].Plan), [], `${name}: ${plan}`);
        // The terms' GIN indexes, or a filter's btree where that is narrower (a few days of 成文日期).
        assert.match(plan, /"Index Name":"search_(documents|bodies)_(head|tsv|doc_type|urgency|classification|signed_off|sent|sort|issuer|recipients)"/, `${name}: an index of the projection finds the candidates: ${plan}`);
      }
    }
  });

  test('a term most bodies hold is still found through the index: the search prices sequential scans out (issue #16)', async () => {
    const pool = ledger.db.pool;
    // 8,000 bodies holding the term (about half the table): the planner's estimate then prefers
    // reading search_bodies whole, tsvector by tsvector, to the GIN index.
    await pool.query(`INSERT INTO search_documents (document_id, issuer_unit_id, recipient_unit_ids, status, title, doc_number, doc_type, sent_at, urgency, classification,
                                    signed_off_at, drafted_at, match_title, match_number, match_issuer, title_tsv, number_tsv, issuer_tsv)
      SELECT 'common-' || g, 'fin', ARRAY['hlth'], 'sent', '其他公文' || g, NULL, '函', timestamptz '2025-01-01', '平件', '非密',
             timestamptz '2025-01-01', timestamptz '2025-01-01', 'c' || g, '', 'c' || g, ('c' || g)::tsvector, ''::tsvector, ('c' || g)::tsvector
        FROM generate_series(1, 8000) g`);
    await pool.query(`INSERT INTO search_bodies (document_id, body, match_body, body_tsv, complete)
      SELECT 'common-' || g, '值班', '值班', (SELECT string_agg('w' || g || '_' || i, ' ') FROM generate_series(1, 40) i)::tsvector || '值班'::tsvector, true FROM generate_series(1, 8000) g`);
    await pool.query('ANALYZE search_documents; ANALYZE search_bodies');
    const sent: string[] = [];
    const recording = {
      idleCount: 0,
      connect: async () => {
        const client = await pool.connect();
        return new Proxy(client, { get: (c, name) => (name === 'query' ? (q: string | { text: string }, v?: unknown[]) => (sent.push(typeof q === 'string' ? q : q.text), c.query(q as never, v)) : Reflect.get(c, name, c)) });
      },
    };
    const counted = countingPool(pool);
    // The count reads every hit of both parts, the bodies' too.
    await (await searchDocuments(counted.pool, { query: '值班', visibleToUnitId: 'edu', first: 20 })).totalCount();
    const { text, values } = counted.statements.find((s) => s.text.startsWith('SELECT count(*)'))!;
    const plan = async (settings: string) => {
      const client = await pool.connect();
      try {
        await client.query(`BEGIN; ${settings}`);
        return (await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    };
    // The planner's own choice (the reason for the rule): a sequential scan of the bodies.
    assert.ok(seqScans(await plan('')).includes('search_bodies'), 'precondition: without the setting the planner scans search_bodies');
    const found = await searchDocuments(recording as never, { query: '值班', visibleToUnitId: 'edu', first: 20 });
    assert.ok(found.items.length > 0);
    assert.match(sent[0]!, /^BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ; SET LOCAL enable_seqscan = off$/);
    assert.equal(sent.at(-1), 'COMMIT');
    assert.deepEqual(seqScans(await plan('SET LOCAL enable_seqscan = off')), []);
  });
});
