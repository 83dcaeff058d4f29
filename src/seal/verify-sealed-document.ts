import type { z } from 'zod';
import type { DocumentSealed } from '../../schemas/events/document.ts';
import { contentDigest, type SealedContent } from '../domain/document/sealed-content.ts';
import { sm2Verify } from '../integrity/sm2.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import { sealRecordDigest } from './seal-record-digest.ts';
import { verifySealRecord, type SealRecord } from './seal-record.ts';

/**
 * Whether a sealed document is what its seal says it is, from public data only: the sealed
 * content, the sealing (DocumentSealed), the seal record (GB/T 38540 shape, signed by the issuer)
 * and the seal's history. The same function answers the GraphQL `verifySeal` (evidence read from
 * the ledger) and `gongwen verify-seal` (evidence read from an exported package), so both give the
 * same verdict for the same document.
 */

export type Sealing = z.infer<typeof DocumentSealed.data>;

/** The seal's life as the registry recorded it; `at` is the ledger's time of the event. */
export interface SealHistoryEntry {
  status: 'issued' | 'replaced' | 'revoked' | 'destroyed';
  at: string;
  reason?: string;
}

export interface SealEvidence {
  content: SealedContent;
  sealing: Sealing;
  sealRecord: SealRecord;
  sealHistory: readonly SealHistoryEntry[];
  /** The attachments' bytes where the verifier has them; a listed attachment without bytes is a problem. */
  attachmentBytes?: ReadonlyMap<string, Uint8Array>;
}

export type SealProblemCode =
  | 'CONTENT_CHANGED'
  | 'ATTACHMENT_CHANGED'
  | 'ATTACHMENT_MISSING'
  | 'SIGNATURE_INVALID'
  | 'SEAL_RECORD_INVALID'
  | 'UNTRUSTED_ISSUER'
  | 'SEAL_RECORD_MISMATCH'
  | 'KEY_MISMATCH'
  | 'SEAL_OF_ANOTHER_UNIT'
  | 'SEAL_REVOKED_BEFORE_SEALING'
  | 'SEAL_NOT_VALID_AT_SEALING_TIME'
  | 'DOCUMENT_MISMATCH'
  | 'PACKAGE_ALTERED'
  | 'LEDGER_PROOF_INVALID';

export interface SealProblem {
  code: SealProblemCode;
  message: string;
}

export interface SealVerification {
  valid: boolean;
  problems: SealProblem[];
  /** Facts worth knowing that do not make the seal invalid (revoked after the sealing, …). */
  notes: string[];
  documentId: string;
  docNumber: string;
  title: string;
  issuerUnitId: string;
  sealId: string;
  sealName: string;
  sealUnitId: string;
  sealedAt: string;
  sealedBy: string;
  keyCustody: string;
  contentDigest: string;
  recomputedDigest: string;
}

const ms = (iso: string) => Date.parse(iso);

const statusWord: Record<Exclude<SealHistoryEntry['status'], 'issued'>, string> = { replaced: '更换', revoked: '注销', destroyed: '销毁' };

export function verifySealedDocument(e: SealEvidence, trustedIssuerKeys: readonly string[]): SealVerification {
  const problems: SealProblem[] = [];
  const notes: string[] = [];
  const problem = (code: SealProblemCode, message: string) => problems.push({ code, message });
  const { content, sealing, sealRecord } = e;

  if (sealing.documentId !== content.documentId || sealing.docNumber !== content.docNumber || sealing.issuerUnitId !== content.issuerUnitId) {
    problem('DOCUMENT_MISMATCH', `盖章记录属于公文 ${sealing.documentId}（${sealing.docNumber}），与所验公文 ${content.documentId}（${content.docNumber}）不符 (the sealing is of another document)`);
  }

  // 1. The content is the content that was sealed.
  const recomputed = contentDigest(content);
  if (recomputed !== sealing.contentDigest) {
    problem('CONTENT_CHANGED', `公文内容已被改动：按现有内容算出的 SM3 摘要 ${recomputed.slice(0, 16)}… 与盖章时的摘要 ${sealing.contentDigest.slice(0, 16)}… 不同 (content changed after sealing)`);
  }
  for (const a of content.attachments) {
    const bytes = e.attachmentBytes?.get(a.sm3);
    if (!bytes) {
      if (e.attachmentBytes) problem('ATTACHMENT_MISSING', `附件「${a.name}」的内容缺失，无法核对 (attachment bytes missing)`);
      continue;
    }
    if (sm3Hex(bytes) !== a.sm3 || bytes.length !== a.size) problem('ATTACHMENT_CHANGED', `附件「${a.name}」的内容已被改动 (attachment changed)`);
  }

  // 2. The seal record is genuine, and is the one the sealing names.
  const record = verifySealRecord(sealRecord, trustedIssuerKeys);
  if (!record.valid) problem(record.cause === 'UNTRUSTED_ISSUER' ? 'UNTRUSTED_ISSUER' : 'SEAL_RECORD_INVALID', `印章数据无效：${record.reason}`);
  if (sealRecordDigest(sealRecord) !== sealing.sealRecordDigest) {
    problem('SEAL_RECORD_MISMATCH', '所附印章数据不是盖章时使用的印章数据 (seal record differs from the one used for sealing)');
  }
  const info = sealRecord.sealInfo;
  const sealKey = info.property.certList[0];
  if (sealKey !== sealing.sealPublicKey) problem('KEY_MISMATCH', '盖章所用公钥与印章数据中的公钥不一致 (sealing key is not the seal record\'s key)');
  if (info.esId !== sealing.sealId) problem('SEAL_RECORD_MISMATCH', `印章数据的印章编码 ${info.esId} 与盖章记录的印章 ${sealing.sealId} 不一致`);

  // 3. The signature is the seal's, over this digest.
  if (!sm2Verify(sealKey, Buffer.from(sealing.contentDigest, 'hex'), sealing.signature)) {
    problem('SIGNATURE_INVALID', '电子签名验证未通过：签名不是该印章的密钥对此摘要所作 (signature wrong)');
  }

  // 4. The seal belonged to the issuer and could seal at that moment.
  if (info.extDatas.unitId !== content.issuerUnitId) {
    problem('SEAL_OF_ANOTHER_UNIT', `印章「${info.property.name}」属于单位 ${info.extDatas.unitId}，不是发文单位 ${content.issuerUnitId} 的印章 (seal of another unit)`);
  }
  const sealedAt = ms(sealing.sealedAt);
  if (sealedAt < ms(info.property.validStart) || sealedAt > ms(info.property.validEnd)) {
    problem('SEAL_NOT_VALID_AT_SEALING_TIME', `盖章时间 ${sealing.sealedAt} 不在印章有效期（${info.property.validStart} 至 ${info.property.validEnd}）内 (outside validity)`);
  }
  for (const h of e.sealHistory) {
    if (h.status === 'issued') continue;
    const word = statusWord[h.status];
    if (ms(h.at) <= sealedAt) {
      problem('SEAL_REVOKED_BEFORE_SEALING', `印章已于 ${h.at} ${word}，早于盖章时间 ${sealing.sealedAt}${h.reason ? `（原因：${h.reason}）` : ''} (seal ${h.status} before sealing)`);
    } else {
      notes.push(`印章于盖章之后的 ${h.at} ${word}${h.reason ? `（原因：${h.reason}）` : ''}，不影响本次盖章的效力 (seal ${h.status} after sealing)`);
    }
  }

  return {
    valid: problems.length === 0,
    problems,
    notes,
    documentId: content.documentId,
    docNumber: content.docNumber,
    title: content.title,
    issuerUnitId: content.issuerUnitId,
    sealId: sealing.sealId,
    sealName: info.property.name,
    sealUnitId: info.extDatas.unitId,
    sealedAt: sealing.sealedAt,
    sealedBy: sealing.sealedBy,
    keyCustody: sealing.keyCustody,
    contentDigest: sealing.contentDigest,
    recomputedDigest: recomputed,
  };
}
