import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DraftDocument,
  FileDocument,
  RecallDocument,
  ReviseDraft,
  SealDocument,
  SendDocument,
  SignOffDocument,
} from '../../../schemas/commands/document.ts';
import { DocumentDrafted } from '../../../schemas/events/document.ts';
import { fold } from '../../../src/domain/decider.ts';
import {
  contentDigest,
  documentDecider,
  sealedContent,
  type DocumentCommand,
  type DocumentContext,
  type DocumentEvent,
  type DocumentRecord,
  type DocumentState,
} from '../../../src/domain/document/index.ts';
import {
  activeSeal,
  archivist,
  assertRefused,
  assertValidEvents,
  BUREAU,
  clerk,
  command,
  context,
  COUNTY_A,
  COUNTY_B,
  draftInput,
  INACTIVE_UNIT,
  ISSUER,
  leader,
  MB,
  NOW,
  number12,
  outsider,
  sealKeeper,
  sealSignature,
  sm3Of,
} from '../../support/document-fixtures.ts';
import { sm2Verify } from '../../../src/integrity/sm2.ts';

const DOC = draftInput.documentId;

const given = (events: readonly DocumentEvent[]): DocumentState => fold(documentDecider, events);
const record = (events: readonly DocumentEvent[]): DocumentRecord => {
  const state = given(events);
  assert.notEqual(state.status, 'none');
  return state as DocumentRecord;
};

/** given events → when command → the events decided (each checked against its schema). */
function when(events: readonly DocumentEvent[], cmd: DocumentCommand, ctx: DocumentContext = context()): DocumentEvent[] {
  // A sealing's signature is made over the state being decided on, as the handler makes it.
  const signed = cmd.type === 'SealDocument' && !('signature' in ctx) && ctx.number ? { ...ctx, signature: sealSignature(given(events), ctx.number) } : ctx;
  const out = documentDecider.decide(cmd, given(events), signed);
  assertValidEvents(out);
  return out;
}

// ---- commands ----

const draft = (input: Record<string, unknown> = {}) => command(DraftDocument, { ...draftInput, ...input });
const revise = (input: Record<string, unknown>) => command(ReviseDraft, { commandId: 'cmd-revise-0001', documentId: DOC, ...input });
const signOff = (opinion?: string) => command(SignOffDocument, { commandId: 'cmd-signoff-0001', documentId: DOC, opinion });
const seal = (sealId = activeSeal.sealId) => command(SealDocument, { commandId: 'cmd-seal-0001', documentId: DOC, sealId, passphrase: 'not-used-by-the-decision' });
const send = () => command(SendDocument, { commandId: 'cmd-send-0001', documentId: DOC });
const recall = (reason = '主送单位有误') => command(RecallDocument, { commandId: 'cmd-recall-0001', documentId: DOC, reason });
const file = (input: Record<string, unknown> = {}) =>
  command(FileDocument, { commandId: 'cmd-file-0001', documentId: DOC, retention: 'D30', fondsCode: '0194', organisationCode: 'BGS', pages: 3, ...input });

// ---- histories, each built by the decider itself ----

const asLeader = context({ actor: leader });
const asKeeper = context({ actor: sealKeeper });

const drafted = (): DocumentEvent[] => when([], draft());
const signedOff = (): DocumentEvent[] => {
  const h = drafted();
  return [...h, ...when(h, signOff('同意印发'), asLeader)];
};
const sealed = (): DocumentEvent[] => {
  const h = signedOff();
  return [...h, ...when(h, seal(), asKeeper)];
};
const sent = (): DocumentEvent[] => {
  const h = sealed();
  return [...h, ...when(h, send())];
};
const recalled = (): DocumentEvent[] => {
  const h = sent();
  return [...h, ...when(h, recall())];
};
const filed = (): DocumentEvent[] => {
  const h = sent();
  return [...h, ...when(h, file(), context({ actor: archivist }))];
};

describe('DraftDocument', () => {
  test('records the draft with the actor’s unit as issuer', () => {
    const events = when([], draft());
    assert.equal(events.length, 1);
    const [e] = events;
    assert.equal(e!.type, 'DocumentDrafted');
    assert.deepEqual(e!.data, {
      documentId: DOC,
      issuerUnitId: ISSUER,
      title: draftInput.title,
      docType: '通知',
      urgency: '加急',
      classification: '非密',
      body: draftInput.body,
      attachments: draftInput.attachments,
      mainRecipients: [COUNTY_A, COUNTY_B],
      ccRecipients: [BUREAU],
      docNumberPrefix: '阜政办',
      remarks: '此件公开发布',
      draftedBy: clerk.userId,
      draftedAt: NOW,
    });
    assert.ok(!('signerNote' in e!.data), 'absent optional fields are left out, not written as undefined');
    assert.equal(given(events).status, 'drafted');
  });

  test('keeps the full-width indentation of the body', () => {
    const [e] = when([], draft());
    assert.ok((e!.data as { body: string }).body.startsWith('　　各县区'));
  });

  test('refuses a second draft on the same stream: ALREADY_EXISTS', () => {
    assertRefused(() => when(drafted(), draft()), 'ALREADY_EXISTS');
  });

  for (const mark of ['秘密', '机密', '绝密']) {
    test(`refuses classification ${mark}: CLASSIFIED_REFUSED`, () => {
      assertRefused(() => when([], draft({ classification: mark })), 'CLASSIFIED_REFUSED', /本系统只处理非涉密公文/);
    });
  }

  test('refuses attachments above the limit, naming total and limit in MB: ATTACHMENTS_TOO_LARGE', () => {
    const attachments = [
      { name: '大文件一.pdf', mediaType: 'application/pdf', size: 2 * MB, sm3: sm3Of(1) },
      { name: '大文件二.pdf', mediaType: 'application/pdf', size: 1.5 * MB, sm3: sm3Of(2) },
    ];
    const refusal = assertRefused(() => when([], draft({ attachments })), 'ATTACHMENTS_TOO_LARGE', /3\.50 MB.*3\.00 MB/);
    assert.deepEqual(refusal.details, { totalBytes: 3.5 * MB, limitBytes: 3 * MB });
  });

  test('accepts attachments of exactly the limit, and honours a configured limit', () => {
    const attachments = [{ name: '恰好.pdf', mediaType: 'application/pdf', size: 3 * MB, sm3: sm3Of(1) }];
    assert.equal(when([], draft({ attachments })).length, 1);
    assertRefused(() => when([], draft({ attachments }), context({ attachmentLimitBytes: 2 * MB })), 'ATTACHMENTS_TOO_LARGE', /2\.00 MB/);
  });

  test('refuses a draft without a main recipient: RECIPIENT_INVALID', () => {
    assertRefused(() => when([], draft({ mainRecipients: [], ccRecipients: [BUREAU] })), 'RECIPIENT_INVALID', /至少须有一个主送单位/);
  });

  test('refuses a unit listed twice in main', () => {
    assertRefused(() => when([], draft({ mainRecipients: [COUNTY_A, COUNTY_A], ccRecipients: [] })), 'RECIPIENT_INVALID', new RegExp(`${COUNTY_A} 在主送、抄送中重复出现`));
  });

  test('refuses a unit in both main and cc', () => {
    assertRefused(() => when([], draft({ mainRecipients: [COUNTY_A], ccRecipients: [COUNTY_A] })), 'RECIPIENT_INVALID', new RegExp(COUNTY_A));
  });

  test('refuses the issuer as its own recipient', () => {
    assertRefused(() => when([], draft({ mainRecipients: [COUNTY_A, ISSUER] })), 'RECIPIENT_INVALID', new RegExp(`${ISSUER} 是发文单位本身`));
  });

  test('refuses an unregistered recipient, naming it', () => {
    assertRefused(() => when([], draft({ ccRecipients: ['no-such-unit'] })), 'RECIPIENT_INVALID', /no-such-unit 未在系统中注册/);
  });

  test('refuses an inactive recipient, naming it', () => {
    assertRefused(() => when([], draft({ ccRecipients: [INACTIVE_UNIT] })), 'RECIPIENT_INVALID', new RegExp(`${INACTIVE_UNIT} 已停用`));
  });

  test('reports every recipient problem at once', () => {
    const refusal = assertRefused(
      () => when([], draft({ mainRecipients: [COUNTY_A, 'ghost'], ccRecipients: [INACTIVE_UNIT, COUNTY_A] })),
      'RECIPIENT_INVALID',
    );
    assert.deepEqual(refusal.details.problems, [
      { unitId: 'ghost', problem: 'unregistered' },
      { unitId: INACTIVE_UNIT, problem: 'inactive' },
      { unitId: COUNTY_A, problem: 'duplicate' },
    ]);
  });

  test('refuses a 机关代字 that is not the issuer’s: VALIDATION_FAILED', () => {
    const refusal = assertRefused(() => when([], draft({ docNumberPrefix: '合政办' })), 'VALIDATION_FAILED', /合政办.*阜政办、阜政办函/);
    assert.equal(refusal.details.field, 'docNumberPrefix');
  });

  test('a handler that forgets a context part fails loudly, not with a refusal', () => {
    const ctx = context();
    delete ctx.issuerPrefixes;
    assert.throws(() => when([], draft(), ctx), (e: unknown) => e instanceof Error && /context\.issuerPrefixes/.test(e.message));
  });
});

describe('ReviseDraft', () => {
  test('records only the fields that changed', () => {
    const events = when(drafted(), revise({ title: '关于做好2025年森林防火工作的通知', urgency: '加急', docType: '通知' }));
    assert.deepEqual(events, [
      {
        type: 'DraftRevised',
        data: {
          documentId: DOC,
          issuerUnitId: ISSUER,
          changes: { title: '关于做好2025年森林防火工作的通知' },
          signOffVoided: false,
          revisedBy: clerk.userId,
          revisedAt: NOW,
        },
      },
    ]);
    const state = record([...drafted(), ...events]);
    assert.equal(state.content.title, '关于做好2025年森林防火工作的通知');
    assert.equal(state.content.body, draftInput.body);
  });

  test('a revision that changes nothing appends nothing', () => {
    assert.deepEqual(when(drafted(), revise({ title: draftInput.title, attachments: draftInput.attachments })), []);
    assert.deepEqual(when(signedOff(), revise({ body: draftInput.body })), [], 'and so does not void a sign-off');
  });

  test('null clears remarks; the cleared field is gone from state', () => {
    const events = when(drafted(), revise({ remarks: null, signerNote: null }));
    assert.deepEqual((events[0]!.data as { changes: unknown }).changes, { remarks: null }, 'signerNote was not set, so clearing it is no change');
    assert.ok(!('remarks' in record([...drafted(), ...events]).content));
  });

  test('revising after sign-off voids it; a new sign-off is needed before sealing', () => {
    const history = signedOff();
    const revised = when(history, revise({ body: '　　修改后的正文。' }));
    assert.equal((revised[0]!.data as { signOffVoided: boolean }).signOffVoided, true);
    const after = [...history, ...revised];
    const state = record(after);
    assert.equal(state.status, 'drafted');
    assert.equal(state.signOff, undefined);
    assertRefused(() => when(after, seal(), asKeeper), 'INVALID_STATE', /须先签发/);
    const resigned = [...after, ...when(after, signOff(), asLeader)];
    const sealedEvents = when(resigned, seal(), asKeeper);
    assert.deepEqual(
      sealedEvents.map((e) => e.type),
      ['DocumentNumbered', 'DocumentSealed'],
    );
  });

  test('refuses after sealing: INVALID_STATE 已盖章，内容不可修改', () => {
    assertRefused(() => when(sealed(), revise({ title: '新标题' })), 'INVALID_STATE', /已盖章，内容不可修改/);
    assertRefused(() => when(sent(), revise({ title: '新标题' })), 'INVALID_STATE', /已盖章，内容不可修改/);
  });

  test('refuses another unit as if the document did not exist: NOT_FOUND, naming no unit', () => {
    const r = assertRefused(() => when(drafted(), revise({ title: '新标题' }), context({ actor: outsider })), 'NOT_FOUND');
    const missing = assertRefused(() => when([], revise({ title: '新标题' }), context({ actor: outsider })), 'NOT_FOUND');
    assert.equal(r.message, missing.message);
    assert.deepEqual(r.details, missing.details);
  });

  test('refuses a document that does not exist: NOT_FOUND', () => {
    assertRefused(() => when([], revise({ title: '新标题' })), 'NOT_FOUND', new RegExp(DOC));
  });

  test('applies the draft rules to what changed', () => {
    const h = drafted();
    assertRefused(() => when(h, revise({ classification: '机密' })), 'CLASSIFIED_REFUSED', /非涉密/);
    assertRefused(
      () => when(h, revise({ attachments: [{ name: '超大.zip', mediaType: 'application/zip', size: 4 * MB, sm3: sm3Of(9) }] })),
      'ATTACHMENTS_TOO_LARGE',
      /4\.00 MB/,
    );
    assertRefused(() => when(h, revise({ ccRecipients: [COUNTY_A] })), 'RECIPIENT_INVALID', new RegExp(COUNTY_A));
    assertRefused(() => when(h, revise({ mainRecipients: [INACTIVE_UNIT] })), 'RECIPIENT_INVALID', new RegExp(INACTIVE_UNIT));
    assertRefused(() => when(h, revise({ mainRecipients: [] })), 'RECIPIENT_INVALID', /主送/);
    assertRefused(() => when(h, revise({ docNumberPrefix: '皖政办' })), 'VALIDATION_FAILED', /皖政办/);
    const ok = when(h, revise({ docNumberPrefix: '阜政办函', docType: '函' }));
    assert.deepEqual((ok[0]!.data as { changes: unknown }).changes, { docType: '函', docNumberPrefix: '阜政办函' });
  });

  test('a recipient deactivated after drafting does not block unrelated corrections', () => {
    const h = when([], draft({ ccRecipients: [BUREAU] }));
    const later = context({ unitStatus: (u) => (u === BUREAU ? 'inactive' : 'active') });
    assert.equal(when(h, revise({ title: '更正后的标题' }), later).length, 1);
    assertRefused(() => when(h, revise({ mainRecipients: [COUNTY_B] }), later), 'RECIPIENT_INVALID', new RegExp(`${BUREAU} 已停用`));
  });

  const att = (n: number, size = 1000) => ({ name: `附件${n}.pdf`, mediaType: 'application/pdf', size, sm3: sm3Of(n) });

  test('single attachment changes: removed by sm3 or index, added at the end, the rest kept in order; recorded as the new list', () => {
    const h = when([], draft({ attachments: [att(1), att(2), att(3)] }));
    const events = when(h, revise({ removeAttachments: [{ index: 0 }, { sm3: sm3Of(3) }], addAttachments: [att(4)] }));
    assert.deepEqual((events[0]!.data as { changes: unknown }).changes, { attachments: [att(2), att(4)] });
  });

  test('single attachment changes: naming a missing one is NOT_FOUND; the size limit applies to the result', () => {
    const h = when([], draft({ attachments: [att(1)] }));
    assertRefused(() => when(h, revise({ removeAttachments: [{ sm3: sm3Of(9) }] })), 'NOT_FOUND', /稿件中没有摘要为/);
    assertRefused(() => when(h, revise({ removeAttachments: [{ index: 1 }] })), 'NOT_FOUND', /第 1 号附件/);
    assertRefused(() => when(h, revise({ removeAttachments: [{ sm3: sm3Of(1) }, { sm3: sm3Of(1) }] })), 'NOT_FOUND', /稿件中没有/);
    assertRefused(() => when(h, revise({ addAttachments: [att(2, 3 * MB)] })), 'ATTACHMENTS_TOO_LARGE', /3,146,728 字节超过上限 3,145,728 字节/);
  });
});

describe('SignOffDocument', () => {
  test('records the leader and the opinion', () => {
    const events = when(drafted(), signOff('同意'), asLeader);
    assert.deepEqual(events, [
      { type: 'DocumentSignedOff', data: { documentId: DOC, issuerUnitId: ISSUER, opinion: '同意', signedOffBy: leader.userId, signedOffAt: NOW } },
    ]);
    assert.equal(given([...drafted(), ...events]).status, 'signedOff');
  });

  test('refuses a second sign-off: INVALID_STATE', () => {
    assertRefused(() => when(signedOff(), signOff(), asLeader), 'INVALID_STATE', /已签发/);
  });

  test('refuses after sealing: INVALID_STATE', () => {
    assertRefused(() => when(sealed(), signOff(), asLeader), 'INVALID_STATE', /已盖章/);
  });

  test('refuses a leader of another unit: NOT_FOUND', () => {
    assertRefused(() => when(drafted(), signOff(), context({ actor: { ...leader, unitId: 'hf-gov-office' } })), 'NOT_FOUND');
  });

  test('refuses a document that does not exist: NOT_FOUND', () => {
    assertRefused(() => when([], signOff(), asLeader), 'NOT_FOUND');
  });
});

describe('SealDocument', () => {
  test('numbers and seals; the digest covers the sealed content', () => {
    const history = signedOff();
    const events = when(history, seal(), asKeeper);
    const expectedDigest = contentDigest(sealedContent(record(history), number12));
    const signature = (events[1]!.data as { signature: string }).signature;
    assert.ok(sm2Verify(activeSeal.publicKey, Buffer.from(expectedDigest, 'hex'), signature), 'the recorded signature verifies over the digest');
    assert.deepEqual(events, [
      { type: 'DocumentNumbered', data: { documentId: DOC, issuerUnitId: ISSUER, ...number12 } },
      {
        type: 'DocumentSealed',
        data: {
          documentId: DOC,
          issuerUnitId: ISSUER,
          sealId: activeSeal.sealId,
          docNumber: '阜政办〔2025〕12号',
          contentDigest: expectedDigest,
          digestAlgorithm: 'SM3',
          digestAlgorithmOid: '1.2.156.10197.1.401',
          signature,
          signatureAlgorithm: '1.2.156.10197.1.501',
          sealPublicKey: activeSeal.publicKey,
          sealRecordDigest: activeSeal.sealRecordDigest,
          keyCustody: 'server',
          sealedBy: sealKeeper.userId,
          sealedAt: NOW,
        },
      },
    ]);
    const state = record([...history, ...events]);
    assert.equal(state.status, 'sealed');
    assert.deepEqual(state.number, number12);
    assert.equal(state.sealing?.contentDigest, expectedDigest);
  });

  test('refuses before sign-off: INVALID_STATE 须先签发', () => {
    assertRefused(() => when(drafted(), seal(), asKeeper), 'INVALID_STATE', /须先签发/);
  });

  test('refuses a second sealing: INVALID_STATE', () => {
    assertRefused(() => when(sealed(), seal(), asKeeper), 'INVALID_STATE', /已盖章/);
    assertRefused(() => when(sent(), seal(), asKeeper), 'INVALID_STATE', /不能重复盖章/);
  });

  test('refuses a seal keeper of another unit: NOT_FOUND', () => {
    assertRefused(() => when(signedOff(), seal(), context({ actor: { ...sealKeeper, unitId: 'hf-gov-office' } })), 'NOT_FOUND');
  });

  const unusable: [string, Partial<DocumentContext>, RegExp, string?][] = [
    ['an unknown seal', { seal: undefined }, /印章不存在/],
    ['a seal of another unit', { seal: { ...activeSeal, unitId: 'hf-gov-office' } }, /不能加盖在本单位/],
    ['a revoked seal', { seal: { ...activeSeal, status: 'revoked' } }, /已注销/],
    ['a destroyed seal', { seal: { ...activeSeal, status: 'destroyed' } }, /已销毁/],
    ['a replaced seal', { seal: { ...activeSeal, status: 'replaced' } }, /已更换/],
    ['a seal not yet valid', { seal: { ...activeSeal, validFrom: '2025-03-10T00:00:00+08:00' } }, /尚不能使用/],
    ['an expired seal', { seal: { ...activeSeal, validTo: '2025-03-09T09:59:59+08:00' } }, /过期/],
    ['a seal other than the one the command names', {}, /印章不存在/, 'seal-someone-else'],
  ];
  for (const [what, ctx, pattern, sealId] of unusable) {
    test(`refuses ${what}: SEAL_NOT_USABLE`, () => {
      assertRefused(() => when(signedOff(), seal(sealId), context({ actor: sealKeeper, ...ctx })), 'SEAL_NOT_USABLE', pattern);
    });
  }

  test('a seal valid until exactly now still seals', () => {
    assert.equal(when(signedOff(), seal(), context({ actor: sealKeeper, seal: { ...activeSeal, validTo: NOW } })).length, 2);
  });

  test('refuses a signature over another digest (an earlier draft, another document): SIGNATURE_INVALID', () => {
    const history = signedOff();
    const otherNumber = { prefix: '阜政办', year: 2025, number: 13, docNumber: '阜政办〔2025〕13号' };
    const wrong = sealSignature(given(history), otherNumber);
    assertRefused(() => when(history, seal(), context({ actor: sealKeeper, signature: wrong })), 'SIGNATURE_INVALID', /签名验证未通过/);
  });

  test('refuses a signature by another key over the right digest: SIGNATURE_INVALID', () => {
    const history = signedOff();
    const otherKey = '1'.repeat(64);
    const byOther = sealSignature(given(history), number12, otherKey);
    assertRefused(() => when(history, seal(), context({ actor: sealKeeper, signature: byOther })), 'SIGNATURE_INVALID');
  });

  test('refuses a malformed signature value: SIGNATURE_INVALID 格式有误', () => {
    assertRefused(() => when(signedOff(), seal(), context({ actor: sealKeeper, signature: 'abcdef' })), 'SIGNATURE_INVALID', /格式有误/);
  });

  test('a raw r‖s signature is accepted and recorded in DER', () => {
    const history = signedOff();
    const der = sealSignature(given(history), number12);
    // DER: 30 len 02 lr r 02 ls s; take r and s out and left-pad each to 32 bytes.
    const bytes = Buffer.from(der, 'hex');
    const rLen = bytes[3]!;
    const r = bytes.subarray(4, 4 + rLen);
    const s = bytes.subarray(6 + rLen);
    const raw = Buffer.concat([r, s].map((x) => Buffer.concat([Buffer.alloc(32), x.subarray(x.length > 32 ? x.length - 32 : 0)]).subarray(-32))).toString('hex');
    const events = when(history, seal(), context({ actor: sealKeeper, signature: raw.toUpperCase() }));
    assert.equal((events[1]!.data as { signature: string }).signature, der);
  });

  test('refuses a number of another prefix, or a malformed one: INVALID_STATE', () => {
    const otherPrefix = { prefix: '阜政办函', year: 2025, number: 3, docNumber: '阜政办函〔2025〕3号' };
    assertRefused(() => when(signedOff(), seal(), context({ actor: sealKeeper, number: otherPrefix })), 'INVALID_STATE', /机关代字/);
    const padded = { ...number12, docNumber: '阜政办〔2025〕012号' };
    assertRefused(() => when(signedOff(), seal(), context({ actor: sealKeeper, number: padded })), 'INVALID_STATE', /不符/);
  });

  test('a document numbered earlier keeps its number: the same number seals, another is refused', () => {
    const numbered: DocumentEvent = { type: 'DocumentNumbered', data: { documentId: DOC, issuerUnitId: ISSUER, ...number12 } };
    const history = [...signedOff(), numbered];
    assert.deepEqual(
      when(history, seal(), asKeeper).map((e) => e.type),
      ['DocumentSealed'],
    );
    const other = { prefix: '阜政办', year: 2025, number: 13, docNumber: '阜政办〔2025〕13号' };
    assertRefused(() => when(history, seal(), context({ actor: sealKeeper, number: other })), 'INVALID_STATE', /已编号为 阜政办〔2025〕12号/);
  });

  test('a handler that forgets the number fails loudly', () => {
    const ctx = context({ actor: sealKeeper });
    delete ctx.number;
    assert.throws(() => when(signedOff(), seal(), ctx), /context\.number/);
  });
});

describe('SendDocument', () => {
  test('sends to main then cc recipients, with what their inboxes need', () => {
    const history = sealed();
    const events = when(history, send());
    assert.deepEqual(events, [
      {
        type: 'DocumentSent',
        data: {
          documentId: DOC,
          issuerUnitId: ISSUER,
          recipients: [
            { unitId: COUNTY_A, kind: 'main' },
            { unitId: COUNTY_B, kind: 'main' },
            { unitId: BUREAU, kind: 'cc' },
          ],
          title: draftInput.title,
          docNumber: '阜政办〔2025〕12号',
          docType: '通知',
          urgency: '加急',
          contentDigest: record(history).sealing!.contentDigest,
          sentBy: clerk.userId,
          sentAt: NOW,
        },
      },
    ]);
    assert.equal(given([...history, ...events]).status, 'sent');
  });

  test('refuses before sealing, saying what must happen first: INVALID_STATE', () => {
    assertRefused(() => when(drafted(), send()), 'INVALID_STATE', /须先签发、盖章/);
    assertRefused(() => when(signedOff(), send()), 'INVALID_STATE', /须先盖章/);
  });

  test('refuses a second sending, and sending a recalled document: INVALID_STATE', () => {
    assertRefused(() => when(sent(), send()), 'INVALID_STATE', /已核发/);
    assertRefused(() => when(recalled(), send()), 'INVALID_STATE', /已撤回/);
  });

  test('refuses when a recipient is no longer active, naming it: RECIPIENT_INVALID', () => {
    const ctx = context({ unitStatus: (u) => (u === COUNTY_B ? 'inactive' : u === BUREAU ? undefined : 'active') });
    const refusal = assertRefused(() => when(sealed(), send(), ctx), 'RECIPIENT_INVALID', new RegExp(`${COUNTY_B} 已停用.*${BUREAU} 未在系统中注册`));
    assert.equal((refusal.details.problems as unknown[]).length, 2);
  });

  test('refuses another unit: NOT_FOUND', () => {
    assertRefused(() => when(sealed(), send(), context({ actor: outsider })), 'NOT_FOUND');
  });
});

describe('RecallDocument', () => {
  test('recalls a sent document no one has signed for', () => {
    const events = when(sent(), recall('主送单位有误'));
    assert.deepEqual(events, [
      {
        type: 'DocumentRecalled',
        data: {
          documentId: DOC,
          issuerUnitId: ISSUER,
          reason: '主送单位有误',
          recipients: [COUNTY_A, COUNTY_B, BUREAU],
          recalledBy: clerk.userId,
          recalledAt: NOW,
        },
      },
    ]);
    assert.equal(given([...sent(), ...events]).status, 'recalled');
  });

  test('refuses once a recipient has signed, naming the units: INVALID_STATE', () => {
    const refusal = assertRefused(
      () => when(sent(), recall(), context({ signedRecipients: [COUNTY_B, BUREAU] })),
      'INVALID_STATE',
      new RegExp(`已有单位签收，不能撤回：${COUNTY_B}、${BUREAU}`),
    );
    assert.deepEqual(refusal.details.signedRecipients, [COUNTY_B, BUREAU]);
  });

  test('refuses before sending, and a second recall: INVALID_STATE', () => {
    assertRefused(() => when(sealed(), recall()), 'INVALID_STATE', /须先核发/);
    assertRefused(() => when(drafted(), recall()), 'INVALID_STATE', /须先核发/);
    assertRefused(() => when(recalled(), recall()), 'INVALID_STATE', /已撤回/);
  });

  test('refuses another unit (NOT_FOUND) and a recipient (NOT_AUTHORISED), naming no issuer', () => {
    assertRefused(() => when(sent(), recall(), context({ actor: outsider })), 'NOT_FOUND');
    const r = assertRefused(() => when(sent(), recall(), context({ actor: { ...outsider, unitId: COUNTY_A } })), 'NOT_AUTHORISED');
    assert.equal(JSON.stringify(r.details).includes(ISSUER), false);
  });

  test('a handler that did not read the deliveries fails loudly instead of assuming nobody signed', () => {
    const ctx = context();
    delete ctx.signedRecipients;
    assert.throws(() => when(sent(), recall(), ctx), /context\.signedRecipients/);
  });
});

describe('FileDocument', () => {
  test('files a sent document with what the catalog row needs', () => {
    const history = sent();
    const state = record(history);
    const events = when(history, file({ remarks: '正本' }), context({ actor: archivist }));
    assert.deepEqual(events, [
      {
        type: 'DocumentFiled',
        data: {
          documentId: DOC,
          issuerUnitId: ISSUER,
          retention: 'D30',
          fondsCode: '0194',
          organisationCode: 'BGS',
          pages: 3,
          remarks: '正本',
          title: draftInput.title,
          docNumber: '阜政办〔2025〕12号',
          docType: '通知',
          classification: '非密',
          year: 2025,
          documentDate: state.signOff!.signedOffAt,
          contentDigest: state.sealing!.contentDigest,
          recalled: false,
          filedBy: archivist.userId,
          filedAt: NOW,
        },
      },
    ]);
  });

  test('files a recalled document, marked as recalled', () => {
    const [e] = when(recalled(), file({ retention: 'D10', organisationCode: '办公室' }));
    assert.equal((e!.data as { recalled: boolean }).recalled, true);
    assert.equal((e!.data as { organisationCode: string }).organisationCode, '办公室');
  });

  test('refuses before sending: INVALID_STATE', () => {
    assertRefused(() => when(sealed(), file()), 'INVALID_STATE', /须先核发/);
    assertRefused(() => when(drafted(), file()), 'INVALID_STATE', /须先核发/);
  });

  test('refuses another unit: NOT_FOUND', () => {
    assertRefused(() => when(sent(), file(), context({ actor: outsider })), 'NOT_FOUND');
  });

  test('filing is terminal: every later command is refused with INVALID_STATE 已归档', () => {
    const history = filed();
    assert.equal(given(history).status, 'filed');
    const later: [DocumentCommand, DocumentContext][] = [
      [revise({ title: '新标题' }), context()],
      [signOff(), asLeader],
      [seal(), asKeeper],
      [send(), context()],
      [recall(), context()],
      [file(), context({ actor: archivist })],
    ];
    for (const [cmd, ctx] of later) assertRefused(() => when(history, cmd, ctx), 'INVALID_STATE', /已归档/);
    assertRefused(() => when(history, draft()), 'ALREADY_EXISTS');
  });
});

describe('the whole lifecycle', () => {
  test('draft → revise → sign off → seal → send → file, each step by its own person', () => {
    const steps: [DocumentCommand, DocumentContext, string[]][] = [
      [draft(), context({ actor: clerk }), ['DocumentDrafted']],
      [revise({ title: '关于做好2025年春季森林防火和安全生产工作的通知' }), context({ actor: clerk }), ['DraftRevised']],
      [signOff('同意印发'), asLeader, ['DocumentSignedOff']],
      [seal(), asKeeper, ['DocumentNumbered', 'DocumentSealed']],
      [send(), context({ actor: clerk }), ['DocumentSent']],
      [file({ retention: 'Y' }), context({ actor: archivist }), ['DocumentFiled']],
    ];
    const statuses: string[] = [];
    let history: DocumentEvent[] = [];
    for (const [cmd, ctx, types] of steps) {
      const events = when(history, cmd, ctx);
      assert.deepEqual(
        events.map((e) => e.type),
        types,
      );
      history = [...history, ...events];
      statuses.push(given(history).status);
    }
    assert.deepEqual(statuses, ['drafted', 'drafted', 'signedOff', 'sealed', 'sent', 'filed']);
    const final = record(history);
    assert.equal(final.content.title, '关于做好2025年春季森林防火和安全生产工作的通知');
    assert.equal(final.number?.docNumber, '阜政办〔2025〕12号');
    assert.equal(final.filing?.retention, 'Y');
    // The sealed digest covers the revised title, not the first one.
    assert.equal(final.sealing?.contentDigest, contentDigest(sealedContent(final, number12)));
  });
});

describe('evolve', () => {
  test('refuses to fold a stream that does not begin with DocumentDrafted', () => {
    const [signed] = when(drafted(), signOff(), asLeader);
    assert.throws(() => given([signed!]), /inconsistent/);
  });

  test('refuses to fold events after DocumentFiled', () => {
    const history = filed();
    assert.throws(() => given([...history, history[history.length - 1]!]), /after DocumentFiled/);
  });
});

describe('schemas', () => {
  test('the DocumentDrafted schema itself rejects a classified document', () => {
    const [e] = drafted();
    assert.equal(DocumentDrafted.data.safeParse({ ...(e!.data as object), classification: '秘密' }).success, false);
  });

  test('DraftDocument defaults urgency, classification, attachments and cc', () => {
    const { data } = command(DraftDocument, {
      commandId: 'cmd-draft-0002',
      documentId: 'doc-2',
      title: '关于召开会议的通知',
      docType: '通知',
      body: '正文',
      mainRecipients: [COUNTY_A],
      docNumberPrefix: '阜政办',
    });
    assert.equal(data.urgency, '平件');
    assert.equal(data.classification, '非密');
    assert.deepEqual(data.attachments, []);
    assert.deepEqual(data.ccRecipients, []);
  });

  test('commands reject unknown fields, a wrong docType, a blank body and an empty revision', () => {
    assert.equal(DraftDocument.input.safeParse({ ...draftInput, mainRecipent: [COUNTY_A] }).success, false);
    assert.equal(DraftDocument.input.safeParse({ ...draftInput, docType: '便函' }).success, false);
    assert.equal(DraftDocument.input.safeParse({ ...draftInput, body: '　　 \n' }).success, false);
    assert.equal(DraftDocument.input.safeParse({ ...draftInput, commandId: undefined }).success, false);
    assert.equal(ReviseDraft.input.safeParse({ commandId: 'cmd-revise-0002', documentId: DOC }).success, false);
  });
});
