import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sm3 as independentSm3 } from 'sm-crypto-v2';
import { canonicalSealedContent, contentDigest, sealedContent, type DocumentRecord } from '../../../src/domain/document/index.ts';

const a = 'a'.repeat(64);

const doc: DocumentRecord = {
  status: 'signedOff',
  documentId: 'doc-1',
  issuerUnitId: 'fy-gov-office',
  draftedBy: 'clerk-wang',
  draftedAt: '2025-03-08T01:00:00Z',
  content: {
    title: '关于春季防火的通知',
    docType: '通知',
    urgency: '特急',
    classification: '非密',
    body: '　　正文。',
    attachments: [{ name: '附件.pdf', mediaType: 'application/pdf', size: 10, sm3: a }],
    mainRecipients: ['county-b', 'county-a'],
    ccRecipients: [],
    docNumberPrefix: '阜政办',
    signerNote: '请李市长审签',
  },
  signOff: { signedOffBy: 'leader-li', signedOffAt: '2025-03-09T02:00:00Z' },
};
const number = { docNumber: '阜政办〔2025〕12号' };

describe('sealedContent and contentDigest', () => {
  test('the canonical form is RFC 8785: sorted keys, no spaces, nulls for absent values, recipients in their order', () => {
    assert.equal(
      canonicalSealedContent(sealedContent(doc, number)),
      '{"attachments":[{"name":"附件.pdf","size":10,"sm3":"' +
        a +
        '"}],"body":"　　正文。","classification":"非密","docNumber":"阜政办〔2025〕12号","docType":"通知","documentId":"doc-1",' +
        '"issuerUnitId":"fy-gov-office","recipients":{"cc":[],"main":["county-b","county-a"]},"remarks":null,' +
        '"signOff":{"opinion":null,"signedOffAt":"2025-03-09T02:00:00Z","signedOffBy":"leader-li"},"title":"关于春季防火的通知","urgency":"特急"}',
    );
  });

  test('the digest is SM3 of the canonical UTF-8 text (checked against an independent SM3)', () => {
    const content = sealedContent(doc, number);
    const digest = contentDigest(content);
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.equal(digest, independentSm3(canonicalSealedContent(content)));
  });

  test('every sealed field is covered: changing any one changes the digest', () => {
    const base = contentDigest(sealedContent(doc, number));
    const variants: DocumentRecord[] = [
      { ...doc, documentId: 'doc-2' },
      { ...doc, issuerUnitId: 'other-unit' },
      { ...doc, content: { ...doc.content, title: '关于秋季防火的通知' } },
      { ...doc, content: { ...doc.content, docType: '通报' } },
      { ...doc, content: { ...doc.content, urgency: '加急' } },
      { ...doc, content: { ...doc.content, body: '　　正文！' } },
      { ...doc, content: { ...doc.content, attachments: [{ ...doc.content.attachments[0]!, sm3: 'b'.repeat(64) }] } },
      { ...doc, content: { ...doc.content, attachments: [{ ...doc.content.attachments[0]!, name: '附件一.pdf' }] } },
      { ...doc, content: { ...doc.content, attachments: [{ ...doc.content.attachments[0]!, size: 11 }] } },
      { ...doc, content: { ...doc.content, mainRecipients: ['county-a', 'county-b'] } },
      { ...doc, content: { ...doc.content, mainRecipients: ['county-b'], ccRecipients: ['county-a'] } },
      { ...doc, content: { ...doc.content, remarks: '此件公开发布' } },
      { ...doc, signOff: { ...doc.signOff!, signedOffBy: 'leader-zhang' } },
      { ...doc, signOff: { ...doc.signOff!, opinion: '同意' } },
      { ...doc, signOff: { ...doc.signOff!, signedOffAt: '2025-03-10T02:00:00Z' } },
    ];
    const digests = variants.map((v) => contentDigest(sealedContent(v, number)));
    for (const d of digests) assert.notEqual(d, base);
    assert.equal(new Set(digests).size, variants.length);
    assert.notEqual(contentDigest(sealedContent(doc, { docNumber: '阜政办〔2025〕13号' })), base);
  });

  test('what the seal does not cover (internal notes, media type, who drafted) leaves the digest alone', () => {
    const base = contentDigest(sealedContent(doc, number));
    const same: DocumentRecord = {
      ...doc,
      draftedBy: 'clerk-zhou',
      content: { ...doc.content, signerNote: '急', attachments: [{ ...doc.content.attachments[0]!, mediaType: 'application/octet-stream' }] },
    };
    assert.equal(contentDigest(sealedContent(same, number)), base);
  });

  test('there is no sealed content without a sign-off', () => {
    const { signOff: _, ...unsigned } = doc;
    assert.throws(() => sealedContent({ ...unsigned, status: 'drafted' }, number), /no sign-off/);
  });
});
