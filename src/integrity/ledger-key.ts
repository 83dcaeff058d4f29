import { createHmac, getHashes, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sm2 } from 'sm-crypto-v2';
import { ConfigError, type Config } from '../config/config.ts';
import { sm3Hex } from './sm3.ts';

/**
 * The ledger's SM2 key pair. It signs the Merkle checkpoints, and the key that seals every event
 * (HMAC-SM3, see event-hash.ts) is derived from it, so one secret — GONGWEN_LEDGER_KEY, or the
 * development key file — stands behind both layers of tamper evidence.
 *
 * Signatures follow GM/T 0003.2 (GB/T 32918.2): e = SM3(Z_A ‖ M) with Z_A over the signer ID
 * `1234567812345678` (GM/T 0009's default), DER-encoded (r, s) as GM/T 0009 prescribes, so GmSSL,
 * BouncyCastle, Tongsuo and the certified tools an inspector may use check them as they are.
 * Node's own SM2 uses an empty signer ID and does not interoperate (DESIGN.md), hence sm-crypto-v2.
 */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** The HKDF label for the event MAC key. Changing it invalidates every stored MAC. */
export const MAC_KEY_INFO = 'gongwen-ledger/v1 event-mac HMAC-SM3';
const MAC_KEY_SALT = 'gongwen-ledger/v1';
const MAC_KEY_LENGTH = 32;

export const LEDGER_KEY_FILE = 'ledger-key.json';

/** Order n of the SM2 recommended curve; a private key is an integer in [1, n − 2]. */
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

export interface LedgerKey {
  /** 64 lowercase hex digits. Never log it. */
  readonly privateKeyHex: string;
  /** Uncompressed point, 04 ‖ x ‖ y: 130 lowercase hex digits. */
  readonly publicKeyHex: string;
  /** First 16 hex digits of SM3(public key point bytes): names the key in checkpoints and reports. */
  readonly keyId: string;
  /** The HMAC-SM3 key that seals every event's hash. */
  readonly macKey: Buffer;
  /** SM2 signature (DER, hex) over the bytes, or over the UTF-8 of a string. */
  sign(message: Uint8Array | string): string;
  verify(message: Uint8Array | string, signatureHex: string): boolean;
}

/** A missing, malformed or unusable ledger key: stops start-up like any configuration error. */
export class LedgerKeyError extends ConfigError {
  constructor(problems: string[]) {
    super(problems);
    this.name = 'LedgerKeyError';
  }
}

export function isValidSm2PrivateKey(hex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const d = BigInt(`0x${hex}`);
  return d >= 1n && d <= SM2_N - 2n;
}

export function keyIdOf(publicKeyHex: string): string {
  return sm3Hex(Buffer.from(publicKeyHex, 'hex')).slice(0, 16);
}

/** A fresh private key from Node's CSPRNG, retried in the (astronomically rare) case it is out of range. */
export function generateSm2PrivateKey(): string {
  for (;;) {
    const hex = randomBytes(32).toString('hex');
    if (isValidSm2PrivateKey(hex)) return hex;
  }
}

/**
 * HKDF (RFC 5869) with HMAC-SM3. Node's hkdfSync takes 'sm3' when its OpenSSL has it; the
 * fallback is the same RFC 5869 construction written out, so both give identical keys.
 */
export function hkdfSm3(ikm: Buffer, salt: Buffer | string, info: Buffer | string, length: number): Buffer {
  if (getHashes().includes('sm3')) {
    return Buffer.from(hkdfSync('sm3', ikm, salt, info, length));
  }
  return hkdfSm3Manual(ikm, salt, info, length);
}

export function hkdfSm3Manual(ikm: Buffer, salt: Buffer | string, info: Buffer | string, length: number): Buffer {
  const hashLen = 32;
  if (length > 255 * hashLen) throw new RangeError('HKDF output too long');
  const saltBytes = typeof salt === 'string' ? Buffer.from(salt) : salt;
  const prk = createHmac('sm3', saltBytes.length ? saltBytes : Buffer.alloc(hashLen)).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * hashLen < length; i++) {
    previous = createHmac('sm3', prk).update(previous).update(info).update(Buffer.from([i])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function deriveMacKey(privateKeyHex: string): Buffer {
  return hkdfSm3(Buffer.from(privateKeyHex, 'hex'), MAC_KEY_SALT, MAC_KEY_INFO, MAC_KEY_LENGTH);
}

const asSignable = (message: Uint8Array | string): Uint8Array | string => (typeof message === 'string' ? message : Uint8Array.from(message));

// Verifying many checkpoints against one key is five times faster with the point's multiples
// precomputed; the verifier checks every checkpoint ever signed, so keep a few keys' tables.
const precomputed = new Map<string, ReturnType<typeof sm2.precomputePublicKey>>();
const uses = new Map<string, number>();

function publicPoint(publicKeyHex: string): string | ReturnType<typeof sm2.precomputePublicKey> {
  const cached = precomputed.get(publicKeyHex);
  if (cached) return cached;
  // The table costs a few verifications to build: only worth it for a key seen more than once.
  const n = (uses.get(publicKeyHex) ?? 0) + 1;
  if (n < 3) {
    if (uses.size > 64) uses.clear();
    uses.set(publicKeyHex, n);
    return publicKeyHex;
  }
  const point = sm2.precomputePublicKey(publicKeyHex);
  if (precomputed.size >= 8) precomputed.clear();
  precomputed.set(publicKeyHex, point);
  return point;
}

/** Verifies a ledger signature with only the public key: what an inspector outside the system does. */
export function verifySm2Signature(publicKeyHex: string, message: Uint8Array | string, signatureHex: string): boolean {
  if (!/^04[0-9a-fA-F]{128}$/.test(publicKeyHex) || !/^[0-9a-fA-F]+$/.test(signatureHex)) return false;
  try {
    return sm2.doVerifySignature(asSignable(message), signatureHex.toLowerCase(), publicPoint(publicKeyHex.toLowerCase()), {
      hash: true,
      der: true,
      userId: SM2_DEFAULT_USER_ID,
    });
  } catch {
    // A malformed DER or a point off the curve is a failed signature, not a crash of the verifier.
    return false;
  }
}

export function ledgerKeyFromPrivateKey(privateKeyHex: string, source = 'GONGWEN_LEDGER_KEY'): LedgerKey {
  if (!isValidSm2PrivateKey(privateKeyHex)) {
    throw new LedgerKeyError([`${source}: 不是有效的 SM2 私钥 (not a valid SM2 private key: 64 hex digits, 1 ≤ d ≤ n−2)`]);
  }
  const privateKeyHexLower = privateKeyHex.toLowerCase();
  const publicKeyHex = sm2.getPublicKeyFromPrivateKey(privateKeyHexLower).toLowerCase();
  const macKey = deriveMacKey(privateKeyHexLower);
  return Object.freeze({
    privateKeyHex: privateKeyHexLower,
    publicKeyHex,
    keyId: keyIdOf(publicKeyHex),
    macKey,
    sign: (message: Uint8Array | string) =>
      sm2.doSignature(asSignable(message), privateKeyHexLower, {
        hash: true,
        der: true,
        publicKey: publicKeyHex,
        userId: SM2_DEFAULT_USER_ID,
      }),
    verify: (message: Uint8Array | string, signatureHex: string) => verifySm2Signature(publicKeyHex, message, signatureHex),
    // Keep the secret out of console.log / JSON dumps of objects that hold the key.
    toJSON: () => ({ publicKeyHex, keyId: keyIdOf(publicKeyHex) }),
  });
}

interface KeyFile {
  algorithm: 'SM2';
  privateKey: string;
  publicKey: string;
  keyId: string;
  createdAt: string;
}

/**
 * The ledger key from configuration: GONGWEN_LEDGER_KEY when set; otherwise, in development only,
 * `<GONGWEN_DATA_DIR>/ledger-key.json`, created (mode 0600) on first use and reused ever after —
 * a new key would orphan every MAC and checkpoint already written.
 */
export async function loadLedgerKey(
  config: Pick<Config, 'GONGWEN_LEDGER_KEY' | 'GONGWEN_DATA_DIR' | 'GONGWEN_MODE'>,
  opts: { now?: () => Date } = {},
): Promise<LedgerKey> {
  if (config.GONGWEN_LEDGER_KEY) return ledgerKeyFromPrivateKey(config.GONGWEN_LEDGER_KEY);
  if (config.GONGWEN_MODE === 'production') {
    throw new LedgerKeyError(['GONGWEN_LEDGER_KEY: 生产模式必须提供账本签名私钥 (required in production mode)']);
  }
  const dir = resolve(config.GONGWEN_DATA_DIR);
  const path = join(dir, LEDGER_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing) return existing;

  await mkdir(dir, { recursive: true });
  const privateKey = generateSm2PrivateKey();
  const key = ledgerKeyFromPrivateKey(privateKey);
  const file: KeyFile = {
    algorithm: 'SM2',
    privateKey,
    publicKey: key.publicKeyHex,
    keyId: key.keyId,
    createdAt: (opts.now?.() ?? new Date()).toISOString(),
  };
  // Written aside and hard-linked into place: link() fails if the name exists, so two processes
  // starting together never overwrite each other's key, and nobody reads a half-written file.
  const temp = join(dir, `.${LEDGER_KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readKeyFile(path);
    if (!winner) throw error;
    return winner;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function readKeyFile(path: string): Promise<LedgerKey | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: Partial<KeyFile>;
  try {
    parsed = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    throw new LedgerKeyError([`${path}: 账本密钥文件已损坏，不是 JSON (ledger key file is corrupt)`]);
  }
  if (parsed.algorithm !== 'SM2' || typeof parsed.privateKey !== 'string') {
    throw new LedgerKeyError([`${path}: 账本密钥文件格式不对 (ledger key file: expected {"algorithm":"SM2","privateKey":…})`]);
  }
  const key = ledgerKeyFromPrivateKey(parsed.privateKey, path);
  if (parsed.publicKey !== undefined && parsed.publicKey.toLowerCase() !== key.publicKeyHex) {
    throw new LedgerKeyError([`${path}: 公钥与私钥不匹配 (public key does not belong to the private key)`]);
  }
  // A copy restored from a backup may come back world-readable; the key must stay the owner's.
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, 0o600);
  return key;
}
