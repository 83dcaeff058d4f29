import { XMLParser } from 'fast-xml-parser';
import { keyIdOf } from '../../src/integrity/ledger-key.ts';
import { OID, sm2Verify } from '../../src/integrity/sm2.ts';

/**
 * Checks an EEP's 电子签名 and 锁定签名 from the file alone: the signed bytes are cut out of the
 * file exactly as they stand (from `<被签名对象` to `</被签名对象>`), the key is the 证书 it
 * carries, the algorithm the one 签名算法标识 names. Whether that key is one the checker trusts is
 * a separate question (`trusted`), answered against the keys it is given.
 */

export interface EepSignatureCheck {
  valid: boolean;
  problems: string[];
  publicKeyHex: string | null;
  keyId: string | null;
  trusted: boolean | null;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, trimValues: false });

function slice(bytes: Buffer, open: string, close: string, from = 0): Buffer | null {
  const start = bytes.indexOf(Buffer.from(open, 'utf8'), from);
  if (start < 0) return null;
  const end = bytes.indexOf(Buffer.from(close, 'utf8'), start);
  if (end < 0) return null;
  return bytes.subarray(start, end + Buffer.byteLength(close, 'utf8'));
}

type Sig = { 签名结果?: unknown; 证书块?: { 证书?: unknown } | { 证书?: unknown }[]; 签名算法标识?: unknown };

function verifyOne(label: string, signed: Buffer | null, sig: Sig | undefined, problems: string[]): string | null {
  if (!signed || !sig) {
    problems.push(`缺少${label}或其签名对象 (${label} missing)`);
    return null;
  }
  const algorithm = String(sig.签名算法标识 ?? '');
  if (!algorithm.includes('SM3withSM2') && !algorithm.includes(OID.SM3_WITH_SM2)) {
    problems.push(`${label}的签名算法「${algorithm}」不是 SM3withSM2，无法验证 (unsupported algorithm)`);
    return null;
  }
  const block = Array.isArray(sig.证书块) ? sig.证书块[0] : sig.证书块;
  const key = Buffer.from(String(block?.证书 ?? '').trim(), 'base64').toString('hex');
  const signature = Buffer.from(String(sig.签名结果 ?? '').trim(), 'base64').toString('hex');
  if (!sm2Verify(key, signed, signature)) {
    problems.push(`${label}验证未通过：被签名内容已被改动，或签名不是证书中的密钥所作 (signature does not verify)`);
  }
  return key;
}

export function verifyEepSignature(file: Buffer, trustedKeys: readonly string[] = []): EepSignatureCheck {
  const problems: string[] = [];
  let doc: Record<string, any>;
  try {
    doc = parser.parse(file) as Record<string, any>;
  } catch (error) {
    return { valid: false, problems: [`EEP 不是格式良好的 XML：${(error as Error).message}`], publicKeyHex: null, keyId: null, trusted: null };
  }
  const root = doc['电子文件封装包'];
  const sigBlock = root?.['电子签名块']?.['电子签名'];
  const signature: Sig | undefined = Array.isArray(sigBlock) ? sigBlock[0] : sigBlock;
  const signedObject = slice(file, '<被签名对象', '</被签名对象>');
  // The signature element itself comes after 被签名对象: search from there.
  const after = signedObject ? file.indexOf(signedObject) + signedObject.length : 0;
  const signatureBytes = slice(file, '<电子签名>', '</电子签名>', after);
  const key = verifyOne('电子签名', signedObject, signature, problems);
  const lockKey = verifyOne('锁定签名', signatureBytes, root?.['锁定签名'], problems);
  if (key && lockKey && key !== lockKey) problems.push('锁定签名与电子签名出自不同的密钥 (lock signature by another key)');
  const trusted = key ? (trustedKeys.length === 0 ? null : trustedKeys.map((k) => k.toLowerCase()).includes(key)) : null;
  if (trusted === false) problems.push(`签名密钥 ${keyIdOf(key!)} 不是受信任的账本密钥 (untrusted signer)`);
  return { valid: problems.length === 0, problems, publicKeyHex: key, keyId: key ? keyIdOf(key) : null, trusted };
}

export { parser as eepParser };
