import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { isValidSm2PrivateKey, sm2PublicKeyOf } from '../integrity/sm2.ts';

/**
 * A server-held seal private key, encrypted under its keeper's passphrase (issue #5, 服务器托管).
 * The ledger never keeps the key or the passphrase in the clear: the key is decrypted for one
 * sealing call and the passphrase is never stored.
 *
 *   key        = scrypt(NFC(passphrase), salt, N = 2^log2N, r, p) → 32 bytes   (RFC 7914)
 *   ciphertext = AES-256-GCM(key, iv, d, AAD)                         (NIST SP 800-38D)
 *   AAD        = "gongwen-ledger/seal-key/v1" ‖ LF ‖ sealId ‖ LF ‖ publicKey
 *
 * The AAD binds the row to its seal: a wrapped key copied onto another seal's row, or given
 * another public key, fails the GCM tag like a wrong passphrase. The work factor travels with
 * the row, so raising it for new keys leaves the old ones readable, and tests can use a cheap one.
 */

export interface ScryptParams {
  name: 'scrypt';
  log2N: number;
  r: number;
  p: number;
  /** hex, 16 bytes */
  salt: string;
}

/** Hex fields, lower case. */
export interface WrappedSealKey {
  version: 1;
  sealId: string;
  publicKey: string;
  kdf: ScryptParams;
  cipher: 'AES-256-GCM';
  iv: string;
  ciphertext: string;
  tag: string;
}

/** The passphrase does not open the key — or the stored row was altered. Either way: nothing is sealed. */
export class WrongPassphraseError extends Error {
  constructor(message = '印章密码错误，或密钥记录已被改动 (wrong passphrase, or the stored key was altered)') {
    super(message);
    this.name = 'WrongPassphraseError';
  }
}

/** 2^10 is for tests only; production keys use 2^15 or more (about 0.1 s and 32 MiB with r = 8). */
export const MIN_LOG2N = 10;
/** 2^18 with r = 8 needs 256 MiB: anything above is refused rather than allowed to exhaust memory. */
export const MAX_LOG2N = 18;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const AAD_LABEL = 'gongwen-ledger/seal-key/v1';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `须为 ${bytes * 2} 位小写十六进制`);

export const WrappedSealKeySchema: z.ZodType<WrappedSealKey> = z.object({
  version: z.literal(1),
  sealId: z.string().min(1).max(64),
  publicKey: z.string().regex(/^04[0-9a-f]{128}$/, 'SM2 公钥须为以 04 开头的 130 位小写十六进制（未压缩点）'),
  kdf: z.object({
    name: z.literal('scrypt'),
    log2N: z.number().int().min(MIN_LOG2N).max(MAX_LOG2N),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: hex(16),
  }),
  cipher: z.literal('AES-256-GCM'),
  iv: hex(12),
  ciphertext: hex(32),
  tag: hex(16),
});

function scrypt(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  // Node refuses when 128·N·r·p reaches maxmem (32 MiB by default, too little for 2^15 with r = 8).
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * params.p + 8 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const aad = (sealId: string, publicKey: string) => Buffer.from(`${AAD_LABEL}\n${sealId}\n${publicKey}`, 'utf8');

export async function wrapSealKey(privateKeyHex: string, passphrase: string, opts: { sealId: string; log2N: number }): Promise<WrappedSealKey> {
  if (!isValidSm2PrivateKey(privateKeyHex)) throw new RangeError('不是有效的 SM2 私钥 (not a valid SM2 private key)');
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new RangeError('印章密码不能为空 (empty passphrase)');
  if (!Number.isInteger(opts.log2N) || opts.log2N < MIN_LOG2N || opts.log2N > MAX_LOG2N) {
    throw new RangeError(`scrypt log2N 须在 ${MIN_LOG2N} 至 ${MAX_LOG2N} 之间 (got ${opts.log2N})`);
  }
  if (typeof opts.sealId !== 'string' || opts.sealId.length === 0 || opts.sealId.length > 64) throw new RangeError('sealId 须为 1 至 64 个字符');
  const publicKey = sm2PublicKeyOf(privateKeyHex);
  const kdf: ScryptParams = { name: 'scrypt', log2N: opts.log2N, r: R, p: P, salt: randomBytes(16).toString('hex') };
  const key = await scrypt(passphrase, Buffer.from(kdf.salt, 'hex'), kdf);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aad(opts.sealId, publicKey));
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKeyHex, 'hex')), cipher.final()]);
  key.fill(0);
  return {
    version: 1,
    sealId: opts.sealId,
    publicKey,
    kdf,
    cipher: 'AES-256-GCM',
    iv: iv.toString('hex'),
    ciphertext: ciphertext.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
  };
}

/**
 * The private key (hex) inside a wrapped key. A wrong passphrase, any change to the row (each hex
 * field, the seal id, the public key, the work factor) or a row that is not a wrapped key at all
 * throws WrongPassphraseError — the caller refuses the sealing and logs the attempt.
 */
export async function unwrapSealKey(wrapped: WrappedSealKey, passphrase: string): Promise<string> {
  const parsed = WrappedSealKeySchema.safeParse(wrapped);
  if (!parsed.success) throw new WrongPassphraseError('印章密钥记录已损坏，无法解密 (the stored key record is malformed)');
  if (typeof passphrase !== 'string') throw new WrongPassphraseError();
  const w = parsed.data;
  const key = await scrypt(passphrase, Buffer.from(w.kdf.salt, 'hex'), w.kdf);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(w.iv, 'hex'), { authTagLength: 16 });
    decipher.setAAD(aad(w.sealId, w.publicKey));
    decipher.setAuthTag(Buffer.from(w.tag, 'hex'));
    plain = Buffer.concat([decipher.update(Buffer.from(w.ciphertext, 'hex')), decipher.final()]);
  } catch {
    throw new WrongPassphraseError();
  } finally {
    key.fill(0);
  }
  const privateKeyHex = plain.toString('hex');
  plain.fill(0);
  // GCM vouches for the bytes; this vouches that whoever wrapped them wrapped this seal's key.
  if (!isValidSm2PrivateKey(privateKeyHex) || !timingSafeEqual(Buffer.from(sm2PublicKeyOf(privateKeyHex)), Buffer.from(w.publicKey))) {
    throw new WrongPassphraseError('印章密钥与印章公钥不符 (the stored key does not belong to this seal)');
  }
  return privateKeyHex;
}

// ---------------------------------------------------------------------------------------------

const MIN_LENGTH = 8;

/** Passwords that fall to the first guesses of any cracking list, kept short: the rules catch the rest. */
const COMMON = [
  'password', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'qwertyuiop', 'qwerty', 'asdfghjkl', 'asdfgh', 'zxcvbnm', 'zxcvbn',
  '1qaz2wsx', '1q2w3e4r', 'qazwsx', 'qweasd', 'qwe123', '123qwe', 'abc123', 'a123456', 'admin', 'root', 'woaini', 'iloveyou', 'gongwen',
];

/** Splits into maximal stretches whose code points step by one constant of −1, 0 or +1 (aaaa, 1234, dcba). */
function runCount(chars: readonly string[]): number {
  let runs = 1;
  let step: number | undefined;
  for (let i = 1; i < chars.length; i++) {
    const d = chars[i]!.codePointAt(0)! - chars[i - 1]!.codePointAt(0)!;
    if (Math.abs(d) <= 1 && (step === undefined || d === step)) {
      step = d;
    } else {
      runs++;
      step = undefined;
    }
  }
  return runs;
}

/** The text is one shorter unit said again and again (abab1212 is not; a1a1a1a1 and ab12ab12 are). */
function isRepetition(chars: readonly string[]): boolean {
  const n = chars.length;
  for (let period = 1; period <= n / 2; period++) {
    if (n % period !== 0) continue;
    let same = true;
    for (let i = period; i < n && same; i++) same = chars[i] === chars[i - period];
    if (same) return true;
  }
  return false;
}

/**
 * Why a passphrase is too weak to guard a seal key, in words for the keeper; undefined when it will
 * do. The rules are those of the usual 等保 password policy — length, mixed character kinds, no
 * keyboard runs or repetitions — because the encrypted key sits in the database, where a stolen
 * copy can be attacked offline at leisure.
 */
export function passphraseProblem(passphrase: string): string | undefined {
  const text = passphrase.normalize('NFC');
  const chars = Array.from(text);
  if (chars.length < MIN_LENGTH) return `印章密码至少需要 ${MIN_LENGTH} 个字符 (at least ${MIN_LENGTH} characters)`;
  if (/^\s|\s$/u.test(text)) return '印章密码首尾不能是空格 (no leading or trailing spaces)';
  if (runCount(chars) <= 2 || isRepetition(chars)) {
    return '印章密码不能是连续或重复的字符，如 12345678、aaaaaaaa、abc12345 (no runs or repetitions)';
  }
  const kinds = [/\p{L}/u, /\p{N}/u, /[^\p{L}\p{N}]/u].filter((kind) => kind.test(text)).length;
  if (kinds < 2) return '印章密码须至少包含字母、数字、其他符号中的两类 (use at least two of: letters, digits, other characters)';
  const lower = text.toLowerCase();
  if (COMMON.some((word) => lower.includes(word) && chars.length - Array.from(word).length <= 5)) {
    return '印章密码过于常见，容易被猜中 (too common a password)';
  }
  return undefined;
}
