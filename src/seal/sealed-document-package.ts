import { z } from 'zod';
import { Sm3Hex, Timestamp } from '../../schemas/common.ts';
import { DocumentSealed } from '../../schemas/events/document.ts';
import { Sm2PublicKeyHex } from '../../schemas/events/seal.ts';
import type { SealedContent } from '../domain/document/sealed-content.ts';
import { canonicalJson } from '../integrity/canonical-json.ts';
import { sm2Verify } from '../integrity/sm2.ts';
import { checkLedgerProof, LedgerProofSchema, type LedgerProof } from './ledger-proof.ts';
import { SealRecordSchema } from './seal-record.ts';
import { verifySealedDocument, type SealEvidence, type SealHistoryEntry, type SealVerification } from './verify-sealed-document.ts';

/**
 * The exported sealed document (`gongwen-sealed-document`, version 1): one JSON file that carries
 * everything needed to check the seal away from the ledger — the sealed content, every attachment's
 * bytes, the sealing, the GB/T 38540 seal record and the seal's history — signed as a whole by the
 * ledger's SM2 key (SM3withSM2 over the RFC 8785 canonical JSON of every other field), so the
 * history cannot be trimmed of a revocation. The verifier trusts the ledger key it is given, never
 * the one the file names. `ledgerProof` adds the sealing event's place in the ledger's Merkle log
 * under a signed checkpoint (ledger-proof.ts): the sealing existed, as it is, by that time.
 */

export const PACKAGE_FORMAT = 'gongwen-sealed-document';

const SealedContentSchema: z.ZodType<SealedContent> = z.strictObject({
  documentId: z.string(),
  issuerUnitId: z.string(),
  docNumber: z.string(),
  title: z.string(),
  docType: z.string(),
  urgency: z.string(),
  classification: z.string(),
  body: z.string(),
  attachments: z.array(z.strictObject({ name: z.string(), size: z.number().int().nonnegative(), sm3: Sm3Hex })),
  recipients: z.strictObject({ main: z.array(z.string()), cc: z.array(z.string()) }),
  remarks: z.string().nullable(),
  signOff: z.strictObject({ signedOffBy: z.string(), signedOffAt: z.string(), opinion: z.string().nullable() }),
});

const HistorySchema: z.ZodType<SealHistoryEntry> = z.strictObject({
  status: z.enum(['issued', 'replaced', 'revoked', 'destroyed']),
  at: Timestamp,
  reason: z.string().optional(),
});

const PackageBody = z.strictObject({
  format: z.literal(PACKAGE_FORMAT),
  version: z.literal(1),
  exportedAt: Timestamp,
  content: SealedContentSchema,
  sealing: DocumentSealed.data,
  sealRecord: SealRecordSchema,
  sealHistory: z.array(HistorySchema),
  attachments: z.array(z.strictObject({ sm3: Sm3Hex, name: z.string(), mediaType: z.string(), contentBase64: z.string() })),
  ledger: z.strictObject({ publicKey: Sm2PublicKeyHex, keyId: z.string() }),
  ledgerProof: LedgerProofSchema,
});

export const SealedDocumentPackageSchema = PackageBody.extend({ ledgerSignature: z.string().regex(/^[0-9a-f]+$/) });
export type SealedDocumentPackage = z.infer<typeof SealedDocumentPackageSchema>;
type PackageBody = z.infer<typeof PackageBody>;

export interface PackageInput {
  evidence: SealEvidence;
  attachments: { sm3: string; name: string; mediaType: string; bytes: Uint8Array }[];
  ledgerProof: LedgerProof;
  exportedAt: string;
}

export function buildSealedDocumentPackage(input: PackageInput, ledger: { publicKeyHex: string; keyId: string; sign(message: string): string }): SealedDocumentPackage {
  const { evidence } = input;
  const body: PackageBody = {
    format: PACKAGE_FORMAT,
    version: 1,
    exportedAt: input.exportedAt,
    content: evidence.content,
    sealing: evidence.sealing,
    sealRecord: evidence.sealRecord,
    sealHistory: [...evidence.sealHistory],
    attachments: input.attachments.map((a) => ({ sm3: a.sm3, name: a.name, mediaType: a.mediaType, contentBase64: Buffer.from(a.bytes).toString('base64') })),
    ledger: { publicKey: ledger.publicKeyHex, keyId: ledger.keyId },
    ledgerProof: input.ledgerProof,
  };
  return { ...body, ledgerSignature: ledger.sign(canonicalJson(body)) };
}

export interface PackageVerification extends SealVerification {
  /** Whether the package itself is the ledger's (signature by a trusted ledger key). */
  packageSigned: boolean;
  /** The signed checkpoint the sealing is proven in, when the proof holds. */
  ledgerProof: { treeSize: number; checkpointAt: string } | null;
}

/**
 * Reads and checks an exported file: its form, the ledger's signature over it by one of the trusted
 * keys, then the seal itself (verifySealedDocument, the same check as the ledger's own verifySeal).
 */
export function verifySealedDocumentPackage(text: string, trustedLedgerKeys: readonly string[]): PackageVerification | { valid: false; malformed: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { valid: false, malformed: '文件不是有效的 JSON (not JSON)' };
  }
  const parsed = SealedDocumentPackageSchema.safeParse(json);
  if (!parsed.success) {
    return { valid: false, malformed: `文件不是公文盖章数据包 (${PACKAGE_FORMAT} v1)：${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const pkg = parsed.data;
  const { ledgerSignature, ...body } = pkg;
  const trusted = trustedLedgerKeys.map((k) => k.toLowerCase());
  const packageSigned = trusted.includes(pkg.ledger.publicKey) && sm2Verify(pkg.ledger.publicKey, canonicalJson(body), ledgerSignature);
  const bytes = new Map(pkg.attachments.map((a) => [a.sm3, Buffer.from(a.contentBase64, 'base64')] as const));
  const result = verifySealedDocument(
    { content: pkg.content, sealing: pkg.sealing, sealRecord: pkg.sealRecord, sealHistory: pkg.sealHistory, attachmentBytes: bytes },
    trusted,
  );
  if (!packageSigned) {
    const known = trusted.includes(pkg.ledger.publicKey);
    result.problems.push({
      code: known ? 'PACKAGE_ALTERED' : 'UNTRUSTED_ISSUER',
      message: known
        ? '数据包的账本签名验证未通过：文件在导出后被改动过 (package signature wrong: the file was altered after export)'
        : `数据包由未经确认的账本密钥（${pkg.ledger.keyId}）签名，请用 --issuer-key 指定可信的账本公钥 (package signed by an untrusted key)`,
    });
  }
  const proof = checkLedgerProof(pkg.ledgerProof, pkg.sealing, trusted);
  if (!proof.ok) result.problems.push({ code: 'LEDGER_PROOF_INVALID', message: `账本存证验证未通过：${proof.reason}` });
  return {
    ...result,
    valid: result.problems.length === 0,
    packageSigned,
    ledgerProof: proof.ok ? { treeSize: proof.treeSize, checkpointAt: proof.checkpointAt } : null,
  };
}
