import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';

/**
 * Issue 9, item 14: a refused draft leaves no attachment bytes behind — refused as classified, by
 * a user who may not draft, or over the size limit. An accepted one stores them.
 */
describe('attachment bytes are stored only with an accepted command', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_ATTACHMENT_LIMIT_BYTES: '4096' } });
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());

  const upload = (text: string, size = 0) => {
    const bytes = Buffer.concat([Buffer.from(text), Buffer.alloc(size, 0x20)]);
    return { bytes, attachment: { name: '附件.pdf', mediaType: 'application/pdf', contentBase64: bytes.toString('base64') } };
  };
  const stored = async (bytes: Buffer) =>
    (await ledger.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM attachment_contents WHERE sm3 = $1', [sm3Hex(bytes)])).rows[0]!.n;
  const draft = (userId: string, documentId: string, attachment: unknown, over: Record<string, unknown> = {}) =>
    api.mutate(userId, 'draftDocument', {
      documentId,
      title: '关于印发工作方案的通知',
      docType: '通知',
      urgency: '平件',
      body: '　　现将工作方案印发给你们，请认真贯彻执行。',
      mainRecipients: ['edu'],
      docNumberPrefix: '阜政办',
      attachments: [attachment],
      ...over,
    });

  test('a draft refused as classified (绝密) leaves no byte', async () => {
    const { bytes, attachment } = upload('%PDF-1.7 绝密 作战方案');
    const r = await draft('city-office-clerk', 'up-1', attachment, { classification: '绝密' });
    assert.equal(r.code, 'CLASSIFIED_REFUSED');
    assert.equal(await stored(bytes), 0);
  });

  test('a draft by a user who may not draft leaves no byte', async () => {
    const { bytes, attachment } = upload('%PDF-1.7 印章管理员的草稿');
    const r = await draft('city-office-keeper', 'up-2', attachment);
    assert.equal(r.code, 'NOT_AUTHORISED');
    assert.equal(await stored(bytes), 0);
  });

  test('a draft over the size limit leaves no byte', async () => {
    const { bytes, attachment } = upload('%PDF-1.7 超大附件', 5000);
    const r = await draft('city-office-clerk', 'up-3', attachment);
    assert.equal(r.code, 'ATTACHMENTS_TOO_LARGE');
    assert.equal(await stored(bytes), 0);
  });

  test('an accepted draft stores its bytes, and its repeat too', async () => {
    const { bytes, attachment } = upload('%PDF-1.7 工作方案');
    const input = { commandId: 'm-up-4-command', documentId: 'up-4', title: '关于印发工作方案的通知', docType: '通知', urgency: '平件', body: '　　现将工作方案印发给你们。', mainRecipients: ['edu'], docNumberPrefix: '阜政办', attachments: [attachment] };
    const first = await api.mutate('city-office-clerk', 'draftDocument', input);
    assert.ok(first.result, JSON.stringify(first.errors));
    assert.equal(await stored(bytes), 1);
    await ledger.db.pool.query('DELETE FROM attachment_contents WHERE sm3 = $1', [sm3Hex(bytes)]);
    const again = await api.mutate('city-office-clerk', 'draftDocument', input);
    assert.equal(again.result!.duplicate, true);
    assert.equal(await stored(bytes), 1);
  });
});
