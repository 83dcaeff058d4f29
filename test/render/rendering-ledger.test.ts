import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { contentDisposition } from '../../src/api/downloads.ts';
import { streams } from '../../src/domain/streams.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { loadRenderInput, renderDocument, renderDocumentOfd, RENDERER_VERSION } from '../../src/render/index.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { pdfInfo, pdfWords } from './pdf-facts.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('the rendering in the ledger and over HTTP', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const plan = Buffer.from('%PDF-1.7 春节值班安排');
  const title = '关于做好2026年春节期间值班工作的通知';

  const draft = async (documentId: string) => {
    const d = await api.mutate('city-office-clerk', 'draftDocument', {
      documentId,
      title,
      docType: '通知',
      urgency: '特急',
      body: '　　为做好春节期间值班工作，现将有关事项通知如下。\n一、值班安排\n　　各单位要严格落实领导带班和24小时值班制度。',
      mainRecipients: ['edu'],
      ccRecipients: ['hlth'],
      docNumberPrefix: '阜政办',
      remarks: '此件公开发布',
      attachments: [{ name: '值班安排表.pdf', mediaType: 'application/pdf', contentBase64: plan.toString('base64') }],
    });
    assert.ok(d.result, JSON.stringify(d.errors));
  };
  const sealAndSend = async (documentId: string) => {
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId })).result);
    const sealed = await api.mutate('city-office-keeper', 'sealDocument', { documentId, sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
    assert.ok(sealed.result, JSON.stringify(sealed.errors));
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId })).result);
    await ledger.settle();
  };
  const download = async (userId: string | null, path: string) => {
    const headers: Record<string, string> = userId ? { authorization: `Bearer ${await api.tokenFor(userId)}` } : {};
    const res = await fetch(`${api.url}${path}`, { headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  await draft('r-1');
  await sealAndSend('r-1');

  test('sealing is followed by DocumentRendered: SM3, page count and size of the PDF, recorded once', async () => {
    assert.equal((await ledger.store.readStream(streams.rendering('r-1'))).revision, null, 'settle() does not render');
    assert.equal(await ledger.renderings.catchUp(), 1);
    const events = (await ledger.store.readStream(streams.rendering('r-1'))).events;
    assert.deepEqual(events.map((e) => e.type), ['DocumentRendered']);
    const recorded = events[0]!.data as Record<string, any>;
    const sealed = (await ledger.store.readStream(streams.document('r-1'))).events.find((e) => e.type === 'DocumentSealed')!;
    assert.equal(recorded.sealedEventId, sealed.eventId);
    assert.equal(recorded.contentDigest, (sealed.data as { contentDigest: string }).contentDigest);
    assert.equal(recorded.rendererVersion, RENDERER_VERSION);
    assert.equal(events[0]!.causationId, sealed.eventId);
    // A re-render from the events gives exactly the recorded bytes.
    const again = await renderDocument(await loadRenderInput(ledger.store, 'r-1'));
    assert.equal(recorded.sm3, again.sm3);
    assert.equal(recorded.sm3, sm3Hex(again.pdf));
    assert.equal(recorded.byteLength, again.pdf.length);
    assert.equal(recorded.pageCount, Number(/Pages:\s+(\d+)/.exec(await pdfInfo(again.pdf))![1]));
    assert.deepEqual(recorded.substitutions, []);
    // A replayed reaction (the runner restarted before saving its checkpoint) records nothing.
    await ledger.renderings.reactor.handle(sealed);
    assert.equal((await ledger.store.readStream(streams.rendering('r-1'))).events.length, 1);
    assert.equal(await ledger.renderings.catchUp(), 0);
  });

  test('the rendering shows the names at sealing, the signer and the seal', async () => {
    const input = await loadRenderInput(ledger.store, 'r-1');
    assert.equal(input.issuerName, '阜阳市人民政府办公室');
    assert.deepEqual(input.mainRecipients, ['阜阳市教育局']);
    assert.deepEqual(input.ccRecipients, ['阜阳市卫生健康委员会']);
    assert.deepEqual(input.attachments, ['值班安排表.pdf']);
    assert.match(input.seal!.svg, /^<svg/);
    assert.equal(input.seal!.widthMm, 42);
    const { words } = await pdfWords((await renderDocument(input)).pdf);
    const text = words.map((w) => w.text);
    for (const expected of ['特急', '阜阳市人民政府办公室文件', '阜阳市教育局：', '（此件公开发布）', '抄送：阜阳市卫生健康委员会。', '附件：值班安排表']) {
      assert.ok(text.includes(expected), `${expected} in ${text.join(' | ')}`);
    }
    assert.ok(text.some((t) => /^阜政办〔\d{4}〕1号$/.test(t)));
  });

  test('a reader downloads the PDF with its title as the file name; the digest matches the record', async () => {
    for (const reader of ['city-office-clerk', 'edu-clerk']) {
      const res = await download(reader, '/documents/r-1/rendering.pdf');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.equal(res.body.subarray(0, 5).toString(), '%PDF-');
      const disposition = res.headers.get('content-disposition')!;
      assert.ok(disposition.includes(`filename*=UTF-8''${encodeURIComponent(`${title}.pdf`)}`), disposition);
      assert.equal(res.headers.get('x-content-sm3'), sm3Hex(res.body));
      assert.equal(res.headers.get('x-matches-record'), 'true');
    }
  });

  test('?format=ofd downloads the same layout as OFD, named after the title; an unknown format is refused', async () => {
    const res = await download('edu-clerk', '/documents/r-1/rendering.pdf?format=ofd');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/ofd');
    assert.equal(res.body.subarray(0, 2).toString(), 'PK', 'a zip');
    assert.ok(res.body.includes(Buffer.from('OFD.xml')));
    assert.ok(res.headers.get('content-disposition')!.includes(encodeURIComponent(`${title}.ofd`)));
    assert.equal(res.headers.get('x-content-sm3'), sm3Hex(res.body));
    const pdf = await download('edu-clerk', '/documents/r-1/rendering.pdf');
    assert.equal(res.headers.get('x-page-count'), pdf.headers.get('x-page-count'), 'as many pages as the PDF');
    const bad = await download('edu-clerk', '/documents/r-1/rendering.pdf?format=docx');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body.toString()).errors[0].extensions.code, 'VALIDATION_FAILED');
    assert.equal((await download('fin-clerk', '/documents/r-1/rendering.pdf?format=ofd')).status, 404, 'the read rule holds for OFD too');
  });

  test('a reader downloads an attachment\'s stored bytes', async () => {
    const digest = sm3Hex(plan);
    const res = await download('edu-clerk', `/documents/r-1/attachments/${digest}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(plan));
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.ok(res.headers.get('content-disposition')!.includes(encodeURIComponent('值班安排表.pdf')));
    assert.equal((await download('edu-clerk', `/documents/r-1/attachments/${'0'.repeat(64)}`)).status, 404);
  });

  test('no token: 401; a unit that neither issued nor received it: 404; not sealed: 409', async () => {
    const anonymous = await download(null, '/documents/r-1/rendering.pdf');
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body.toString()).errors[0].extensions.code, 'UNAUTHENTICATED');
    for (const path of ['/documents/r-1/rendering.pdf', `/documents/r-1/attachments/${sm3Hex(plan)}`, '/documents/nothing/rendering.pdf']) {
      const other = await download('fin-clerk', path);
      assert.equal(other.status, 404, path);
      assert.equal(JSON.parse(other.body.toString()).errors[0].extensions.code, 'NOT_FOUND');
    }
    await draft('r-2');
    const draftOnly = await download('city-office-clerk', '/documents/r-2/rendering.pdf');
    assert.equal(draftOnly.status, 409);
    assert.equal(JSON.parse(draftOnly.body.toString()).errors[0].extensions.code, 'INVALID_STATE');
    // The draft's attachment is there for its own unit already.
    assert.equal((await download('city-office-clerk', `/documents/r-2/attachments/${sm3Hex(plan)}`)).status, 200);
  });

  test('started as gongwen serve starts it, the recorder renders a new sealing without being asked', async () => {
    ledger.renderings.start();
    await draft('r-3');
    await sealAndSend('r-3');
    const deadline = Date.now() + 60_000;
    while ((await ledger.store.readStream(streams.rendering('r-3'))).revision === null) {
      assert.ok(Date.now() < deadline, 'no rendering recorded within 60 s');
      await new Promise((ok) => setTimeout(ok, 100));
    }
    await ledger.renderings.stop();
    const recorded = (await ledger.store.readStream(streams.rendering('r-3'))).events[0]!.data as { sm3: string };
    assert.equal(recorded.sm3, (await renderDocument(await loadRenderInput(ledger.store, 'r-3'))).sm3);
  });

  test('gongwen render writes the PDF and compares it with the record', async () => {
    const env = { ...process.env, DATABASE_URL: ledger.config.DATABASE_URL!, GONGWEN_DATA_DIR: ledger.config.GONGWEN_DATA_DIR };
    const out = join(await mkdtemp(join(tmpdir(), 'gongwen-render-')), 'r-1.pdf');
    const { stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'render', 'r-1', '--out', out], { cwd: root, env });
    assert.match(stderr, /与账本记录的版式文件一致/);
    const recorded = (await ledger.store.readStream(streams.rendering('r-1'))).events[0]!.data as { sm3: string };
    assert.equal(sm3Hex(await readFile(out)), recorded.sm3);
    const ofd = join(await mkdtemp(join(tmpdir(), 'gongwen-render-')), 'r-1.ofd');
    const o = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'render', 'r-1', '--format', 'ofd', '--out', ofd], { cwd: root, env });
    assert.match(o.stderr, /已生成 OFD/);
    const bytes = await readFile(ofd);
    assert.ok(bytes.equals((await renderDocumentOfd(await loadRenderInput(ledger.store, 'r-1'))).ofd), 'the CLI writes the OFD the renderer makes');
  });
});

describe('Content-Disposition', () => {
  test('RFC 5987 filename* for the Chinese title, an ASCII fallback, no header injection', () => {
    assert.equal(contentDisposition('关于（试行）的通知.pdf'), `attachment; filename="_________.pdf"; filename*=UTF-8''%E5%85%B3%E4%BA%8E%EF%BC%88%E8%AF%95%E8%A1%8C%EF%BC%89%E7%9A%84%E9%80%9A%E7%9F%A5.pdf`);
    assert.equal(contentDisposition('a"b\r\nc/d.pdf'), `attachment; filename="a_b__c_d.pdf"; filename*=UTF-8''a_b__c_d.pdf`);
    assert.equal(contentDisposition("it's (x).pdf"), `attachment; filename="it_s (x).pdf"; filename*=UTF-8''it%27s%20%28x%29.pdf`);
  });
});
