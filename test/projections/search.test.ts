import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { searchProjection } from '../../projections/search/index.ts';
import { searchDocuments, type SearchHit } from '../../projections/search/queries.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { SEAL_PASSPHRASE, createTestLedger, seedCity } from '../support/ledger.ts';
import { fixture, type FixtureUnit } from './search-fixture.ts';

/**
 * Search over 36 documents driven through the command service (drafted, signed off, sealed, sent;
 * two left as drafts). Each query lists exactly the documents that contain it: every expected one
 * must be found (recall) and nothing else (precision), including documents that hold the query's
 * characters scattered.
 */

const clock = new Date('2026-03-10T09:00:00+08:00');

async function dump(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    units: await q('SELECT * FROM search_units ORDER BY unit_id'),
    documents: await q('SELECT *, title_tsv::text, number_tsv::text, issuer_tsv::text FROM search_documents ORDER BY document_id'),
    bodies: await q('SELECT *, body_tsv::text FROM search_bodies ORDER BY document_id'),
  };
}

describe('search projection', async () => {
  const ledger = await createTestLedger({ now: () => clock });
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const people = Object.fromEntries(city.units.map((u) => [u.unitId, u])) as Record<FixtureUnit, (typeof city.units)[0]>;
  const runner = new ProjectionRunner(pool, ledger.store, [searchProjection]);
  await runner.prepare();

  for (const [i, d] of fixture.entries()) {
    const p = people[d.unit];
    await city.run(p.clerk, 'DraftDocument', {
      documentId: d.id,
      title: d.title,
      docType: d.docType,
      body: d.body,
      mainRecipients: d.to,
      docNumberPrefix: d.prefix,
    });
    if (!d.draft) {
      await city.run(p.leader, 'SignOffDocument', { documentId: d.id });
      await city.run(p.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: d.id, sealId: `${d.unit}-seal` });
      await city.run(p.clerk, 'SendDocument', { documentId: d.id });
    }
    if (i === 17) await runner.catchUp(); // the incremental build happens in more than one catch-up
  }
  await ledger.settle();
  await runner.catchUp();

  async function hits(query: string, visibleToUnitId?: string, first = 100): Promise<SearchHit[]> {
    const out: SearchHit[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await searchDocuments(pool, { query, visibleToUnitId, first, after });
      out.push(...page.items);
      if (!page.hasNextPage) return out;
      after = page.endCursor;
    }
  }
  const ids = async (query: string, visibleToUnitId?: string) => (await hits(query, visibleToUnitId)).map((h) => h.documentId);
  const idSet = async (query: string, visibleToUnitId?: string) => (await ids(query, visibleToUnitId)).sort();

  const expected: Record<string, string[]> = {
    // s04 has 电子文件 … 印章管理, s27 电子公文 … 印章: the characters, never the phrase.
    电子印章: ['s01', 's02', 's03', 's32'],
    // s07 has 专项检查 and 网络, s16 and s31 专项: not 专网.
    专网: ['s05', 's06', 's08'],
    政务专网: ['s05', 's06', 's08'],
    // s11 has 汛期 and 预防.
    防汛: ['s09', 's10', 's12', 's29'],
    // s15 has 食品安全 and 食品生产经营.
    安全生产: ['s13', 's14', 's16'],
    // s20 has 疫情 and 苗头.
    疫苗: ['s17', 's18', 's19'],
    // s23 has 保护耕地, the words reversed.
    耕地保护: ['s21', 's22'],
    // s26 has 营造 … 商事 … 环境.
    营商环境: ['s24', 's25'],
    // 12 is a whole token: s27's 112号会议室 does not match; s30 cites 阜政办〔2025〕12号 in its body.
    '12号': ['s30', 's35'],
    '13号': ['s36'],
    // A pasted 发文字号 is one term: 阜政办〔2026〕13号 (s36) does not contain 阜政办〔2026〕3号.
    '阜政办〔2026〕3号': ['s09'],
    '阜政办[2026]12号': ['s35'],
    '2025': ['s28', 's29', 's30'],
    // Terms separated by a space must all occur, anywhere.
    '防汛 资金': ['s12'],
    '电子印章 专人': ['s01', 's03'],
    // One character: single characters are indexed too.
    函: ['s06', 's19', 's31', 's32'],
    // The issuer's name: every document 阜阳市财政局 issued, and s01 which names it in its body.
    财政局: ['s01', 's02', 's06', 's12', 's16', 's19', 's22', 's25', 's31'],
    // Full-width letters and digits are their half-width selves.
    '２０２５': ['s28', 's29', 's30'],
    一网通办: ['s26'],
    量子通信: [],
  };

  test('every query finds exactly the documents that contain it: recall and precision', async () => {
    for (const [query, want] of Object.entries(expected)) {
      assert.deepEqual(await idSet(query), want, `query ${query}`);
    }
  });

  test('a title hit ranks above a body-only hit, however often the body repeats the term', async () => {
    // s03 has 电子印章 five times in its body only.
    const e = await ids('电子印章');
    assert.deepEqual(e.slice(0, 3).sort(), ['s01', 's02', 's32']);
    assert.equal(e[3], 's03');
    const w = await ids('专网');
    assert.deepEqual(w.slice(0, 2).sort(), ['s05', 's06']);
    assert.equal(w[2], 's08');
    // The issuer (weight B) ranks above a mention in another unit's body (C).
    assert.equal((await ids('财政局')).at(-1), 's01');
  });

  test('hits carry the title highlights and a snippet around the first hit in the body', async () => {
    const [s01] = (await hits('电子印章')).filter((h) => h.documentId === 's01');
    assert.ok(s01);
    assert.deepEqual(s01.titleHighlights, [{ start: 8, end: 12 }]);
    assert.equal(s01.title.slice(8, 12), '电子印章');
    assert.equal(s01.docNumber, '阜政办〔2026〕1号');
    assert.equal(s01.issuerName, '阜阳市人民政府办公室');
    assert.equal(s01.status, 'sent');
    const s03 = (await hits('电子印章')).find((h) => h.documentId === 's03')!;
    assert.deepEqual(s03.titleHighlights, []);
    // 30 characters before the first hit, 100 in all, line breaks and indents folded.
    assert.equal(s03.snippet, '…教育主管部门，市直各学校： 各学校要按照全市统一部署使用电子印章。电子印章的申领由学校办公室统一办理；电子印章须由专人保管；加盖电子印章的公文与纸质公文具有同等效力；遗失电子印章介质的，应当立即报…');
    assert.equal(s03.snippetHighlights.length, 5);
    for (const h of s03.snippetHighlights) assert.equal(s03.snippet.slice(h.start, h.end), '电子印章');
    // A title-only hit shows the body's beginning; a hit deep in a long body is cut around it.
    const s35 = (await hits('阜政办〔2026〕12号'))[0]!;
    assert.equal(s35.snippet, '各县区人民政府，市直各单位： 经清理，市政府决定废止规章三件，修改规章五件，其余继续有效。');
    assert.deepEqual(s35.snippetHighlights, []);
    // The 发文字号 (weight A) ranks above a citation in a body.
    const [s35number, s30] = (await hits('12号')) as [SearchHit, SearchHit];
    assert.equal(s35number.documentId, 's35');
    assert.equal(s30.documentId, 's30');
    assert.equal(s30.snippet.slice(s30.snippetHighlights[0]!.start, s30.snippetHighlights[0]!.end), '12号');
    assert.deepEqual(s35number.snippetHighlights, []);
  });

  test('the visibility filter: a unit sees what it issued or was sent, drafts only its own', async () => {
    assert.deepEqual(await idSet('电子印章', 'hlth'), ['s01']);
    assert.deepEqual(await idSet('电子印章', 'fin'), ['s01', 's02']);
    assert.deepEqual(await idSet('电子印章', 'city-office'), ['s01', 's02', 's03', 's32']);
    assert.deepEqual(await idSet('专网', 'edu'), ['s05', 's08']);
    assert.deepEqual(await idSet('函', 'hlth'), ['s19']);
  });

  test('pages of one hit give the same hits in the same order', async () => {
    for (const query of ['财政局', '电子印章', '防汛']) {
      assert.deepEqual((await hits(query, undefined, 1)).map((h) => h.documentId), await ids(query));
    }
  });

  test('queries without a searchable character, too long, or with a foreign cursor are refused', async () => {
    const refused = (e: unknown) => e instanceof Refusal && e.code === 'VALIDATION_FAILED';
    await assert.rejects(searchDocuments(pool, { query: '　，。 ', first: 10 }), refused);
    await assert.rejects(searchDocuments(pool, { query: '电'.repeat(101), first: 10 }), refused);
    await assert.rejects(searchDocuments(pool, { query: '电子', first: 101 }), refused);
    await assert.rejects(searchDocuments(pool, { query: '电子', first: 10, after: 'eyJ4Ijox' }), refused);
    const page = await searchDocuments(pool, { query: '财政局', first: 1 });
    await assert.rejects(searchDocuments(pool, { query: '防汛', first: 1, after: page.endCursor }), refused);
    await assert.rejects(searchDocuments(pool, { query: '财政局', visibleToUnitId: 'fin', first: 1, after: page.endCursor }), refused);
  });

  test('a recall withdraws the document from its recipients', async () => {
    assert.deepEqual(await idSet('一网通办', 'edu'), ['s26']);
    await city.run(people.hlth.clerk, 'RecallDocument', { documentId: 's26', reason: '内容需要调整' });
    await ledger.settle();
    await runner.catchUp();
    assert.deepEqual(await idSet('一网通办', 'edu'), []);
    assert.deepEqual(await idSet('一网通办', 'city-office'), []);
    assert.deepEqual(await idSet('一网通办', 'hlth'), ['s26']);
  });

  test('a revised draft is re-indexed: the old text no longer matches, the new one does', async () => {
    assert.deepEqual(await idSet('试点'), ['s33']);
    await city.run(people.edu.clerk, 'ReviseDraft', {
      documentId: 's33',
      title: '关于全面推行课后托管服务的通知',
      body: '　　各县区教育局：\n　　为落实“双减”要求，决定在全市学校全面推行课后托管服务。',
    });
    await runner.catchUp();
    assert.deepEqual(await idSet('试点'), []);
    const [hit] = await hits('课后托管');
    assert.equal(hit?.documentId, 's33');
    assert.deepEqual(hit?.titleHighlights, [{ start: 6, end: 10 }]);
  });

  test("a body's tsvector holds exactly its lexemes: words whole, bigrams, astral Han, no separator or quote", async () => {
    // The lexemes travel space-separated and unquoted (array_to_tsvector on the server): a quote,
    // a backslash or a no-break space in the body must split runs, never end up in a lexeme.
    const body = "SM3算法𠀀〇，O'Brien\\路径 Café\u00a0ＡＢ";
    await city.run(people.fin.clerk, 'DraftDocument', { documentId: 'lexemes-1', title: '关于词元的测试稿', docType: '通知', body, mainRecipients: ['city-office'], docNumberPrefix: '阜财' });
    await runner.catchUp();
    const { rows } = await pool.query<{ lexemes: string[] }>(`SELECT tsvector_to_array(body_tsv) AS lexemes FROM search_bodies WHERE document_id = 'lexemes-1'`);
    assert.deepEqual(rows[0]!.lexemes.sort(), ['sm3', '算法', '法𠀀', '𠀀〇', '〇', 'o', 'brien', '路径', '径', 'café', 'ab'].sort());
    assert.deepEqual(await idSet('Brien路径'), ['lexemes-1']);
  });

  test("a renamed unit's documents are found by its new name and still by the old one", async () => {
    const edu = ['s03', 's07', 's11', 's15', 's20', 's28', 's33'];
    assert.deepEqual(await idSet('教育体育局'), []);
    await city.run(city.admin, 'RenameUnit', { unitId: 'edu', name: '阜阳市教育体育局' });
    await runner.catchUp();
    assert.deepEqual(await idSet('教育体育局'), edu);
    assert.deepEqual(await idSet('阜阳市教育局'), edu);
    assert.equal((await hits('教育体育局'))[0]!.issuerName, '阜阳市教育体育局');
  });

  test('long bodies: a term deep in a long body, and past the tsvector size budget, is still found', async () => {
    const paragraph = '　　各单位要认真贯彻落实市委、市政府决策部署，坚持问题导向，压实工作责任，确保各项任务落到实处。\n';
    const repeated = `${paragraph.repeat(Math.ceil(60_000 / paragraph.length))}　　鼓励开展量子通信应用。`;
    // Characters of CJK Extension A drawn at random: far more distinct bigrams than a tsvector holds.
    let seed = 7;
    const random = Array.from({ length: 150_000 }, () => {
      seed = (seed * 48271) % 2147483647;
      return String.fromCodePoint(0x3400 + (seed % 6592));
    }).join('');
    const p = people.fin;
    for (const [id, body] of [['long-1', repeated], ['long-2', `${random}　　关于量子密钥分发的说明。`]] as const) {
      await city.run(p.clerk, 'DraftDocument', { documentId: id, title: '关于长篇正文的测试稿', docType: '通知', body, mainRecipients: ['city-office'], docNumberPrefix: '阜财' });
    }
    await runner.catchUp();
    const { rows } = await pool.query<{ document_id: string; complete: boolean }>(
      `SELECT document_id, complete FROM search_bodies WHERE document_id LIKE 'long-%' ORDER BY document_id`,
    );
    assert.deepEqual(rows, [
      { document_id: 'long-1', complete: true },
      { document_id: 'long-2', complete: false },
    ]);
    assert.deepEqual(await idSet('量子通信'), ['long-1']);
    assert.deepEqual(await idSet('量子密钥分发'), ['long-2']);
    assert.deepEqual(await idSet('量子'), ['long-1', 'long-2']);
    const [hit] = await hits('量子密钥分发');
    assert.ok(hit!.snippet.endsWith('　关于量子密钥分发的说明。'.slice(1)), hit!.snippet.slice(-40));
  });

  test('a rebuild equals the incremental build, and batches of 1 equal batches of 1000', async () => {
    const incremental = await dump(pool);
    assert.equal(incremental.documents.length, fixture.length + 3);
    await runner.rebuild();
    assert.deepEqual(await dump(pool), incremental);
    const one = new ProjectionRunner(pool, ledger.store, [searchProjection], { batchSize: 1 });
    await one.rebuild();
    assert.deepEqual(await dump(pool), incremental);
    assert.deepEqual(await idSet('电子印章'), expected['电子印章']);
  });
});
