import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createCatalogueProjection, catalogueProjection } from '../../projections/catalogue/index.ts';
import { catalogue, catalogueYears, type CatalogueItem } from '../../projections/catalogue/queries.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity, user } from '../support/ledger.ts';

/**
 * The catalogue built from real commands: documents signed off in December 2025 and in 2026, filed
 * by their issuers and by their recipients into Y / D30 / D10, into fonds with and without a 全宗号.
 * Every time is Beijing time, so the year boundary is where an archivist expects it.
 */

let clock = new Date('2025-12-01T09:00:00+08:00');
const at = (beijing: string) => {
  clock = new Date(`${beijing}+08:00`);
  return clock.toISOString();
};

async function dump(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    units: await q('SELECT * FROM catalogue_units ORDER BY unit_id'),
    documents: await q('SELECT * FROM catalogue_documents ORDER BY document_id'),
    groups: await q('SELECT * FROM catalogue_groups ORDER BY fonds_key, year, retention, group_org'),
    items: await q('SELECT * FROM catalogue_items ORDER BY document_id, unit_id'),
  };
}

async function all(pool: pg.Pool, args: { fondsCode?: string; unitId?: string; year: number }, first = 100): Promise<CatalogueItem[]> {
  const out: CatalogueItem[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await catalogue(pool, { ...args, first, after });
    out.push(...page.items);
    if (!page.hasNextPage) return out;
    after = page.endCursor;
  }
}

describe('catalogue projection', async () => {
  const ledger = await createTestLedger({ now: () => clock });
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const [office, edu, fin] = city.units as [(typeof city.units)[0], (typeof city.units)[0], (typeof city.units)[0]];
  // A district government with a 全宗号 and a registered organisation code, and a clerk to sign for incoming documents.
  await city.run(city.admin, 'RegisterUnit', {
    unitId: 'dist',
    name: '阜阳市颍州区人民政府',
    kind: 'district',
    fondsCode: '0194',
    organisationCode: 'BGS',
    docNumberPrefixes: ['颍政'],
  });
  await city.run(city.admin, 'RegisterUser', { userId: 'dist-clerk', unitId: 'dist', name: '孙文书', roles: ['CLERK', 'STAFF'] });
  const distClerk = user('dist-clerk', 'dist', 'CLERK', 'STAFF');
  const clerkOf: Record<string, ReturnType<typeof user>> = { 'city-office': office.clerk, edu: edu.clerk, fin: fin.clerk, dist: distClerk };

  const runner = new ProjectionRunner(pool, ledger.store, [catalogueProjection]);
  await runner.prepare();

  /** Drafts and signs off at `signedOff`, seals and sends at `sent` (Beijing times). */
  async function issue(unit: (typeof city.units)[0], documentId: string, title: string, prefix: string, signedOff: string, sent: string, recipients: { main: string[]; cc?: string[] }) {
    at(signedOff);
    await city.run(unit.clerk, 'DraftDocument', draftInput(documentId, { title, docNumberPrefix: prefix, mainRecipients: recipients.main, ccRecipients: recipients.cc ?? [] }));
    await city.run(unit.leader, 'SignOffDocument', { documentId });
    at(sent);
    await city.run(unit.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: `${unit.unitId}-seal` });
    await city.run(unit.clerk, 'SendDocument', { documentId });
    await ledger.settle();
  }
  async function fileIncoming(documentId: string, unitId: string, when: string, retention: string, extra: Record<string, unknown> = {}) {
    at(when);
    await city.run(clerkOf[unitId]!, 'ReceiveDocument', { documentId, unitId });
    await city.run(clerkOf[unitId]!, 'FileIncoming', { documentId, unitId, retention, ...extra });
  }

  const filedAt: Record<string, string> = {};
  const fileSent = async (unit: (typeof city.units)[0], documentId: string, when: string, input: Record<string, unknown>) => {
    filedAt[`${documentId}/${unit.unitId}`] = at(when);
    await city.run(unit.clerk, 'FileDocument', { documentId, ...input });
  };
  const fileIn = async (documentId: string, unitId: string, when: string, retention: string, extra: Record<string, unknown> = {}) => {
    await fileIncoming(documentId, unitId, when, retention, extra);
    filedAt[`${documentId}/${unitId}`] = clock.toISOString();
  };

  // Signed off on 30 December 2025, sealed and sent on 5 January 2026: 文号 of 2026, 年度 2025.
  await issue(office, 'doc-a', '关于做好2026年元旦春节期间安全生产工作的通知', '阜政办', '2025-12-30T10:00:00', '2026-01-05T09:00:00', { main: ['edu'], cc: ['dist'] });
  await fileSent(office, 'doc-a', '2026-01-06T15:00:00', { retention: 'Y', organisationCode: 'BGS', pages: 3, remarks: '跨年度文件' });
  await fileIn('doc-a', 'edu', '2026-01-07T10:00:00', 'D30');
  await runner.catchUp(); // the incremental build proceeds in several catch-ups

  await issue(office, 'doc-b', '关于印发阜阳市政务专网管理办法的通知', '阜政办', '2026-03-09T09:30:00', '2026-03-09T16:00:00', { main: ['fin'] });
  await fileSent(office, 'doc-b', '2026-03-20T09:00:00', { retention: 'Y', organisationCode: 'BGS', pages: 12 });

  await issue(edu, 'doc-c', '关于申请开展校园防汛安全检查的请示', '阜教', '2026-04-01T11:00:00', '2026-04-01T15:00:00', { main: ['city-office'], cc: ['dist'] });
  // Renamed after it sent doc-c: the document keeps the name it was issued under.
  at('2026-04-02T09:00:00');
  await city.run(city.admin, 'RenameUnit', { unitId: 'edu', name: '阜阳市教育体育局' });
  await fileIn('doc-c', 'city-office', '2026-04-03T10:00:00', 'Y', { organisationCode: 'BGS', remarks: '已批复' });
  await fileIn('doc-c', 'dist', '2026-04-03T11:00:00', 'D30');
  await fileSent(edu, 'doc-c', '2026-04-05T10:00:00', { retention: 'D10' });
  await runner.catchUp();

  await issue(office, 'doc-d', '关于开展2026年耕地保护督察的通知', '阜政办', '2026-05-10T10:00:00', '2026-05-10T15:00:00', { main: ['edu'] });
  await fileSent(office, 'doc-d', '2026-05-20T10:00:00', { retention: 'D30' });
  await issue(office, 'doc-e', '关于优化营商环境的通报', '阜政办', '2026-06-01T10:00:00', '2026-06-01T15:00:00', { main: ['fin'] });
  await fileSent(office, 'doc-e', '2026-06-05T10:00:00', { retention: 'D30' });
  await issue(office, 'doc-g', '关于电子印章启用的函', '阜政办', '2026-06-10T10:00:00', '2026-06-10T15:00:00', { main: ['fin'] });
  await fileSent(office, 'doc-g', '2026-06-11T10:00:00', { retention: 'Y', organisationCode: '办公室' });
  // The filing overrides the unit's (absent) 全宗号 and organisation.
  await issue(fin, 'doc-f', '关于下达疫苗接种专项资金的函', '阜财', '2026-07-01T10:00:00', '2026-07-01T15:00:00', { main: ['city-office'] });
  await fileSent(fin, 'doc-f', '2026-07-02T10:00:00', { retention: 'D10', fondsCode: '0107', organisationCode: 'CWK' });
  await runner.catchUp();

  const row = (over: Partial<CatalogueItem> & Pick<CatalogueItem, 'documentId' | 'unitId'>): CatalogueItem => ({
    fondsCode: '0001',
    fondsName: '阜阳市人民政府办公室',
    year: 2026,
    retention: 'Y',
    organisationCode: null,
    itemNo: 1,
    archivalCode: '',
    docNumber: '',
    responsible: '阜阳市人民政府办公室',
    title: '',
    date: '',
    secrecy: '',
    classification: '非密',
    pages: null,
    remarks: '',
    side: 'sent',
    recalled: false,
    filedAt: filedAt[`${over.documentId}/${over.unitId}`]!,
    ...over,
  });

  const fonds0001in2026 = () => [
    row({
      documentId: 'doc-b', unitId: 'city-office', organisationCode: 'BGS', itemNo: 1, archivalCode: '0001-WS·2026-Y-BGS-0001',
      docNumber: '阜政办〔2026〕2号', title: '关于印发阜阳市政务专网管理办法的通知', date: '20260309', pages: 12,
    }),
    row({
      documentId: 'doc-c', unitId: 'city-office', side: 'incoming', organisationCode: 'BGS', itemNo: 2, archivalCode: '0001-WS·2026-Y-BGS-0002',
      docNumber: '阜教〔2026〕1号', responsible: '阜阳市教育局', title: '关于申请开展校园防汛安全检查的请示', date: '20260401', remarks: '已批复',
    }),
    row({
      documentId: 'doc-g', unitId: 'city-office', organisationCode: '办公室', itemNo: 1, archivalCode: '0001-WS·2026-Y-办公室-0001',
      docNumber: '阜政办〔2026〕5号', title: '关于电子印章启用的函', date: '20260610',
    }),
    row({
      documentId: 'doc-d', unitId: 'city-office', retention: 'D30', itemNo: 1, archivalCode: '0001-WS·2026-D30-0001',
      docNumber: '阜政办〔2026〕3号', title: '关于开展2026年耕地保护督察的通知', date: '20260510',
    }),
    row({
      documentId: 'doc-e', unitId: 'city-office', retention: 'D30', itemNo: 2, archivalCode: '0001-WS·2026-D30-0002',
      docNumber: '阜政办〔2026〕4号', title: '关于优化营商环境的通报', date: '20260601',
    }),
  ];

  test('a fonds with a 全宗号: sent and incoming items of 2026, ordered by retention, organisation and 件号', async () => {
    assert.deepEqual(await all(pool, { fondsCode: '0001', year: 2026 }), fonds0001in2026());
  });

  test('年度 is the year of the 成文日期: signed off in December 2025, numbered and sent in 2026', async () => {
    assert.deepEqual(await all(pool, { fondsCode: '0001', year: 2025 }), [
      row({
        documentId: 'doc-a', unitId: 'city-office', year: 2025, organisationCode: 'BGS', itemNo: 1, archivalCode: '0001-WS·2025-Y-BGS-0001',
        docNumber: '阜政办〔2026〕1号', title: '关于做好2026年元旦春节期间安全生产工作的通知', date: '20251230', pages: 3, remarks: '跨年度文件',
      }),
    ]);
    // The recipient files the same document into the same 年度 of its own fonds.
    assert.deepEqual(await all(pool, { unitId: 'edu', year: 2025 }), [
      row({
        documentId: 'doc-a', unitId: 'edu', side: 'incoming', fondsCode: null, fondsName: '阜阳市教育体育局', year: 2025, retention: 'D30',
        itemNo: 1, archivalCode: 'WS·2025-D30-0001', docNumber: '阜政办〔2026〕1号', title: '关于做好2026年元旦春节期间安全生产工作的通知', date: '20251230',
      }),
    ]);
  });

  test('a unit without 全宗号 drops the first segment; its fonds bears its latest name, its documents the name they were issued under', async () => {
    assert.deepEqual(await all(pool, { unitId: 'edu', year: 2026 }), [
      row({
        documentId: 'doc-c', unitId: 'edu', fondsCode: null, fondsName: '阜阳市教育体育局', retention: 'D10', itemNo: 1, archivalCode: 'WS·2026-D10-0001',
        docNumber: '阜教〔2026〕1号', responsible: '阜阳市教育局', title: '关于申请开展校园防汛安全检查的请示', date: '20260401',
      }),
    ]);
  });

  test("a recipient files into its own fonds with its registered organisation code; a filing's 全宗号 overrides the unit's", async () => {
    assert.deepEqual(await all(pool, { fondsCode: '0194', year: 2026 }), [
      row({
        documentId: 'doc-c', unitId: 'dist', side: 'incoming', fondsCode: '0194', fondsName: '阜阳市颍州区人民政府', retention: 'D30', organisationCode: 'BGS',
        itemNo: 1, archivalCode: '0194-WS·2026-D30-BGS-0001', docNumber: '阜教〔2026〕1号', responsible: '阜阳市教育局',
        title: '关于申请开展校园防汛安全检查的请示', date: '20260401',
      }),
    ]);
    assert.deepEqual(await all(pool, { fondsCode: '0107', year: 2026 }), [
      row({
        documentId: 'doc-f', unitId: 'fin', fondsCode: '0107', fondsName: '阜阳市财政局', retention: 'D10', organisationCode: 'CWK', itemNo: 1,
        archivalCode: '0107-WS·2026-D10-CWK-0001', docNumber: '阜财〔2026〕1号', responsible: '阜阳市财政局', title: '关于下达疫苗接种专项资金的函', date: '20260701',
      }),
    ]);
    // Nothing of fin's went into an uncoded fonds.
    assert.deepEqual(await all(pool, { unitId: 'fin', year: 2026 }), []);
  });

  test('件号 runs from 1 without gaps in every fonds + year + retention + organisation group', async () => {
    const { rows } = await pool.query<{ fonds_key: string; year: number; retention: string; group_org: string; items: number[]; last_item: number }>(
      `SELECT i.fonds_key, i.year, i.retention, i.group_org, array_agg(i.item_no ORDER BY i.item_no) AS items, g.last_item
         FROM catalogue_items i JOIN catalogue_groups g USING (fonds_key, year, retention, group_org)
        GROUP BY i.fonds_key, i.year, i.retention, i.group_org, g.last_item`,
    );
    assert.equal(rows.length, 8);
    for (const r of rows) {
      assert.deepEqual(r.items, Array.from({ length: r.items.length }, (_, i) => i + 1), JSON.stringify(r));
      assert.equal(r.last_item, r.items.length);
    }
  });

  test('keyset pages of one item each give the same rows; retention filters; years list the counts', async () => {
    assert.deepEqual(await all(pool, { fondsCode: '0001', year: 2026 }, 1), fonds0001in2026());
    const d30 = await catalogue(pool, { fondsCode: '0001', year: 2026, retention: 'D30', first: 1 });
    assert.deepEqual(d30.items.map((i) => i.archivalCode), ['0001-WS·2026-D30-0001']);
    assert.equal(d30.hasNextPage, true);
    const next = await catalogue(pool, { fondsCode: '0001', year: 2026, retention: 'D30', first: 1, after: d30.endCursor });
    assert.deepEqual(next.items.map((i) => i.archivalCode), ['0001-WS·2026-D30-0002']);
    assert.equal(next.hasNextPage, false);
    assert.deepEqual(await catalogueYears(pool, '0001'), [
      { year: 2026, items: 5, byRetention: { Y: 3, D30: 2, D10: 0 } },
      { year: 2025, items: 1, byRetention: { Y: 1, D30: 0, D10: 0 } },
    ]);
    assert.deepEqual(await catalogueYears(pool, { unitId: 'edu' }), [
      { year: 2026, items: 1, byRetention: { Y: 0, D30: 0, D10: 1 } },
      { year: 2025, items: 1, byRetention: { Y: 0, D30: 1, D10: 0 } },
    ]);
  });

  test('bad arguments are refused with VALIDATION_FAILED', async () => {
    for (const args of [
      { year: 2026, first: 10 },
      { fondsCode: '0001', unitId: 'edu', year: 2026, first: 10 },
      { fondsCode: '0001', year: 26, first: 10 },
      { fondsCode: '0001', year: 2026, first: 0 },
      { fondsCode: '0001', year: 2026, first: 10, after: 'not-a-cursor' },
    ]) {
      await assert.rejects(catalogue(pool, args), (e: unknown) => e instanceof Refusal && e.code === 'VALIDATION_FAILED', JSON.stringify(args));
    }
  });

  test('a rebuild equals the incremental build, and batches of 1 equal batches of 1000', async () => {
    const incremental = await dump(pool);
    assert.equal(incremental.items.length, 10);
    await runner.rebuild();
    assert.deepEqual(await dump(pool), incremental);
    const one = new ProjectionRunner(pool, ledger.store, [catalogueProjection], { batchSize: 1 });
    await one.rebuild();
    assert.deepEqual(await dump(pool), incremental);
  });

  test('the DA/T 13-2022 template: year, retention and organisation in one class segment', async () => {
    const dat13 = createCatalogueProjection({ archivalCode: 'DA/T 13-2022' });
    assert.notEqual(dat13.version, catalogueProjection.version);
    const r13 = new ProjectionRunner(pool, ledger.store, [dat13]);
    // The version differs, so prepare() drops the DA/T 22 rows and the catalogue is rebuilt.
    assert.deepEqual(await r13.prepare(), ['catalogue']);
    await r13.catchUp();
    const codes = async (args: { fondsCode?: string; unitId?: string; year: number }) => (await all(pool, args)).map((i) => i.archivalCode);
    assert.deepEqual(await codes({ fondsCode: '0001', year: 2026 }), [
      '0001-WS·2026·Y·BGS-0001',
      '0001-WS·2026·Y·BGS-0002',
      '0001-WS·2026·Y·办公室-0001',
      '0001-WS·2026·D30-0001',
      '0001-WS·2026·D30-0002',
    ]);
    assert.deepEqual(await codes({ fondsCode: '0001', year: 2025 }), ['0001-WS·2025·Y·BGS-0001']);
    assert.deepEqual(await codes({ unitId: 'edu', year: 2025 }), ['WS·2025·D30-0001']);
    assert.deepEqual(await codes({ fondsCode: '0194', year: 2026 }), ['0194-WS·2026·D30·BGS-0001']);
    assert.deepEqual(await codes({ fondsCode: '0107', year: 2026 }), ['0107-WS·2026·D10·CWK-0001']);
  });
});
