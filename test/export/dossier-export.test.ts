import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { createCatalogueProjection } from '../../projections/catalogue/index.ts';
import { verifyEepSignature } from '../../archive-formats/dat48-eep/verify.ts';
import { checkPackage } from '../../src/export/check/check-package.ts';
import { exportDossier, exportRenderer } from '../../src/export/export-dossier.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { streams } from '../../src/domain/streams.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { storeRendering } from '../../src/render/rendering-contents.ts';
import { PDFDocument } from 'pdf-lib';
import { FixtureClock, HOSTILE_TITLE, seedDossierCity } from '../support/dossier-fixture.ts';
import { cmdId, createTestLedger, refusal, SYSTEM } from '../support/ledger.ts';
import { readPackage, writeFolder } from '../support/package-files.ts';
import { sampleFile } from '../support/sample-files.ts';

/**
 * The yearly export end to end on a real ledger: close, export, validate every EEP against the
 * DA/T 48 XSD (../shared/reference, beside the repository as CI checks it out), verify its
 * signature, check the package (四性), tamper with it, and re-export after the template changed.
 */
const XSD = new URL('../../../shared/reference/dat48-eep.xsd', import.meta.url);
const xsd = await readFile(XSD);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

const work = await mkdtemp(join(tmpdir(), 'gongwen-export-'));
after(() => rm(work, { recursive: true, force: true }));

describe('yearly dossier export of fonds 0001', async () => {
  const clock = new FixtureClock();
  const ledger = await createTestLedger({ now: clock.now, env: { GONGWEN_EEP_XSD: XSD.pathname } });
  const f = await seedDossierCity(ledger, clock);
  const pdf = sampleFile('a.pdf', 'test attachment');
  await f.fileOne('doc-1', { attachments: [{ name: '../../etc/passwd.pdf', mediaType: 'application/pdf', content: pdf }, { name: '..\\..\\boot.ini', mediaType: 'application/pdf', content: sampleFile('b.pdf', 'b') }] });
  await f.fileOne('doc-2', { title: HOSTILE_TITLE, retention: 'Y', pages: 3, eduFiles: true });
  await f.fileOne('doc-3', { title: `关于${'长'.repeat(480)}的通知`, pages: 9, attachments: [{ name: '/abs/path/表.xlsx', mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: sampleFile('表.xlsx', 'sheet') }] });
  // doc-3's rendering, recorded as the recorder does on its sealing (`gongwen serve` runs it; settle does not).
  const sealed3 = (await ledger.store.readStream(streams.document('doc-3'))).events.find((e) => e.type === 'DocumentSealed')!;
  await ledger.renderings.reactor.handle(sealed3);
  const rendered3 = (await ledger.store.readStream(streams.rendering('doc-3'))).events[0]!.data as { sm3: string; pageCount: number };
  await ledger.settle();
  const deps = { store: ledger.store, pool: ledger.db.pool, key: ledger.key, xsdPath: XSD.pathname, render: exportRenderer(ledger.renderer, ledger.config) };
  const exportTo = (name: string, profile = 'default') => exportDossier(deps, { fonds: '0001', year: 2025, profile, outFile: join(work, name) });

  const notClosed = await refusal(exportTo('open.zip'));
  test('a year not yet closed is refused, naming the command that closes it', () => {
    const r = notClosed;
    assert.equal(r.code, 'INVALID_STATE');
    assert.match(r.message, /gongwen close-dossier --year 2025 --fonds 0001/);
    assert.equal(existsSync(join(work, 'open.zip')), false);
  });

  const closed = await ledger.commands.execute(f.archivist, 'CloseDossier', { commandId: cmdId(), fonds: '0001', year: 2025 });
  const first = await exportTo('first.zip');
  const files = await readPackage(first.file);
  const eeps = [...files.entries()].filter(([p]) => p.endsWith('.eep'));

  test('every EEP validates against the DA/T 48 XSD', async () => {
    assert.equal(eeps.length, 3);
    const result = await validateXML({ xml: eeps.map(([p, b], i) => ({ fileName: `e${i}.xml`, contents: b })), schema: { fileName: 'eep.xsd', contents: xsd } });
    assert.deepEqual(result.errors, []);
    assert.ok(result.valid);
  });

  test('the EEP carries the frozen metadata, every file in base64, and the business acts with their ledger hashes', () => {
    const items = (closed.events[0]!.data as { items: { documentId: string; archivalCode: string; itemNo: number; title: string }[] }).items;
    const doc2 = items.find((i) => i.documentId === 'doc-2')!;
    const [, bytes] = eeps.find(([p]) => p.includes(doc2.archivalCode))!;
    const root = parser.parse(bytes)['电子文件封装包'];
    const entity = root['被签名对象']['封装内容']['文件实体块']['文件实体'];
    assert.equal(entity['档号']['#text'], doc2.archivalCode);
    assert.equal(entity['档号']['室编件号'], String(doc2.itemNo));
    assert.equal(entity['内容描述']['题名'], HOSTILE_TITLE, 'the hostile title comes back exactly');
    assert.equal(entity['形式特征']['页数'], '3');
    const acts = root['被签名对象']['封装内容']['业务实体块']['业务实体'].map((b: Record<string, string>) => b['业务行为']);
    for (const act of ['拟稿', '签发', '盖章', '核发', '签收', '归档']) assert.ok(acts.includes(act), `业务实体 lacks ${act}: ${acts.join(',')}`);
    assert.match(root['被签名对象']['封装内容']['业务实体块']['业务实体'][0]['行为依据'], /SM3 [0-9a-f]{64}/);
    const doc1 = items.find((i) => i.documentId === 'doc-1')!;
    const [path1, b1] = eeps.find(([p]) => p.includes(doc1.archivalCode))!;
    const docs = parser.parse(b1)['电子文件封装包']['被签名对象']['封装内容']['文件实体块']['文件实体']['文件数据']['文档'];
    const names = docs.map((d: any) => d['文档数据']['编码']['电子属性']['计算机文件名']);
    assert.deepEqual(names, ['正文.txt', '附件1.pdf', '附件2.pdf', '印章记录.json'], 'user-given names never become paths');
    assert.deepEqual(Buffer.from(docs[1]['文档数据']['编码']['编码数据']['#text'], 'base64'), pdf);
    assert.equal(docs[1]['题名'], '../../etc/passwd.pdf', 'the original name is kept as the title, escaped');
    assert.deepEqual(files.get(path1.replace(/[^/]+$/, '附件1.pdf')), pdf);
    for (const p of files.keys()) assert.ok(!p.includes('..') && !p.startsWith('/') && !p.includes('\\'), p);
  });

  test('the recorded rendering is the 主文档, the very file the ledger recorded; its page count is the 页数', async () => {
    const items = (closed.events[0]!.data as { items: { documentId: string; archivalCode: string; pages: number | null }[] }).items;
    const doc3 = items.find((i) => i.documentId === 'doc-3')!;
    assert.equal(doc3.pages, rendered3.pageCount, 'frozen 页数 is the rendering\'s, not the 9 the filing typed in');
    const [path3, b3] = eeps.find(([p]) => p.includes(doc3.archivalCode))!;
    const entity = parser.parse(b3)['电子文件封装包']['被签名对象']['封装内容']['文件实体块']['文件实体'];
    assert.equal(entity['形式特征']['页数'], String(rendered3.pageCount));
    const docs = entity['文件数据']['文档'];
    assert.deepEqual(docs.map((d: any) => [d['文档主从声明'], d['文档数据']['编码']['电子属性']['计算机文件名']]), [
      ['主文档', '版式文件.pdf'],
      ['附属文档', '正文.txt'],
      ['附属文档', '附件1.xlsx'],
      ['附属文档', '印章记录.json'],
    ]);
    const pdf = files.get(path3.replace(/[^/]+$/, '版式文件.pdf'))!;
    assert.equal(sm3Hex(pdf), rendered3.sm3);
    assert.match(pdf.subarray(0, 8).toString('latin1'), /^%PDF-1\.\d/);
    // doc-1 has no rendering recorded: its 正文 stays the 主文档.
    const doc1 = eeps.find(([p]) => p.includes(items.find((i) => i.documentId === 'doc-1')!.archivalCode))![1];
    const first1 = parser.parse(doc1)['电子文件封装包']['被签名对象']['封装内容']['文件实体块']['文件实体']['文件数据']['文档'][0];
    assert.equal(first1['文档主从声明'], '主文档');
    assert.equal(first1['文档数据']['编码']['电子属性']['计算机文件名'], '正文.txt');
  });

  test('without its stored bytes the rendering is made again and must match the record, else the export is refused', async () => {
    await ledger.db.pool.query('DELETE FROM rendering_contents WHERE sm3 = $1', [rendered3.sm3]);
    try {
      const again = await exportTo('rerendered.zip');
      assert.deepEqual(await readFile(again.file), await readFile(first.file), 'a deterministic re-render gives the same package');
      const other = exportDossier({ ...deps, render: async (input) => ({ pdf: Buffer.from(`%PDF-1.7 ${input.title}`), sm3: 'f'.repeat(64) }) }, { fonds: '0001', year: 2025, profile: 'default', outFile: join(work, 'mismatch.zip') });
      const r = await refusal(other);
      assert.equal(r.code, 'INVALID_STATE');
      assert.match(r.message, /版式文件.*不一致/);
      assert.equal(existsSync(join(work, 'mismatch.zip')), false, 'nothing written');
    } finally {
      await storeRendering(ledger.db.pool, { pdf: files.get([...files.keys()].find((p) => p.endsWith('/版式文件.pdf'))!)!, sm3: rendered3.sm3 });
    }
  });

  test('the self-check opens the 主文档: a PDF that is not PDF/A, does not parse, or has other pages than its 页数 fails', async () => {
    const [eepPath3, eep3] = eeps.find(([p]) => files.has(p.replace(/[^/]+$/, '版式文件.pdf')))!;
    const item = /([^/]+)\.eep$/.exec(eepPath3)![1]!;
    const withPdf = async (name: string, pdf: Buffer) => {
      const real = files.get(eepPath3.replace(/[^/]+$/, '版式文件.pdf'))!;
      const m = new Map([...files].map(([k, v]) => [k, Buffer.from(v)]));
      m.set(eepPath3, Buffer.from(eep3.toString('utf8').replace(real.toString('base64'), pdf.toString('base64'))));
      return checkPackage(await writeFolder(join(work, name), m), { xsd });
    };
    const plain = await PDFDocument.create();
    plain.addPage();
    const notA = await withPdf('not-pdfa', Buffer.from(await plain.save()));
    assert.ok(notA.findings.some((x) => x.code === 'FORMAT_NOT_ALLOWED' && x.item === item && /PDF\/A/.test(x.message)), JSON.stringify(notA.findings));
    const broken = await withPdf('broken-pdf', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'));
    assert.ok(broken.findings.some((x) => x.code === 'UNREADABLE' && x.item === item), JSON.stringify(broken.findings));
    const longer = await PDFDocument.load(files.get(eepPath3.replace(/[^/]+$/, '版式文件.pdf'))!, { updateMetadata: false });
    longer.addPage();
    const pages = await withPdf('more-pages', Buffer.from(await longer.save({ useObjectStreams: false })));
    assert.ok(pages.findings.some((x) => x.code === 'FILE_PROPERTY_MISMATCH' && x.item === item && /页数/.test(x.message)), JSON.stringify(pages.findings));
  });

  test('the signature verifies from the file alone, and one changed byte of 被签名对象 makes it fail', () => {
    const [, bytes] = eeps[0]!;
    const ok = verifyEepSignature(bytes, [ledger.key.publicKeyHex]);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.keyId, ledger.key.keyId);
    const tampered = Buffer.from(bytes);
    const at = tampered.indexOf(Buffer.from('<电子文件号>')) + Buffer.byteLength('<电子文件号>');
    tampered[at] = tampered[at]! ^ 0x01;
    const bad = verifyEepSignature(tampered);
    assert.equal(bad.valid, false);
    assert.match(bad.problems.join(' '), /电子签名验证未通过/);
  });

  test('the self-check passes on the package as exported', async () => {
    const report = await checkPackage(first.file, { trustedKeys: [ledger.key.publicKeyHex] });
    assert.deepEqual(report.findings, []);
    assert.equal(report.counts.items, 3);
  });

  describe('the self-check fails, naming the item', async () => {
    const code = (p: string) => /([^/]+)\.eep$/.exec(p)![1]!;
    const [eepPath, eepBytes] = eeps[0]!;
    const [otherPath] = eeps[1]!;
    const variant = async (name: string, change: (m: Map<string, Buffer>) => void) => {
      const m = new Map([...files].map(([k, v]) => [k, Buffer.from(v)]));
      change(m);
      return checkPackage(await writeFolder(join(work, name), m), { xsd });
    };
    test('one flipped byte of a content file', async () => {
      const body = eepPath.replace(/[^/]+$/, '正文.txt');
      const r = await variant('flipped', (m) => { const b = m.get(body)!; b[0] = b[0]! ^ 0x20; });
      assert.equal(r.passed, false);
      assert.ok(r.findings.some((x) => x.code === 'DIGEST_MISMATCH' && x.item === body));
      assert.ok(r.findings.some((x) => x.code === 'FILE_PROPERTY_MISMATCH' && x.item === code(eepPath)));
    });
    test('a deleted file', async () => {
      const r = await variant('deleted', (m) => m.delete(eepPath.replace(/[^/]+$/, '印章记录.json')));
      assert.ok(r.findings.some((x) => x.code === 'FILE_MISSING' && x.item.endsWith('印章记录.json')));
      assert.ok(r.findings.some((x) => x.code === 'CONTENT_FILE_MISSING' && x.item === code(eepPath)));
    });
    test('a duplicated 档号', async () => {
      const r = await variant('duplicate', (m) => {
        const other = m.get(otherPath)!.toString('utf8');
        const theirs = /<档号>([^<]+)</.exec(other)![1]!;
        m.set(eepPath, Buffer.from(eepBytes.toString('utf8').replace(/<档号>[^<]+</, `<档号>${theirs}<`)));
      });
      assert.ok(r.findings.some((x) => x.code === 'ARCHIVAL_CODE_DUPLICATE'), JSON.stringify(r.findings.map((x) => x.code)));
      assert.ok(r.findings.some((x) => x.code === 'SIGNATURE_INVALID'));
    });
    test('a removed 件号', async () => {
      const r = await variant('removed-item-no', (m) => m.set(eepPath, Buffer.from(eepBytes.toString('utf8').replace(/<室编件号>\d+<\/室编件号>/, ''))));
      assert.ok(r.findings.some((x) => x.code === 'METADATA_MISSING' && x.item === code(eepPath) && /室编件号/.test(x.message)));
      assert.ok(r.findings.some((x) => x.code === 'XSD_INVALID' && x.item === eepPath));
    });
    test('a whole item taken out leaves a gap in the 件号', async () => {
      const d30 = eeps.map(([p]) => p).filter((p) => p.includes('D30-0001'))[0]!;
      const r = await variant('gap', (m) => {
        for (const k of [...m.keys()]) if (k.startsWith(d30.replace(/[^/]+$/, ''))) m.delete(k);
      });
      assert.ok(r.findings.some((x) => x.code === 'ITEM_NUMBER_GAP' && /件号 1/.test(x.item)));
      assert.ok(r.findings.some((x) => x.code === 'REGISTER_MISMATCH'));
      assert.ok(r.findings.some((x) => x.code === 'ROW_WITHOUT_CONTENT'));
    });
  });

  test('closing freezes: after a template change and a rebuild, the re-export is byte-identical', async () => {
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [createCatalogueProjection({ archivalCode: 'DA/T 13-2022' })]);
    await runner.prepare();
    await runner.rebuild(['catalogue']);
    const { rows } = await ledger.db.pool.query("SELECT archival_code FROM catalogue_items WHERE fonds_key = '0001' ORDER BY archival_code");
    assert.ok(rows.every((r) => r.archival_code.includes('2025·')), 'the catalogue was renumbered under DA/T 13-2022');
    const again = await exportTo('again.zip');
    assert.equal(again.packageSha256, first.packageSha256);
    assert.deepEqual(await readFile(again.file), await readFile(first.file));
  });

  test('a late filing goes into a supplementary batch with the next number; batch 1 is untouched', async () => {
    await f.fileOne('doc-4');
    await ledger.settle();
    const batch2 = await ledger.commands.execute(SYSTEM, 'CloseDossier', { commandId: cmdId(), fonds: '0001', year: 2025 });
    const d = batch2.events[0]!.data as { batch: number; items: { archivalCode: string; itemNo: number }[]; archivalCodeTemplate: { id: string } };
    assert.equal(d.batch, 2);
    assert.equal(d.archivalCodeTemplate.id, 'DA/T 22-2015', 'batch 2 keeps the form batch 1 was closed under');
    assert.deepEqual(d.items.map((i) => [i.itemNo, i.archivalCode]), [[3, '0001-WS·2025-D30-0003']]);
    const third = await exportTo('third.zip');
    const now = await readPackage(third.file);
    for (const [p, b] of eeps) assert.deepEqual(now.get(p), b, `${p} changed after batch 2`);
    assert.equal((await checkPackage(third.file)).passed, true);
  });

  test('the deliberately different profile: its own 档号 form is required, columns, encoding and folders follow it', async () => {
    const r = await exportTo('county.zip', 'county-bureau').catch((e: Error) => e);
    assert.ok(r instanceof Error && !(r instanceof Refusal));
    assert.match((r as Error).message, /DA\/T 13-2022.*DA\/T 22-2015/);
  });
});
