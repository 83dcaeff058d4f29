import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { uploadBodyLimit } from '../../src/api/upload-size.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/**
 * Issue 11, attachments over the real HTTP server: a draft revised one attachment at a time (kept,
 * added, removed by digest or position), the bytes downloaded by every reader with type and file
 * name, and an over-size upload answered ATTACHMENTS_TOO_LARGE with its sizes — by the domain up to
 * twice the limit, by the HTTP layer beyond, in the same words.
 */
const MB = 1024 * 1024;
const file = (name: string, text: string, mediaType = 'application/pdf') => {
  const bytes = Buffer.from(`%PDF-1.7 ${text}`);
  return { bytes, sm3: sm3Hex(bytes), upload: { name, mediaType, contentBase64: bytes.toString('base64') } };
};

describe('attachments: single revisions, downloads, over-size uploads', async () => {
  const ledger = await createTestLedger();
  // An inspector and a super administrator read every unit's documents.
  const { admin } = await seedCity(ledger);
  await ledger.commands.execute(admin, 'RegisterUser', { commandId: 'c-att-inspector', userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  const api = await startApi(ledger);
  after(() => api.close());

  const plan = file('工作方案.pdf', '工作方案');
  const table = file('值班表.xlsx', '值班表', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const map = file('路线图.png', '路线图', 'image/png');
  const notice = file('补充通知.pdf', '补充通知');

  const draft = (documentId: string, attachments: unknown[]) =>
    api.mutate('city-office-clerk', 'draftDocument', {
      documentId,
      title: '关于做好值班工作的通知',
      docType: '通知',
      body: '　　现将值班安排通知如下。',
      mainRecipients: ['edu'],
      docNumberPrefix: '阜政办',
      attachments,
    });
  const attachmentsOf = async (documentId: string) => (await api.gql('city-office-clerk', `{ document(id: "${documentId}") { attachments { name sm3 } } }`)).data!.document.attachments as { name: string; sm3: string }[];
  const download = async (userId: string | null, path: string) => {
    const headers: Record<string, string> = userId ? { authorization: `Bearer ${await api.tokenFor(userId)}` } : {};
    const res = await fetch(`${api.url}${path}`, { headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  test('remove one by index and one by digest, add one: the others are kept in order, the new bytes stored', async () => {
    assert.ok((await draft('att-1', [plan.upload, table.upload, map.upload])).result);
    const r = await api.mutate('city-office-clerk', 'reviseDraft', {
      documentId: 'att-1',
      removeAttachments: [{ index: 0 }, { sm3: map.sm3 }],
      addAttachments: [notice.upload],
    });
    assert.ok(r.result, JSON.stringify(r.errors));
    assert.deepEqual(r.result.events.map((e: { type: string }) => e.type), ['DraftRevised']);
    assert.deepEqual((await attachmentsOf('att-1')).map((a) => a.name), ['值班表.xlsx', '补充通知.pdf']);
    const added = await download('city-office-clerk', `/documents/att-1/attachments/${notice.sm3}`);
    assert.equal(added.status, 200);
    assert.ok(added.body.equals(notice.bytes));
    // Removed from the draft: no longer served for it.
    assert.equal((await download('city-office-clerk', `/documents/att-1/attachments/${map.sm3}`)).status, 404);
  });

  test('naming an attachment the draft does not have is refused and changes nothing', async () => {
    const before = await attachmentsOf('att-1');
    for (const ref of [{ sm3: plan.sm3 }, { index: 2 }]) {
      const r = await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'att-1', removeAttachments: [ref], addAttachments: [plan.upload] });
      assert.equal(r.code, 'NOT_FOUND', JSON.stringify(r.errors));
      assert.match(r.errors![0]!.message, /稿件中没有/);
    }
    assert.deepEqual(await attachmentsOf('att-1'), before);
  });

  test('a whole list together with single changes, or a reference with both or neither of sm3 and index: VALIDATION_FAILED', async () => {
    for (const input of [
      { attachments: [plan.upload], addAttachments: [map.upload] },
      { removeAttachments: [{ sm3: table.sm3, index: 0 }] },
      { removeAttachments: [{}] },
      { removeAttachments: [] },
    ]) {
      const r = await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'att-1', ...input });
      assert.equal(r.code, 'VALIDATION_FAILED', JSON.stringify(input));
    }
  });

  test('removing every attachment one by one leaves an empty list; a sealed document refuses', async () => {
    assert.ok((await draft('att-2', [plan.upload])).result);
    assert.ok((await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'att-2', removeAttachments: [{ sm3: plan.sm3 }] })).result);
    assert.deepEqual(await attachmentsOf('att-2'), []);
    assert.ok((await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'att-2', addAttachments: [table.upload] })).result);
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'att-2' })).result);
    assert.ok((await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'att-2', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE })).result);
    const late = await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'att-2', addAttachments: [map.upload] });
    assert.equal(late.code, 'INVALID_STATE');
  });

  test('every reader downloads with content type and file name; others are refused', async () => {
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'att-2' })).result);
    await ledger.settle();
    const path = `/documents/att-2/attachments/${table.sm3}`;
    for (const reader of ['city-office-clerk', 'city-office-leader', 'edu-clerk', 'edu-leader', 'inspector', 'admin']) {
      const res = await download(reader, path);
      assert.equal(res.status, 200, reader);
      assert.equal(res.headers.get('content-type'), table.upload.mediaType, reader);
      const disposition = res.headers.get('content-disposition')!;
      assert.ok(disposition.startsWith('attachment; filename="'), disposition);
      assert.ok(disposition.includes(`filename*=UTF-8''${encodeURIComponent('值班表.xlsx')}`), disposition);
      assert.equal(res.headers.get('x-content-sm3'), table.sm3);
      assert.ok(res.body.equals(table.bytes));
    }
    // Units that neither issued nor received it see nothing (not even that it exists); no login: 401.
    for (const other of ['fin-clerk', 'hlth-leader']) {
      const res = await download(other, path);
      assert.equal(res.status, 404, other);
      assert.equal(JSON.parse(res.body.toString()).errors[0].extensions.code, 'NOT_FOUND');
    }
    assert.equal((await download(null, path)).status, 401);
    assert.equal((await download(`edu-clerk`, `/documents/att-2/attachments/${plan.sm3}`)).status, 404, 'removed before sealing');
  });

  test('a 4 MB PDF against the 3 MB limit: the domain answers with both sizes in MB', async () => {
    const big = { name: '大附件.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(4 * MB, 1).toString('base64') };
    const r = await draft('att-3', [big]);
    assert.equal(r.status, 200);
    assert.equal(r.code, 'ATTACHMENTS_TOO_LARGE');
    assert.equal(r.errors![0]!.message, '附件总大小 4.00 MB（4,194,304 字节）超过上限 3.00 MB（3,145,728 字节），请压缩或拆分附件');
    assert.deepEqual(r.errors![0]!.extensions!.details, { totalBytes: 4 * MB, limitBytes: 3 * MB });
  });

  test('one byte over: exact bytes, not "3.00 MB exceeds 3.00 MB"', async () => {
    const r = await draft('att-4', [{ name: '刚好超.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(3 * MB + 1, 1).toString('base64') }]);
    assert.equal(r.code, 'ATTACHMENTS_TOO_LARGE');
    assert.equal(r.errors![0]!.message, '附件总大小 3,145,729 字节超过上限 3,145,728 字节，请压缩或拆分附件');
  });

  test('beyond twice the limit the HTTP layer answers first: same code and words, a lower bound, HTTP 413', async () => {
    const limit = uploadBodyLimit(3 * MB);
    const body = JSON.stringify({
      query: 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { commandId } }',
      variables: { input: { documentId: 'att-5', attachments: [{ name: 'x.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(7 * MB, 1).toString('base64') }] } },
    });
    assert.ok(Buffer.byteLength(body) > limit);
    const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.tokenFor('city-office-clerk')}` }, body });
    assert.equal(res.status, 413);
    const answer = (await res.json()) as { errors: { message: string; extensions: { code: string; details: { totalBytesAtLeast: number } } }[] };
    const e = answer.errors[0]!;
    assert.equal(e.extensions.code, 'ATTACHMENTS_TOO_LARGE');
    assert.match(e.message, /附件总大小至少 \d+\.\d\d MB（[\d,]+ 字节）超过上限 3\.00 MB（3,145,728 字节），请压缩或拆分附件/);
    assert.ok(e.extensions.details.totalBytesAtLeast > 6 * MB && e.extensions.details.totalBytesAtLeast <= 7 * MB, JSON.stringify(e.extensions.details));
    assert.equal((await ledger.store.readStream('document-att-5')).revision, null);
  });

  test('a body sent without a declared length is cut off at the limit with the same answer', async () => {
    const limit = uploadBodyLimit(3 * MB);
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from('{"query":"{ me { userId } }","variables":{"x":"'));
        if (sent > limit + 2 * chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.tokenFor('city-office-clerk')}` },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    const e = ((await res.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;
    assert.equal(e.extensions.code, 'ATTACHMENTS_TOO_LARGE');
    assert.match(e.message, /附件总大小至少 .*超过上限 3\.00 MB/);
  });
});
