import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage } from '../../src/export/check/check-package.ts';
import { formatMismatch } from '../../src/export/check/content-format.ts';
import { exportDossier, exportRenderer } from '../../src/export/export-dossier.ts';
import { FixtureClock, seedDossierCity } from '../support/dossier-fixture.ts';
import { cmdId, createTestLedger } from '../support/ledger.ts';
import { readPackage, writeFolder } from '../support/package-files.ts';
import { sampleFile, samplePng, storedZip } from '../support/sample-files.ts';

/**
 * check-package reads what the files are, not only what they are called (content-format.ts): a
 * renamed file — an executable, a web page, a bare zip passed off as a PDF, an OFD or a spreadsheet —
 * is reported, naming the item, even when the ledger recorded it and every digest and signature of
 * the package is in order.
 */

const MZ = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]), Buffer.alloc(200)]);
const HTML = Buffer.from('<!doctype html><html><body><script>location="http://example.invalid"</script></body></html>');
const png = samplePng(1, 1);

describe('content checks by format', () => {
  test('files that are what they are called pass', async () => {
    for (const name of ['a.pdf', 'b.ofd', 'c.docx', 'd.xlsx', 'e.txt', 'f.csv']) assert.equal(await formatMismatch(name.split('.')[1]!, sampleFile(name, '样例', 2048)), null, name);
    assert.equal(await formatMismatch('png', png), null);
    assert.equal(await formatMismatch('jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 0xff, 0xd9])), null);
    assert.equal(await formatMismatch('tif', Buffer.from('II*\u0000rest', 'latin1')), null);
    assert.equal(await formatMismatch('doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])), null);
  });

  test('renamed, truncated or hollow files are named for what is wrong', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['pdf', MZ, /不是 PDF/],
      ['pdf', HTML, /不是 PDF/],
      ['pdf', sampleFile('a.pdf', 'x', 4096).subarray(0, 3000), /%%EOF/],
      ['ofd', storedZip([['Doc_0/Document.xml', '<a/>']]), /OFD\.xml/],
      ['ofd', sampleFile('a.pdf', 'x'), /不是 OFD/],
      ['docx', storedZip([['word/document.xml', '<a/>']]), /Content_Types/],
      ['xlsx', Buffer.from('PK\u0003\u0004 not really a zip', 'latin1'), /ZIP 目录无法读取|不是 XLSX/],
      ['png', HTML, /不是 PNG/],
      ['png', png.subarray(0, png.length - 12), /IEND/],
      ['jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), /EOI/],
      ['tiff', MZ, /不是 TIFF/],
      ['xls', sampleFile('a.xlsx', 'x'), /OLE2/],
      ['txt', MZ, /NUL/],
    ];
    for (const [extension, bytes, problem] of cases) assert.match((await formatMismatch(extension, bytes)) ?? 'passed', problem, `${extension}: ${bytes.subarray(0, 8).toString('hex')}`);
  });
});

const work = await mkdtemp(join(tmpdir(), 'gongwen-formats-'));
after(() => rm(work, { recursive: true, force: true }));

describe('a package whose attachments are not what their names say', async () => {
  const clock = new FixtureClock();
  const ledger = await createTestLedger({ now: clock.now });
  after(() => ledger.close());
  const f = await seedDossierCity(ledger, clock);
  // The ledger records the uploads as given (it does not judge formats): the archive check does.
  await f.fileOne('doc-1', {
    attachments: [
      { name: '工作方案.pdf', mediaType: 'application/pdf', content: sampleFile('工作方案.pdf', '方案', 3000) },
      { name: '通知全文.pdf', mediaType: 'application/pdf', content: HTML },
      { name: '分工表.ofd', mediaType: 'application/ofd', content: storedZip([['Doc_0/Document.xml', '<a/>']]) },
    ],
  });
  await f.fileOne('doc-2', { attachments: [{ name: '统计表.xlsx', mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: sampleFile('统计表.xlsx', '表', 1000) }] });
  await ledger.settle();
  await ledger.commands.execute(f.archivist, 'CloseDossier', { commandId: cmdId(), fonds: '0001', year: 2025 });
  const exported = await exportDossier(
    { store: ledger.store, pool: ledger.db.pool, key: ledger.key, render: exportRenderer(ledger.renderer, ledger.config) },
    { fonds: '0001', year: 2025, profile: 'default', outFile: join(work, 'package.zip') },
  );
  const report = await checkPackage(exported.file, { trustedKeys: [ledger.key.publicKeyHex] });
  const files = await readPackage(exported.file);
  const folderOf = (name: string) => [...files.keys()].find((p) => p.endsWith(name))!.replace(/[^/]+$/, '');
  const doc1Folder = folderOf('附件3.ofd');
  const doc1Code = /([^/]+)\/$/.exec(doc1Folder)![1]!;

  test('the web page named .pdf and the hollow .ofd are reported by path and by item; nothing else is wrong', () => {
    assert.equal(report.passed, false);
    const mismatches = report.findings.filter((x) => x.code === 'FORMAT_MISMATCH');
    assert.deepEqual(
      mismatches.map((x) => x.item).sort(),
      [`${doc1Folder}附件2.pdf`, `${doc1Folder}附件3.ofd`, doc1Code, doc1Code].sort(),
      JSON.stringify(report.findings),
    );
    assert.ok(mismatches.some((x) => x.item === doc1Code && /通知全文\.pdf|附件2\.pdf/.test(x.message) && /不是 PDF/.test(x.message)));
    assert.ok(mismatches.some((x) => x.item === doc1Code && /OFD\.xml/.test(x.message)));
    assert.deepEqual(report.findings.filter((x) => x.code !== 'FORMAT_MISMATCH'), [], 'digests, signatures and the rest are in order');
    assert.equal(report.aspects.usability.passed, false);
    assert.equal(report.aspects.authenticity.passed, true);
  });

  test('an executable renamed .pdf is reported as an executable, naming the item', async () => {
    const m = new Map([...files].map(([k, v]) => [k, Buffer.from(v)]));
    const folder = folderOf('附件1.xlsx');
    const code = /([^/]+)\/$/.exec(folder)![1]!;
    // Beside the EEP, and inside it in place of the spreadsheet (that breaks its signature too).
    m.set(`${folder}附件9.pdf`, MZ);
    const eepPath = `${folder}${code}.eep`;
    m.set(eepPath, Buffer.from(m.get(eepPath)!.toString('utf8').replace(files.get(`${folder}附件1.xlsx`)!.toString('base64'), MZ.toString('base64'))));
    const r = await checkPackage(await writeFolder(join(work, 'exe'), m));
    assert.ok(r.findings.some((x) => x.code === 'EXECUTABLE' && x.item === `${folder}附件9.pdf` && x.aspect === 'security'), JSON.stringify(r.findings));
    assert.ok(r.findings.some((x) => x.code === 'EXECUTABLE' && x.item === code && /附件1\.xlsx/.test(x.message)), JSON.stringify(r.findings));
    assert.ok(r.findings.some((x) => x.code === 'FORMAT_MISMATCH' && x.item === code && /附件1\.xlsx/.test(x.message)));
  });
});
