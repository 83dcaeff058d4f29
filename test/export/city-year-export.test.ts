import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { fondsOfYear } from '../../projections/catalogue/dossier-items.ts';
import { RETENTION_WORDS } from '../../archive-formats/dat48-eep/build.ts';
import { fold } from '../../src/domain/decider.ts';
import { documentDecider, type DocumentEvent } from '../../src/domain/document/index.ts';
import { streams } from '../../src/domain/streams.ts';
import { checkPackage } from '../../src/export/check/check-package.ts';
import { exportDossier, exportRenderer } from '../../src/export/export-dossier.ts';
import { loadFrozenDossier } from '../../src/export/dossier-source.ts';
import { createCityClock, generateCityYear } from '../support/city-year.ts';
import { cmdId, createTestLedger, SYSTEM } from '../support/ledger.ts';
import { readPackage } from '../support/package-files.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';

/**
 * A generated year of the city (hundreds of filings at both ends, attachments with real bytes):
 * every fonds is closed and exported; each package is re-read with fast-xml-parser and every EEP's
 * metadata and 正文 compared with the ledger; the self-check passes on every package.
 */
const XSD = new URL('../../../shared/reference/dat48-eep.xsd', import.meta.url);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });
const work = await mkdtemp(join(tmpdir(), 'gongwen-year-'));
after(() => rm(work, { recursive: true, force: true }));

test('a generated year exports, re-parses equal to the ledger, and passes the self-check', async () => {
  const clock = createCityClock();
  const ledger = await createTestLedger({ now: clock.now });
  await generateCityYear(ledger, { clock, seed: 7, documents: 110, attachmentBytes: true });
  await ledger.settle();
  const xsd = await readFile(XSD);
  const fonds = await fondsOfYear(ledger.db.pool, 2025);
  let items = 0;
  let rendered = 0;
  for (const f of fonds) {
    // The generated year closed one fonds itself (its archivist re-arranged an item first); the rest close here.
    if (!(await ledger.store.readStream(streams.dossier(f, 2025))).events.some((e) => e.type === 'DossierClosed')) {
      await ledger.commands.execute(SYSTEM, 'CloseDossier', { commandId: cmdId(), fonds: f, year: 2025 });
    }
    const frozen = await loadFrozenDossier(ledger.store, f, 2025);
    const closed = { fondsCode: frozen.fondsCode, fondsName: frozen.fondsName, items: frozen.batches.flatMap((b) => b.items) };
    const result = await exportDossier({ store: ledger.store, pool: ledger.db.pool, key: ledger.key, render: exportRenderer(ledger.renderer, ledger.config) }, { fonds: f, year: 2025, profile: 'default', outFile: join(work, `${f.replace(':', '_')}.zip`) });
    assert.equal(result.items, closed.items.length);
    const files = await readPackage(result.file);
    for (const item of closed.items) {
      const eepPath = [...files.keys()].find((p) => p.endsWith(`/${item.archivalCode}.eep`));
      assert.ok(eepPath, `no EEP for ${item.archivalCode}`);
      const entity = parser.parse(files.get(eepPath)!)['电子文件封装包']['被签名对象']['封装内容']['文件实体块']['文件实体'];
      const code = entity['档号'];
      const content = entity['内容描述'];
      assert.deepEqual(
        {
          archivalCode: code['#text'],
          fonds: code['全宗号'] ?? null,
          year: code['年度'],
          retention: code['保管期限'],
          itemNo: code['室编件号'],
          title: content['题名'],
          docNumber: content['文件编号'] ?? '',
          responsible: content['责任者'],
          date: content['日期'],
          classification: content['密级'],
          pages: entity['形式特征']['页数'] ?? null,
          remarks: entity['附注'] ?? '',
          fondsName: entity['来源']['立档单位名称'],
        },
        {
          archivalCode: item.archivalCode,
          fonds: closed.fondsCode,
          year: '2025',
          retention: RETENTION_WORDS[item.retention],
          itemNo: String(item.itemNo),
          title: item.archivistTitle ? `[${item.title}]` : item.title,
          docNumber: item.docNumber,
          responsible: item.responsible,
          date: item.date,
          classification: item.classification,
          pages: item.pages === null ? null : String(item.pages),
          remarks: item.remarks,
          fondsName: closed.fondsName,
        },
        item.archivalCode,
      );
      const doc = fold(documentDecider, (await ledger.store.readStream(streams.document(item.documentId))).events as unknown as DocumentEvent[]);
      assert.ok(doc.status !== 'none');
      assert.equal(files.get(eepPath.replace(/[^/]+$/, '正文.txt'))!.toString('utf8'), doc.content.body);
      const attachments = doc.content.attachments.map((a, i) => files.get(eepPath.replace(/[^/]+$/, `附件${i + 1}.${a.name.split('.').pop()}`))?.length);
      assert.deepEqual(attachments, doc.content.attachments.map((a) => a.size), `${item.archivalCode}: attachments`);
      // The year's recorded renderings: the PDF in the package is the recorded file, its pages the 页数.
      const recorded = (await ledger.store.readStream(streams.rendering(item.documentId))).events.at(-1)?.data as { sm3: string; pageCount: number } | undefined;
      const pdf = files.get(eepPath.replace(/[^/]+$/, '版式文件.pdf'));
      assert.equal(pdf && sm3Hex(pdf), recorded?.sm3, `${item.archivalCode}: rendering`);
      if (recorded) {
        assert.equal(item.pages, recorded.pageCount);
        rendered++;
      }
    }
    const report = await checkPackage(result.file, { trustedKeys: [ledger.key.publicKeyHex], xsd });
    assert.deepEqual(report.findings, [], `${f}: ${report.findings.slice(0, 3).map((x) => x.message).join('; ')}`);
    items += closed.items.length;
  }
  assert.ok(items >= 200, `only ${items} filed items in the year`);
  assert.ok(rendered >= 1, 'no item of the year carried its rendering');
  // The generated year's own closing: an item re-arranged, its exports written and refused.
  const types = (await ledger.db.pool.query<{ type: string }>("SELECT DISTINCT type FROM events WHERE stream_id LIKE 'dossier-%'")).rows.map((r) => r.type).sort();
  assert.deepEqual(types, ['DossierClosed', 'DossierExportFailed', 'DossierExportRequested', 'DossierExported', 'DossierItemArranged']);
});
