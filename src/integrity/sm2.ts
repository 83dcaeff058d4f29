import { randomBytes } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';
import { sm3, sm3Hex } from './sm3.ts';

/**
 * SM2 signatures (GM/T 0003.2 = GB/T 32918.2) for the whole ledger: checkpoints, seal records and
 * sealed documents all sign through here.
 *
 * e = SM3(Z_A ‖ M), Z_A over the signer ID `1234567812345678` (GM/T 0009's default), and (r, s)
 * DER-encoded as GM/T 0009 prescribes — so GmSSL, Tongsuo, BouncyCastle, OpenSSL 3 with
 * `distid:1234567812345678`, and the certified tools an inspector may use check them as they are.
 * Node's own SM2 signs with an empty ID and does not interoperate (DESIGN.md), hence sm-crypto-v2
 * for the curve arithmetic. Everything around the arithmetic — key ranges, point validation, DER
 * parsing, the range of r and s — is checked here, because the library is lenient: it reads
 * malformed DER (trailing bytes, wrong tags and lengths, negative integers) as the valid
 * signature it resembles, which would give every signature many accepted spellings, and it throws
 * rather than answers for r or s outside [1, n − 1].
 */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Object identifiers of GM/T 0006 for the algorithms the ledger records beside its signatures. */
export const OID = {
  SM3: '1.2.156.10197.1.401',
  SM2: '1.2.156.10197.1.301',
  SM2_SIGN: '1.2.156.10197.1.301.1',
  SM3_WITH_SM2: '1.2.156.10197.1.501',
} as const;

/** Lower-case hex; the public key is the uncompressed point 04 ‖ x ‖ y (130 hex digits). */
export interface Sm2KeyPair {
  privateKeyHex: string;
  publicKeyHex: string;
}

/** Order n of the SM2 recommended curve (GB/T 32918.5). */
export const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

const PRIVATE_KEY = /^[0-9a-fA-F]{64}$/;
const PUBLIC_KEY = /^04[0-9a-fA-F]{128}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** A private key is an integer d in [1, n − 2] (GB/T 32918.1 §6.1: d + 1 must be invertible mod n). */
export function isValidSm2PrivateKey(hex: string): boolean {
  if (!PRIVATE_KEY.test(hex)) return false;
  const d = BigInt(`0x${hex}`);
  return d >= 1n && d <= SM2_N - 2n;
}

/** A fresh private key from Node's CSPRNG, retried in the (astronomically rare) case it is out of range. */
export function generateSm2PrivateKey(): string {
  for (;;) {
    const hex = randomBytes(32).toString('hex');
    if (isValidSm2PrivateKey(hex)) return hex;
  }
}

export function generateSm2KeyPair(): Sm2KeyPair {
  const privateKeyHex = generateSm2PrivateKey();
  return { privateKeyHex, publicKeyHex: sm2PublicKeyOf(privateKeyHex) };
}

/** A public key's short id: the first 16 hex digits of the SM3 of its bytes (checkpoints and key files name it). */
export function keyIdOf(publicKeyHex: string): string {
  return sm3Hex(Buffer.from(publicKeyHex, 'hex')).slice(0, 16);
}

/** d·G as 04 ‖ x ‖ y, lower case. Throws a RangeError for anything that is not a valid private key. */
export function sm2PublicKeyOf(privateKeyHex: string): string {
  if (!isValidSm2PrivateKey(privateKeyHex)) {
    throw new RangeError('不是有效的 SM2 私钥 (not a valid SM2 private key: 64 hex digits, 1 ≤ d ≤ n−2)');
  }
  return sm2.getPublicKeyFromPrivateKey(privateKeyHex.toLowerCase()).toLowerCase();
}

/** An uncompressed point that lies on the curve (the library refuses the point at infinity and off-curve points). */
export function isValidSm2PublicKey(publicKeyHex: string): boolean {
  if (typeof publicKeyHex !== 'string' || !PUBLIC_KEY.test(publicKeyHex)) return false;
  try {
    return sm2.verifyPublicKey(publicKeyHex.toLowerCase());
  } catch {
    return false;
  }
}

/** The bytes signed: strings as UTF-8, bytes as they are (a view, never a copy of a large body). */
/**
 * e = SM3(Z_A ‖ M) (GM/T 0003.2 §6.1), the number an SM3withSM2 signature is made over, with
 * Node's native SM3: the library's own hashes a message through hex strings, which on a
 * multi-megabyte EEP took most of an export's time. Signing or verifying `e` with hash off is the
 * same signature as the library's hash on.
 */
export function sm2MessageDigest(message: Uint8Array | string, publicKeyHex: string): Uint8Array {
  const z = sm2.getZ(publicKeyHex.toLowerCase(), SM2_DEFAULT_USER_ID);
  const digest = sm3(z, messageBytes(message));
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

function messageBytes(message: Uint8Array | string): Uint8Array {
  // The library's own UTF-8 encoder is not Node's; encoding here keeps one definition of the bytes.
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  // A plain Uint8Array: the library's byte helpers are written for it, not for Buffer.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Signature encodings. GM/T 0009 §7.3: SM2Signature ::= SEQUENCE { R INTEGER, S INTEGER }.

const hex64 = (v: bigint): string => v.toString(16).padStart(64, '0');

function derInteger(v: bigint): string {
  let h = v.toString(16);
  if (h.length % 2 === 1) h = `0${h}`;
  // A leading 1 bit would read as negative: DER prepends exactly one zero byte then.
  if (parseInt(h[0]!, 16) >= 8) h = `00${h}`;
  return `02${(h.length / 2).toString(16).padStart(2, '0')}${h}`;
}

function encodeDer(r: bigint, s: bigint): string {
  const body = derInteger(r) + derInteger(s);
  // At most 2 × 35 bytes: the short length form always suffices.
  return `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
}

const inRange = (v: bigint): boolean => v >= 1n && v < SM2_N;

/**
 * One INTEGER at `at` in `bytes`, DER-strict: short-form length, positive, minimal. Returns the
 * value and the offset after it, or undefined.
 */
function readDerInteger(bytes: Buffer, at: number): { value: bigint; next: number } | undefined {
  if (bytes[at] !== 0x02) return undefined;
  const len = bytes[at + 1];
  // 1..33 bytes: a 256-bit value plus at most one sign byte. Long-form lengths are never minimal here.
  if (len === undefined || len < 1 || len > 33) return undefined;
  const start = at + 2;
  const end = start + len;
  if (end > bytes.length) return undefined;
  const first = bytes[start]!;
  if (first & 0x80) return undefined; // negative
  if (first === 0x00 && (len === 1 || (bytes[start + 1]! & 0x80) === 0)) return undefined; // not minimal (or zero)
  return { value: BigInt(`0x${bytes.subarray(start, end).toString('hex')}`), next: end };
}

function parseDer(bytes: Buffer): { r: bigint; s: bigint } | undefined {
  if (bytes[0] !== 0x30) return undefined;
  const seqLen = bytes[1];
  if (seqLen === undefined || seqLen >= 0x80 || seqLen + 2 !== bytes.length) return undefined;
  const r = readDerInteger(bytes, 2);
  if (!r) return undefined;
  const s = readDerInteger(bytes, r.next);
  if (!s || s.next !== bytes.length) return undefined;
  return { r: r.value, s: s.value };
}

function parseSignature(signatureHex: string): { r: bigint; s: bigint; der: boolean } | undefined {
  if (typeof signatureHex !== 'string' || signatureHex.length > 2 * 72 || !HEX.test(signatureHex)) return undefined;
  const bytes = Buffer.from(signatureHex, 'hex');
  // Strict DER first. A DER signature is 64 bytes long only when r and s are both unusually
  // short, and a raw r ‖ s parses as strict DER only by a negligible accident (its first bytes
  // would have to spell out a whole valid structure): DER wins that tie, so the signatures the
  // ledger itself writes are always read as written.
  const der = parseDer(bytes);
  if (der) return inRange(der.r) && inRange(der.s) ? { ...der, der: true } : undefined;
  if (bytes.length === 64) {
    const r = BigInt(`0x${signatureHex.slice(0, 64)}`);
    const s = BigInt(`0x${signatureHex.slice(64)}`);
    return inRange(r) && inRange(s) ? { r, s, der: false } : undefined;
  }
  return undefined;
}

/**
 * A signature in the one form the ledger stores: strict DER, lower case. Accepts strict DER or
 * raw r ‖ s (64 bytes, what USB keys and many SDKs hand out); anything else — BER, negative or
 * padded integers, trailing bytes, r or s outside [1, n − 1] — is undefined.
 */
export function normaliseSm2Signature(signatureHex: string): string | undefined {
  const parsed = parseSignature(signatureHex);
  return parsed && encodeDer(parsed.r, parsed.s);
}

// ---------------------------------------------------------------------------------------------
// Signing and verifying.

/**
 * SM3withSM2 signature over the message with the default signer ID, DER, lower-case hex. Pass the
 * public key when it is at hand: Z_A needs it, and deriving it costs a scalar multiplication. It
 * must be the key's own public key, or the signature verifies under nothing.
 */
export function sm2Sign(privateKeyHex: string, message: Uint8Array | string, publicKeyHex?: string): string {
  if (!isValidSm2PrivateKey(privateKeyHex)) {
    throw new RangeError('不是有效的 SM2 私钥 (not a valid SM2 private key: 64 hex digits, 1 ≤ d ≤ n−2)');
  }
  if (publicKeyHex !== undefined && !PUBLIC_KEY.test(publicKeyHex)) {
    throw new RangeError('SM2 公钥须为以 04 开头的 130 位十六进制 (public key must be an uncompressed point)');
  }
  const d = privateKeyHex.toLowerCase();
  // The nonce k comes from the library's CSPRNG, which on Node is globalThis.crypto (Node's own).
  const raw = sm2.doSignature(sm2MessageDigest(message, publicKeyHex ?? sm2PublicKeyOf(d)), d, { hash: false, der: false });
  return encodeDer(BigInt(`0x${raw.slice(0, 64)}`), BigInt(`0x${raw.slice(64)}`));
}

/**
 * Which public keys have earned a precomputed table. A table makes each verification by its key
 * several times cheaper, but building one costs about ten plain verifications, in one piece on the
 * calling thread (~47 ms here, against ~4 ms for a plain verification). It pays for a key verified
 * densely — the ledger key over every checkpoint, one seal over a year's documents in a verify walk —
 * and never for keys taking turns: a city's seals, each sealing now and then, would otherwise build
 * and evict tables in turn, every sealing paying for a table it uses once. So a key gets a table
 * only when it had at least its share of the last `window` verifications with `kept` tables
 * (window / kept of them): no more keys than there are tables can have that share at once, so
 * tables are not built to be evicted. The least recently used table goes first.
 */
export class VerifyTables<T> {
  readonly #recent: string[] = [];
  readonly #counts = new Map<string, number>();
  readonly #tables = new Map<string, T>();

  readonly #dense: number;

  constructor(
    private readonly build: (key: string) => T,
    private readonly window = 64,
    private readonly kept = 8,
  ) {
    this.#dense = window / kept;
  }

  /** The key's table, when it has one or has just earned one; else null (verify plainly). */
  tableFor(key: string): T | null {
    this.#recent.push(key);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    if (this.#recent.length > this.window) {
      const old = this.#recent.shift()!;
      const left = this.#counts.get(old)! - 1;
      if (left === 0) this.#counts.delete(old);
      else this.#counts.set(old, left);
    }
    // Its uses among the last `window`, this one included (read after the oldest left the window).
    const n = this.#counts.get(key)!;
    const table = this.#tables.get(key);
    if (table !== undefined) {
      // Most recently used last: eviction takes the first.
      this.#tables.delete(key);
      this.#tables.set(key, table);
      return table;
    }
    if (n < this.#dense) return null;
    // Building parses the point, which throws for a point off the curve (caught by the caller).
    const built = this.build(key);
    this.#tables.set(key, built);
    if (this.#tables.size > this.kept) this.#tables.delete(this.#tables.keys().next().value!);
    return built;
  }

  /** The keys holding a table, least recently used first. */
  keys(): string[] {
    return [...this.#tables.keys()];
  }
}

const tables = new VerifyTables((publicKeyHex) => sm2.precomputePublicKey(publicKeyHex));

const publicPoint = (publicKeyHex: string) => tables.tableFor(publicKeyHex) ?? publicKeyHex;

function verifyRs(publicKeyHex: string, message: Uint8Array | string, r: bigint, s: bigint): boolean {
  try {
    return sm2.doVerifySignature(sm2MessageDigest(message, publicKeyHex), hex64(r) + hex64(s), publicPoint(publicKeyHex.toLowerCase()), { hash: false, der: false });
  } catch {
    // A point off the curve is a failed signature, not a crash of the verifier.
    return false;
  }
}

/**
 * True when the signature (strict DER, or raw r ‖ s) is a valid SM3withSM2 signature over the
 * message by the key, with the default signer ID. Never throws: bad input of any kind is false.
 */
export function sm2Verify(publicKeyHex: string, message: Uint8Array | string, signatureHex: string): boolean {
  if (typeof publicKeyHex !== 'string' || !PUBLIC_KEY.test(publicKeyHex)) return false;
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) return false;
  const parsed = parseSignature(signatureHex);
  return parsed !== undefined && verifyRs(publicKeyHex, message, parsed.r, parsed.s);
}

/**
 * sm2Verify for signatures the ledger wrote itself (checkpoints): those are always strict DER, so
 * any other encoding — even of a valid (r, s) — is refused rather than given a second form.
 */
export function verifySm2Signature(publicKeyHex: string, message: Uint8Array | string, signatureHex: string): boolean {
  if (typeof publicKeyHex !== 'string' || !PUBLIC_KEY.test(publicKeyHex)) return false;
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) return false;
  const parsed = parseSignature(signatureHex);
  return parsed !== undefined && parsed.der && verifyRs(publicKeyHex, message, parsed.r, parsed.s);
}
