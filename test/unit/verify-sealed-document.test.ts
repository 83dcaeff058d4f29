import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentDigest, type SealedContent } from '../../src/domain/document/sealed-content.ts';
import { ledgerKeyFromPrivateKey } from '../../src/integrity/ledger-key.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { generateSm2KeyPair, sm2Sign } from '../../src/integrity/sm2.ts';
import { sealRecordDigest } from '../../src/seal/seal-record-digest.ts';
import { buildSealInfo, signSealRecord } from '../../src/seal/seal-record.ts';
import { verifySealedDocument, type SealEvidence, type SealProblemCode } from '../../src/seal/verify-sealed-document.ts';

/**
 * Every reason a seal can fail verification, each produced by changing one thing of a genuine
 * sealing: the verdict names exactly that reason.
 */

const issuer = ledgerKeyFromPrivateKey('5'.repeat(64));
const sealKey = generateSm2KeyPair();
const attachment = Buffer.from('%PDF-1.7 附件');

const content: SealedContent = {
  documentId: 'doc-1',
  issuerUnitId: 'city-office',
  docNumber: '阜政办〔2026〕7号',
  title: '关于推进电子印章应用的通知',
  docType: '通知',
  urgency: '平件',
  classification: '非密',
  body: '　　现就电子印章应用有关事项通知如下。',
  attachments: [{ name: '方案.pdf', size: attachment.length, sm3: sm3Hex(attachment) }],
  recipients: { main: ['edu'], cc: [] },
  remarks: null,
  signOff: { signedOffBy: 'leader', signedOffAt: '2026-03-02T01:00:00.000Z', opinion: '同意' },
};

function sealWith(opts: { unitId?: string; validFrom?: string; validTo?: string; key?: typeof sealKey } = {}) {
  const key = opts.key ?? sealKey;
  const record = signSealRecord(
    buildSealInfo({
      sealId: 'office-seal',
      unitId: opts.unitId ?? 'city-office',
      name: '阜阳市人民政府办公室',
      sealType: '单位公章',
      publicKey: key.publicKeyHex,
      validFrom: opts.validFrom ?? '2026-01-01T00:00:00.000Z',
      validTo: opts.validTo ?? '2028-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      keyCustody: 'server',
    }),
    issuer,
  );
  return record;
}

function genuine(over: { record?: ReturnType<typeof sealWith>; content?: SealedContent } = {}): SealEvidence {
  const record = over.record ?? sealWith();
  const digest = contentDigest(content);
  return {
    content: over.content ?? content,
    sealing: {
      documentId: 'doc-1',
      issuerUnitId: 'city-office',
      sealId: 'office-seal',
      docNumber: content.docNumber,
      contentDigest: digest,
      digestAlgorithm: 'SM3',
      digestAlgorithmOid: '1.2.156.10197.1.401',
      signature: sm2Sign(sealKey.privateKeyHex, Buffer.from(digest, 'hex')),
      signatureAlgorithm: '1.2.156.10197.1.501',
      sealPublicKey: record.sealInfo.property.certList[0],
      sealRecordDigest: sealRecordDigest(record),
      keyCustody: 'server',
      sealedBy: 'keeper',
      sealedAt: '2026-03-02T02:00:00.000Z',
    },
    sealRecord: record,
    sealHistory: [{ status: 'issued', at: '2026-01-01T00:00:00.000Z' }],
    attachmentBytes: new Map([[sm3Hex(attachment), attachment]]),
  };
}

const codes = (e: SealEvidence, trusted = [issuer.publicKeyHex]): SealProblemCode[] => verifySealedDocument(e, trusted).problems.map((p) => p.code);

describe('verifySealedDocument', () => {
  test('a genuine sealing is valid', () => {
    const v = verifySealedDocument(genuine(), [issuer.publicKeyHex]);
    assert.equal(v.valid, true);
    assert.deepEqual(v.problems, []);
    assert.equal(v.contentDigest, v.recomputedDigest);
  });

  test('content changed after sealing: CONTENT_CHANGED', () => {
    assert.deepEqual(codes(genuine({ content: { ...content, body: `${content.body}又及。` } })), ['CONTENT_CHANGED']);
    assert.deepEqual(codes(genuine({ content: { ...content, recipients: { main: ['edu', 'fin'], cc: [] } } })), ['CONTENT_CHANGED']);
  });

  test('attachment bytes changed or missing: ATTACHMENT_CHANGED / ATTACHMENT_MISSING', () => {
    const e = genuine();
    assert.deepEqual(codes({ ...e, attachmentBytes: new Map([[content.attachments[0]!.sm3, Buffer.from('%PDF-1.7 别的')]]) }), ['ATTACHMENT_CHANGED']);
    assert.deepEqual(codes({ ...e, attachmentBytes: new Map() }), ['ATTACHMENT_MISSING']);
  });

  test('a signature by another key, or over another digest: SIGNATURE_INVALID', () => {
    const e = genuine();
    const other = generateSm2KeyPair();
    assert.deepEqual(codes({ ...e, sealing: { ...e.sealing, signature: sm2Sign(other.privateKeyHex, Buffer.from(e.sealing.contentDigest, 'hex')) } }), ['SIGNATURE_INVALID']);
    assert.deepEqual(codes({ ...e, sealing: { ...e.sealing, signature: sm2Sign(sealKey.privateKeyHex, Buffer.from('0'.repeat(64), 'hex')) } }), ['SIGNATURE_INVALID']);
  });

  test('a seal record by an untrusted issuer, or altered: UNTRUSTED_ISSUER / SEAL_RECORD_INVALID', () => {
    assert.deepEqual(codes(genuine(), [generateSm2KeyPair().publicKeyHex]), ['UNTRUSTED_ISSUER']);
    const e = genuine();
    const altered = { ...e.sealRecord, sealInfo: { ...e.sealRecord.sealInfo, property: { ...e.sealRecord.sealInfo.property, validEnd: '2099-01-01T00:00:00.000Z' } } };
    // The altered record is no longer the one the sealing named either.
    assert.deepEqual(codes({ ...e, sealRecord: altered }), ['SEAL_RECORD_INVALID', 'SEAL_RECORD_MISMATCH']);
  });

  test('a seal of another unit: SEAL_OF_ANOTHER_UNIT', () => {
    const record = sealWith({ unitId: 'edu' });
    assert.deepEqual(codes(genuine({ record })), ['SEAL_OF_ANOTHER_UNIT']);
  });

  test('sealed outside the validity: SEAL_NOT_VALID_AT_SEALING_TIME', () => {
    assert.deepEqual(codes(genuine({ record: sealWith({ validTo: '2026-03-01T00:00:00.000Z' }) })), ['SEAL_NOT_VALID_AT_SEALING_TIME']);
    assert.deepEqual(codes(genuine({ record: sealWith({ validFrom: '2026-04-01T00:00:00.000Z' }) })), ['SEAL_NOT_VALID_AT_SEALING_TIME']);
  });

  test('revoked before the sealing is invalid; revoked after it is a note', () => {
    const e = genuine();
    const before = { ...e, sealHistory: [...e.sealHistory, { status: 'revoked' as const, at: '2026-03-01T00:00:00.000Z', reason: '密钥泄露' }] };
    assert.deepEqual(codes(before), ['SEAL_REVOKED_BEFORE_SEALING']);
    const later = verifySealedDocument({ ...e, sealHistory: [...e.sealHistory, { status: 'destroyed' as const, at: '2026-05-01T00:00:00.000Z' }] }, [issuer.publicKeyHex]);
    assert.equal(later.valid, true);
    assert.match(later.notes[0]!, /盖章之后.*销毁/);
  });

  test('the sealing of another document, or a key other than the record\'s: DOCUMENT_MISMATCH / KEY_MISMATCH', () => {
    const e = genuine();
    assert.ok(codes({ ...e, sealing: { ...e.sealing, documentId: 'doc-2' } }).includes('DOCUMENT_MISMATCH'));
    const other = generateSm2KeyPair();
    const sealing = { ...e.sealing, sealPublicKey: other.publicKeyHex, signature: sm2Sign(other.privateKeyHex, Buffer.from(e.sealing.contentDigest, 'hex')) };
    // The signature is checked with the record's key, never the one the sealing names.
    assert.deepEqual(codes({ ...e, sealing }), ['KEY_MISMATCH', 'SIGNATURE_INVALID']);
  });

  test('every problem has a Chinese message', () => {
    const e = genuine({ content: { ...content, body: '改' } });
    for (const p of verifySealedDocument({ ...e, sealHistory: [...e.sealHistory, { status: 'revoked', at: '2026-02-01T00:00:00.000Z' }] }, []).problems) {
      assert.match(p.message, /[\u4e00-\u9fff]/, p.code);
    }
  });
});
