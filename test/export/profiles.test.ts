import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { loadProfile, parseProfile, profileNames, ProfileError } from '../../archive-formats/profiles/index.ts';
import { checkPackage } from '../../src/export/check/check-package.ts';
import { exportDossier, exportRenderer } from '../../src/export/export-dossier.ts';
import { text, XmlContentError } from '../../src/export/xml.ts';
import { FixtureClock, seedDossierCity } from '../support/dossier-fixture.ts';
import { cmdId, createTestLedger } from '../support/ledger.ts';
import { readPackage } from '../support/package-files.ts';

const work = await mkdtemp(join(tmpdir(), 'gongwen-profile-'));
after(() => rm(work, { recursive: true, force: true }));

test('the shipped profiles validate; a bad one is refused with the field named', () => {
  assert.deepEqual(profileNames(), ['county-bureau', 'default']);
  for (const n of profileNames()) assert.equal(loadProfile(n).profile.name, n);
  const bad = (over: Record<string, unknown>) => () => parseProfile(JSON.stringify({ name: 'x', description: '测试', ...over }), 'x.json');
  assert.throws(bad({ folders: { records: '../escape' } }), (e: Error) => e instanceof ProfileError && /folders\.records/.test(e.message));
  assert.throws(bad({ catalogue: { columns: [{ field: 'title', header: '题 名' }] } }), /catalogue\.columns/);
  assert.throws(bad({ archivalCodeForm: 'DA/T 99' }), /archivalCodeForm/);
  assert.throws(bad({ digests: ['crc32'] }), /digests/);
});

test('text that XML cannot carry is refused, markup is escaped', () => {
  assert.equal(text('<a href="x">&</a>'), '&lt;a href="x"&gt;&amp;&lt;/a&gt;');
  assert.throws(() => text('标题\u0001', '题名'), (e: Error) => e instanceof XmlContentError && /题名/.test(e.message));
  assert.throws(() => text('\ud800孤', '题名'), XmlContentError);
});

test('the county bureau profile: DA/T 13-2022 codes from the fonds configuration, its columns, GB18030, SM3 only, its folders', async () => {
  const clock = new FixtureClock();
  const ledger = await createTestLedger({ now: clock.now, env: { GONGWEN_ARCHIVAL_CODE_FORMS: '{"*":"DA/T 22-2015","0001":"DA/T 13-2022"}' } });
  const f = await seedDossierCity(ledger, clock);
  await f.fileOne('doc-1', { pages: 2 });
  await f.fileOne('doc-2', { title: '关于“一网通办”的通知, 含逗号' });
  await ledger.settle();
  const closed = await ledger.commands.execute(f.archivist, 'CloseDossier', { commandId: cmdId(), fonds: '0001', year: 2025 });
  assert.equal((closed.events[0]!.data as { items: { archivalCode: string }[] }).items[0]!.archivalCode, '0001-WS·2025·D30-0001');
  const deps = { store: ledger.store, pool: ledger.db.pool, key: ledger.key, render: exportRenderer(ledger.renderer, ledger.config) };
  const r = await exportDossier(deps, { fonds: '0001', year: 2025, profile: 'county-bureau', outFile: join(work, 'county.zip') });
  const files = await readPackage(r.file);
  const paths = [...files.keys()];
  assert.ok(paths.includes('README.txt') && paths.includes('catalogue.xml') && paths.includes('manifest-sm3.txt'));
  assert.ok(!paths.some((p) => p.startsWith('manifest-md5') || p.endsWith('.xlsx')));
  assert.ok(paths.some((p) => p.startsWith('data/2025/30y/0001-WS·2025·D30-0001/')));
  const csv = iconv.decode(files.get('meta/归档文件目录/2025-定期30年-GB18030.csv')!, 'gb18030');
  const lines = csv.replace(/^\ufeff/, '').split('\r\n');
  assert.equal(lines[0], '档号,件号,文件题名,责任者,形成日期,页数');
  assert.equal(lines[1], '0001-WS·2025·D30-0001,1,关于做好2026年电子公文交换工作的通知,阜阳市人民政府办公室,2025-03-02,2');
  assert.equal(lines[2], '0001-WS·2025·D30-0002,2,"关于“一网通办”的通知, 含逗号",阜阳市人民政府办公室,2025-03-02,');
  const report = await checkPackage(r.file);
  assert.deepEqual(report.findings, []);
  // The default profile expects DA/T 22-2015: this dossier's codes are frozen otherwise.
  await assert.rejects(exportDossier(deps, { fonds: '0001', year: 2025, profile: 'default', outFile: join(work, 'default.zip') }), /DA\/T 22-2015/);
});
