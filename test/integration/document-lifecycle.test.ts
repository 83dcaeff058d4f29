import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { streams } from '../../src/domain/streams.ts';
import { yearOf } from '../../src/domain/numbering/index.ts';
import { SEAL_PASSPHRASE, cmdId, createTestLedger, draftInput, refusal, seedCity } from '../support/ledger.ts';

const types = async (ledger: Awaited<ReturnType<typeof createTestLedger>>, streamId: string) =>
  (await ledger.store.readStream(streamId)).events.map((e) => e.type);

describe('a document from draft to filing at both ends, through the command service on PostgreSQL', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const [office, edu, fin, hlth] = city.units as [typeof city.units[0], typeof city.units[0], typeof city.units[0], typeof city.units[0]];
  const year = yearOf(new Date().toISOString(), 'Asia/Shanghai');

  test('draft → sign off → seal (numbered) → send → one delivery per recipient', async () => {
    await city.run(office.clerk, 'DraftDocument', draftInput('doc-1'));
    await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-1', opinion: '同意印发' });
    const sealed = await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-1', sealId: 'city-office-seal' });
    assert.deepEqual(sealed.events.map((e) => e.type), ['DocumentNumberReserved', 'DocumentNumbered', 'DocumentSealed']);
    assert.equal((sealed.events[1]!.data as { docNumber: string }).docNumber, `阜政办〔${year}〕1号`);
    await city.run(office.clerk, 'SendDocument', { documentId: 'doc-1' });
    await ledger.settle();
    for (const unit of ['edu', 'fin', 'hlth']) {
      assert.deepEqual(await types(ledger, streams.delivery('doc-1', unit)), ['DocumentDelivered']);
    }
  });

  test('each recipient signs once; the receipt names who signed', async () => {
    for (const u of [edu, fin, hlth]) {
      const r = await city.run(u.clerk, 'ReceiveDocument', { documentId: 'doc-1', unitId: u.unitId });
      assert.equal((r.events[0]!.data as { receivedBy: string }).receivedBy, u.clerk.kind === 'user' ? u.clerk.userId : '');
    }
    const again = await refusal(city.run(edu.clerk, 'ReceiveDocument', { documentId: 'doc-1', unitId: 'edu' }));
    assert.equal(again.code, 'INVALID_STATE');
  });

  test('a recipient cannot sign for another unit', async () => {
    const r = await refusal(city.run(fin.clerk, 'ReceiveDocument', { documentId: 'doc-1', unitId: 'edu' }));
    assert.equal(r.code, 'NOT_AUTHORISED');
  });

  test('recall after a recipient signed is refused and changes nothing', async () => {
    const before = await types(ledger, streams.delivery('doc-1', 'edu'));
    const r = await refusal(city.run(office.clerk, 'RecallDocument', { documentId: 'doc-1', reason: '内容有误' }));
    assert.equal(r.code, 'INVALID_STATE');
    assert.deepEqual(await types(ledger, streams.delivery('doc-1', 'edu')), before);
    assert.ok(!(await types(ledger, streams.document('doc-1'))).includes('DocumentRecalled'));
  });

  test('register → read → instruct → assign → urge → complete → file at the recipient', async () => {
    const k = { documentId: 'doc-1', unitId: 'edu' };
    await city.run(edu.clerk, 'RegisterIncoming', { ...k, registerNo: '收2026-001' });
    await city.run(edu.leader, 'MarkDocumentRead', k);
    await city.run(edu.leader, 'GiveInstruction', { ...k, kind: '批示', text: '请办公室抓紧落实。' });
    const early = await refusal(city.run(edu.clerk, 'CompleteHandling', { ...k, result: '已落实' }));
    assert.equal(early.code, 'INVALID_STATE');
    await city.run(edu.leader, 'AssignHandling', { ...k, assigneeUserId: 'edu-clerk', dueDate: '2099-01-31' });
    await city.run(edu.leader, 'UrgeHandling', { ...k, level: '催办', message: '请于本周内办结' });
    await city.run(edu.clerk, 'CompleteHandling', { ...k, result: '已按要求部署落实' });
    await city.run(edu.clerk, 'FileIncoming', { ...k, retention: 'D30' });
    assert.deepEqual(await types(ledger, streams.delivery('doc-1', 'edu')), [
      'DocumentDelivered', 'DocumentReceived', 'IncomingRegistered', 'DocumentRead', 'InstructionGiven',
      'HandlingAssigned', 'HandlingUrged', 'HandlingCompleted', 'IncomingFiled',
    ]);
    const after = await refusal(city.run(edu.leader, 'MarkDocumentRead', k));
    assert.equal(after.code, 'INVALID_STATE');
  });

  test('the sender files; filing is terminal', async () => {
    await city.run(office.clerk, 'FileDocument', { documentId: 'doc-1', retention: 'Y', organisationCode: 'BGS' });
    const r = await refusal(city.run(office.clerk, 'RecallDocument', { documentId: 'doc-1', reason: '撤回' }));
    assert.equal(r.code, 'INVALID_STATE');
  });

  test('recall before anyone signed withdraws every delivery; signing afterwards is refused', async () => {
    await city.run(office.clerk, 'DraftDocument', draftInput('doc-2'));
    await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-2' });
    await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-2', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'SendDocument', { documentId: 'doc-2' });
    await ledger.settle();
    const recalled = await city.run(office.clerk, 'RecallDocument', { documentId: 'doc-2', reason: '附件有误，重新发文' });
    assert.deepEqual(recalled.events.map((e) => e.type), ['DeliveryWithdrawn', 'DeliveryWithdrawn', 'DeliveryWithdrawn', 'DocumentRecalled']);
    const r = await refusal(city.run(fin.clerk, 'ReceiveDocument', { documentId: 'doc-2', unitId: 'fin' }));
    assert.equal(r.code, 'INVALID_STATE');
  });

  test('a recall racing a receipt: exactly one of them wins, never both', async () => {
    for (let i = 0; i < 6; i++) {
      const id = `race-${i}`;
      await city.run(office.clerk, 'DraftDocument', draftInput(id));
      await city.run(office.leader, 'SignOffDocument', { documentId: id });
      await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: id, sealId: 'city-office-seal' });
      await city.run(office.clerk, 'SendDocument', { documentId: id });
      await ledger.settle();
      const [recall, receipt] = await Promise.allSettled([
        city.run(office.clerk, 'RecallDocument', { documentId: id, reason: '撤回重发' }),
        city.run(hlth.clerk, 'ReceiveDocument', { documentId: id, unitId: 'hlth' }),
      ]);
      const recalled = (await types(ledger, streams.document(id))).includes('DocumentRecalled');
      const received = (await types(ledger, streams.delivery(id, 'hlth'))).includes('DocumentReceived');
      assert.ok(recalled !== received, `document ${id}: recalled=${recalled} received=${received}`);
      assert.equal(recall.status === 'fulfilled', recalled);
      assert.equal(receipt.status === 'fulfilled', received);
      if (received) {
        // The recall withdrew nothing for good: every other delivery is live again.
        for (const u of ['edu', 'fin']) {
          const t = await types(ledger, streams.delivery(id, u));
          assert.equal(t.filter((x) => x === 'DeliveryWithdrawn').length, t.filter((x) => x === 'DeliveryReinstated').length);
        }
      }
    }
  });

  test('a repeated commandId returns the first outcome and appends nothing; reused for another command it is refused', async () => {
    const commandId = cmdId();
    const first = await ledger.commands.execute(office.clerk, 'DraftDocument', { commandId, ...draftInput('doc-3') });
    const again = await ledger.commands.execute(office.clerk, 'DraftDocument', { commandId, ...draftInput('doc-3') });
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.events.map((e) => e.eventId), first.events.map((e) => e.eventId));
    assert.equal((await ledger.store.readStream(streams.document('doc-3'))).events.length, 1);
    const reused = await refusal(ledger.commands.execute(office.clerk, 'DraftDocument', { commandId, ...draftInput('doc-3', { title: '另一份公文' }) }));
    assert.equal(reused.code, 'COMMAND_ID_REUSED');
  });

  test('a role that may not act is refused before anything is loaded, and the refusal is in the security log', async () => {
    const r = await refusal(city.run(office.clerk, 'SignOffDocument', { documentId: 'doc-3' }));
    assert.equal(r.code, 'NOT_AUTHORISED');
    const log = (await ledger.securityLog.page({ userId: 'city-office-clerk' }, { first: 100 })).items;
    assert.ok(log.some((e) => e.commandType === 'SignOffDocument' && e.code === 'NOT_AUTHORISED'));
  });

  test('bad input is a VALIDATION_FAILED refusal naming the field, and is logged', async () => {
    const r = await refusal(city.run(office.clerk, 'DraftDocument', draftInput('doc-4', { docType: '便条' })));
    assert.equal(r.code, 'VALIDATION_FAILED');
    assert.match(r.message, /docType/);
  });

  test('a revision that changes only one recipient list is checked against both', async () => {
    await city.run(office.clerk, 'DraftDocument', draftInput('doc-r', { mainRecipients: ['edu'], ccRecipients: [] }));
    const revised = await city.run(office.clerk, 'ReviseDraft', { documentId: 'doc-r', ccRecipients: ['fin'] });
    assert.equal(revised.events[0]!.type, 'DraftRevised');
    const twice = await refusal(city.run(office.clerk, 'ReviseDraft', { documentId: 'doc-r', ccRecipients: ['edu'] }));
    assert.equal(twice.code, 'RECIPIENT_INVALID');
  });

  test('classified documents are refused at draft', async () => {
    const r = await refusal(city.run(office.clerk, 'DraftDocument', draftInput('doc-5', { classification: '机密' })));
    assert.equal(r.code, 'CLASSIFIED_REFUSED');
    assert.equal((await ledger.store.readStream(streams.document('doc-5'))).revision, null);
  });

  test("sealing with another unit's seal, or a revoked one, is refused and takes no number", async () => {
    await city.run(office.clerk, 'DraftDocument', draftInput('doc-6'));
    await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-6' });
    const foreign = await refusal(city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-6', sealId: 'edu-seal' }));
    assert.equal(foreign.code, 'SEAL_NOT_USABLE');
    await city.run(city.admin, 'RevokeSeal', { sealId: 'city-office-seal', reason: '密钥疑似泄露' });
    const revoked = await refusal(city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-6', sealId: 'city-office-seal' }));
    assert.equal(revoked.code, 'SEAL_NOT_USABLE');
    const numbering = await ledger.store.readStream(streams.numbering('city-office', '阜政办', year));
    assert.ok(!numbering.events.some((e) => (e.data as { documentId: string }).documentId === 'doc-6'));
  });
});

describe('attachments over the configured limit', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_ATTACHMENT_LIMIT_BYTES: '1000' } });
  const city = await seedCity(ledger);
  test('are refused with the limit in the message', async () => {
    const att = (name: string, size: number) => ({ name, mediaType: 'application/pdf', size, sm3: 'a'.repeat(64) });
    const r = await refusal(city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('doc-a', { attachments: [att('附件1.pdf', 600), att('附件2.pdf', 600)] })));
    assert.equal(r.code, 'ATTACHMENTS_TOO_LARGE');
    await city.run(city.units[0]!.clerk, 'DraftDocument', draftInput('doc-b', { attachments: [att('附件1.pdf', 600), att('附件2.pdf', 400)] }));
  });
});
