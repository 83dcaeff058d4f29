import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldIssuing, type IssuingEvent, type IssuingRow } from '../../projections/issuing/fold.ts';

/** The issuing work lists' fold: which stage (and so whose list) each event puts a document in. */
const key = { documentId: 'd1', issuerUnitId: 'edu' };
const drafted = {
  type: 'DocumentDrafted',
  data: { ...key, title: '关于开展安全检查的通知', docType: '通知', urgency: '平件', classification: '非密', body: '正文', attachments: [], mainRecipients: ['fin'], ccRecipients: [], docNumberPrefix: '阜教', draftedBy: 'edu-clerk', draftedAt: '2026-03-02T01:00:00.000Z' },
} as IssuingEvent;

const fold = (events: IssuingEvent[]) => events.reduce<IssuingRow | undefined>((row, e) => foldIssuing(row, e), undefined);

test('draft → sign-off → seal → send: one stage after another, each with when it began', () => {
  const signedOff = { type: 'DocumentSignedOff', data: { ...key, signedOffBy: 'edu-leader', signedOffAt: '2026-03-02T02:00:00.000Z' } } as IssuingEvent;
  const sealed = { type: 'DocumentSealed', data: { ...key, docNumber: '阜教〔2026〕1号', sealId: 'edu-seal', sealedBy: 'edu-keeper', sealedAt: '2026-03-02T03:00:00.000Z' } } as IssuingEvent;
  const sent = { type: 'DocumentSent', data: { ...key, sentAt: '2026-03-02T04:00:00.000Z' } } as IssuingEvent;
  const stages = [[drafted], [drafted, signedOff], [drafted, signedOff, sealed], [drafted, signedOff, sealed, sent]].map((events) => {
    const row = fold(events)!;
    return [row.stage, row.stageSince];
  });
  assert.deepEqual(stages, [
    ['drafted', '2026-03-02T01:00:00.000Z'],
    ['signed_off', '2026-03-02T02:00:00.000Z'],
    ['sealed', '2026-03-02T03:00:00.000Z'],
    ['sent', '2026-03-02T04:00:00.000Z'],
  ]);
  assert.equal(fold([drafted, signedOff, sealed])!.docNumber, '阜教〔2026〕1号');
});

test('a revision that voids the sign-off puts the draft back in drafting; one that does not keeps its stage and its wait', () => {
  const signedOff = { type: 'DocumentSignedOff', data: { ...key, signedOffBy: 'edu-leader', signedOffAt: '2026-03-02T02:00:00.000Z' } } as IssuingEvent;
  const revise = (signOffVoided: boolean, at: string) =>
    ({ type: 'DraftRevised', data: { ...key, changes: { title: '新标题', urgency: '特急' }, signOffVoided, revisedBy: 'edu-clerk', revisedAt: at } }) as IssuingEvent;
  const voided = fold([drafted, signedOff, revise(true, '2026-03-02T05:00:00.000Z')])!;
  assert.deepEqual([voided.stage, voided.stageSince, voided.signOffVoided, voided.signedOffBy, voided.title, voided.urgency], ['drafted', '2026-03-02T05:00:00.000Z', true, null, '新标题', '特急']);
  const plain = fold([drafted, revise(false, '2026-03-02T05:00:00.000Z')])!;
  assert.deepEqual([plain.stage, plain.stageSince, plain.signOffVoided, plain.lastRevisedAt], ['drafted', '2026-03-02T01:00:00.000Z', false, '2026-03-02T05:00:00.000Z']);
  // Signed again: off the drafting list, the void forgotten.
  const again = foldIssuing(voided, { type: 'DocumentSignedOff', data: { ...key, signedOffBy: 'edu-leader', signedOffAt: '2026-03-02T06:00:00.000Z' } } as IssuingEvent)!;
  assert.deepEqual([again.stage, again.signOffVoided], ['signed_off', false]);
});

test('an event of a document the feed never showed drafted makes no row', () => {
  assert.equal(foldIssuing(undefined, { type: 'DocumentSealed', data: { ...key, docNumber: '阜教〔2026〕9号', sealId: 's', sealedBy: 'k', sealedAt: '2026-03-02T03:00:00.000Z' } } as IssuingEvent), undefined);
});
