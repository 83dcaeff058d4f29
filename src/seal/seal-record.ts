import { z } from 'zod';
import { canonicalJson } from '../integrity/canonical-json.ts';
import { isValidSm2PublicKey, OID, verifySm2Signature } from '../integrity/sm2.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import { DEFAULT_SEAL_DIAMETER_MM, sealPictureSvg } from './seal-picture.ts';

/**
 * The seal record (电子印章数据): the JSON equivalent of GB/T 38540-2020's SES_Seal, version 4.
 * The city office (制章者) signs the seal's particulars once, when it issues the seal; whoever
 * checks a sealed document later checks this record first — is the seal one the office made, with
 * this key, this name, this period — then the document's signature under the key it carries.
 *
 * Field by field (GB/T 38540 ASN.1 → here):
 *
 *   SES_Seal ::= SEQUENCE {                              SealRecord {
 *     eSealInfo   SES_SealInfo,                            sealInfo
 *     cert        OCTET STRING,    -- 制章者证书            issuerPublicKey, issuerKeyId   (see "differs" 2)
 *     signAlgID   OBJECT IDENTIFIER,                       signAlgId = '1.2.156.10197.1.501' (SM3withSM2)
 *     signedValue BIT STRING }     -- 制章者签名            signedValue: SM2 signature, DER (r, s), hex
 *
 *   SES_SealInfo ::= SEQUENCE {                          SealInfo {
 *     header   SES_Header,                                header
 *     esID     IA5String,                                 esId: the ledger's sealId
 *     property SES_ESPropertyInfo,                        property
 *     picture  SES_ESPictrueInfo,                         picture
 *     extDatas ExtensionDatas OPTIONAL }                  extDatas
 *
 *   SES_Header ::= SEQUENCE {                            header {
 *     id IA5String,       -- "ES"                         id: 'ES'
 *     version INTEGER,    -- 4                            version: 4
 *     vid IA5String }     -- 厂商标识                      vid: 'GongwenLedger'
 *
 *   SES_ESPropertyInfo ::= SEQUENCE {                    property {
 *     type INTEGER,       -- 1 单位印章, 2 个人印章          type: 1
 *     name UTF8String,                                    name: the seal's name as engraved
 *     certListType INTEGER, -- 1 证书, 2 证书杂凑           certListType: 'SM2PublicKey'     (see "differs" 2)
 *     certList SES_CertList,                              certList: [the seal's SM2 public key, 04‖x‖y hex]
 *     createDate GeneralizedTime,                         createDate  ┐
 *     validStart GeneralizedTime,                         validStart  ├ ISO 8601 with offset
 *     validEnd GeneralizedTime }                          validEnd    ┘
 *
 *   SES_ESPictrueInfo ::= SEQUENCE {                     picture {
 *     type IA5String,     -- "GIF" "PNG" "JPG" …          type: 'SVG'
 *     data OCTET STRING,                                  data: base64 of the SVG's UTF-8 (seal-picture.ts)
 *     width INTEGER,      -- mm                           width: mm
 *     height INTEGER }    -- mm                           height: mm
 *
 *   ExtensionDatas ::= SEQUENCE OF ExtData               extDatas: { unitId, sealType, keyCustody }
 *     (extnID OID, critical BOOLEAN, extnValue OCTET STRING) — named keys instead of OIDs
 *
 * What differs, and why:
 *   1. Encoding. JSON canonicalised by RFC 8785 (canonical-json.ts) instead of DER: the record
 *      lives inside a ledger event, which is JSON hashed in that form; signedValue is the SM2
 *      signature over the UTF-8 of canonicalJson(sealInfo) — the bytes DER would otherwise give.
 *   2. Keys instead of certificates. This deployment has no CA: the seal's own key is carried as
 *      a bare SM2 public key (certListType 'SM2PublicKey' in place of 1 or 2), and the issuer is
 *      named by its public key and key id (the ledger key, ledger-key.ts) rather than by an X.509
 *      `cert`. A verifier trusts an issuer by its public key, obtained out of band.
 *   3. The picture is SVG (vector, rendered per document), which the standard's IA5String type
 *      admits but the common readers of OFD do not expect; a PNG can be derived from it.
 *   Nothing here is a substitute for a seal made by a certified seal system (GM/T 0031); it keeps the
 *   same particulars, bound the same way, so that an export to that form is a change of encoding.
 */

const VENDOR_ID = 'GongwenLedger';

export interface SealInfo {
  header: { id: 'ES'; version: 4; vid: string };
  esId: string;
  property: {
    type: 1;
    name: string;
    certListType: 'SM2PublicKey';
    certList: [string];
    createDate: string;
    validStart: string;
    validEnd: string;
  };
  picture: { type: 'SVG'; data: string; width: number; height: number };
  extDatas: { unitId: string; sealType: string; keyCustody: 'server' | 'client' };
}

export interface SealRecord {
  sealInfo: SealInfo;
  issuerPublicKey: string;
  issuerKeyId: string;
  signAlgId: '1.2.156.10197.1.501';
  signedValue: string;
}

// Strict objects and no transforms: what is checked is exactly what was signed, with no key the
// signature does not cover slipped in beside the others.
const Ia5 = (max: number) => z.string().regex(new RegExp(`^[\\x20-\\x7e]{1,${max}}$`), `须为 1 至 ${max} 个 ASCII 可见字符`);
const PublicKeyHex = z.string().regex(/^04[0-9a-f]{128}$/, 'SM2 公钥须为以 04 开头的 130 位小写十六进制（未压缩点）');
const Iso = z.iso.datetime({ offset: true, message: '时间须为 ISO 8601 格式并带时区' });
const Base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, '须为 base64');

export const SealInfoSchema: z.ZodType<SealInfo> = z.strictObject({
  header: z.strictObject({ id: z.literal('ES'), version: z.literal(4), vid: Ia5(64) }),
  esId: Ia5(64),
  property: z.strictObject({
    type: z.literal(1),
    name: z.string().min(1).max(100),
    certListType: z.literal('SM2PublicKey'),
    certList: z.tuple([PublicKeyHex]),
    createDate: Iso,
    validStart: Iso,
    validEnd: Iso,
  }),
  picture: z.strictObject({
    type: z.literal('SVG'),
    data: Base64.min(1),
    width: z.number().positive().max(1000),
    height: z.number().positive().max(1000),
  }),
  extDatas: z.strictObject({
    unitId: z.string().min(1).max(64),
    sealType: z.string().min(1).max(50),
    keyCustody: z.enum(['server', 'client']),
  }),
});

export const SealRecordSchema: z.ZodType<SealRecord> = z.strictObject({
  sealInfo: SealInfoSchema,
  issuerPublicKey: PublicKeyHex,
  issuerKeyId: z.string().regex(/^[0-9a-f]{16}$/, '制章者密钥标识须为 16 位小写十六进制'),
  signAlgId: z.literal(OID.SM3_WITH_SM2),
  signedValue: z.string().regex(/^30(?:[0-9a-f]{2})+$/, '签名值须为 DER 编码的小写十六进制'),
});

/** The exact text the issuer signs (as UTF-8): RFC 8785 canonical JSON of the seal info. */
export function sealInfoSigningText(info: SealInfo): string {
  return canonicalJson(info);
}

export function buildSealInfo(input: {
  sealId: string;
  unitId: string;
  name: string;
  sealType: string;
  publicKey: string;
  validFrom: string;
  validTo: string;
  createdAt: string;
  keyCustody: 'server' | 'client';
}): SealInfo {
  const svg = sealPictureSvg({ name: input.name, sealType: input.sealType });
  return {
    header: { id: 'ES', version: 4, vid: VENDOR_ID },
    esId: input.sealId,
    property: {
      type: 1,
      name: input.name,
      certListType: 'SM2PublicKey',
      certList: [input.publicKey.toLowerCase()],
      createDate: input.createdAt,
      validStart: input.validFrom,
      validEnd: input.validTo,
    },
    picture: { type: 'SVG', data: Buffer.from(svg, 'utf8').toString('base64'), width: DEFAULT_SEAL_DIAMETER_MM, height: DEFAULT_SEAL_DIAMETER_MM },
    extDatas: { unitId: input.unitId, sealType: input.sealType, keyCustody: input.keyCustody },
  };
}

/** The issuer (制章者) signs the seal info. In production the issuer is the LedgerKey. */
export function signSealRecord(info: SealInfo, issuer: { publicKeyHex: string; keyId: string; sign(message: string): string }): SealRecord {
  return {
    sealInfo: info,
    issuerPublicKey: issuer.publicKeyHex.toLowerCase(),
    issuerKeyId: issuer.keyId,
    signAlgId: OID.SM3_WITH_SM2,
    signedValue: issuer.sign(sealInfoSigningText(info)),
  };
}

export type SealRecordCheck = { valid: true } | { valid: false; reason: string; cause: 'MALFORMED' | 'UNTRUSTED_ISSUER' | 'BAD_SIGNATURE' };

/** Key id as ledger-key.ts names keys: the first 16 hex digits of SM3 over the point's bytes. */
const keyIdOf = (publicKeyHex: string) => sm3Hex(Buffer.from(publicKeyHex, 'hex')).slice(0, 16);

/**
 * Checks a seal record with public data only: its shape, that its issuer is one the caller trusts,
 * and the issuer's signature over the seal info. Never throws. A change to any field of the seal
 * info makes the signature fail; the fields outside it are bound by the checks around it.
 */
export function verifySealRecord(record: unknown, trustedIssuerPublicKeys: readonly string[]): SealRecordCheck {
  const parsed = SealRecordSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(根)';
    return { valid: false, cause: 'MALFORMED', reason: `印章记录格式不对：${where} ${issue?.message ?? ''} (malformed seal record)` };
  }
  const r = parsed.data;
  if (!isValidSm2PublicKey(r.sealInfo.property.certList[0])) {
    return { valid: false, cause: 'MALFORMED', reason: '印章记录中的印章公钥不是 SM2 曲线上的点 (the seal key is not a point on the SM2 curve)' };
  }
  if (r.issuerKeyId !== keyIdOf(r.issuerPublicKey)) {
    return { valid: false, cause: 'MALFORMED', reason: '制章者密钥标识与其公钥不符 (issuer key id does not match the issuer key)' };
  }
  if (!trustedIssuerPublicKeys.some((k) => typeof k === 'string' && k.toLowerCase() === r.issuerPublicKey)) {
    return { valid: false, cause: 'UNTRUSTED_ISSUER', reason: `印章不是由受信任的制章者签发的（密钥 ${r.issuerKeyId}）(issuer not trusted)` };
  }
  let text: string;
  try {
    text = sealInfoSigningText(r.sealInfo);
  } catch {
    // Lone surrogates in a name: RFC 8785 has no canonical form for them, so nothing was signed.
    return { valid: false, cause: 'MALFORMED', reason: '印章记录含有无法规范化的字符 (seal record cannot be canonicalised)' };
  }
  if (!verifySm2Signature(r.issuerPublicKey, text, r.signedValue)) {
    return { valid: false, cause: 'BAD_SIGNATURE', reason: '制章者签名验证失败：印章记录已被改动或签名不对 (issuer signature does not verify)' };
  }
  return { valid: true };
}
