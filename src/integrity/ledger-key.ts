import { createHmac, getHashes, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, type Config } from '../config/config.ts';
import { generateSm2PrivateKey, isValidSm2PrivateKey, keyIdOf, SM2_DEFAULT_USER_ID, sm2PublicKeyOf, sm2Sign, verifySm2Signature } from './sm2.ts';

// The SM2 primitives live in sm2.ts; these names stay importable from here for existing callers.
export { generateSm2PrivateKey, isValidSm2PrivateKey, keyIdOf, SM2_DEFAULT_USER_ID, verifySm2Signature };

/** The HKDF label for the event MAC key. Changing it invalidates every stored MAC. */
export const MAC_KEY_INFO = 'gongwen-ledger/v1 event-mac HMAC-SM3';
const MAC_KEY_SALT = 'gongwen-ledger/v1';
const MAC_KEY_LENGTH = 32;

export const LEDGER_KEY_FILE = 'ledger-key.json';

/**
 * The ledger's SM2 key pair. It signs the Merkle checkpoints, and the key that seals every event
 * (HMAC-SM3, see event-hash.ts) is derived from it, so one secret — GONGWEN_LEDGER_KEY, or the
 * development key file — stands behind both layers of tamper evidence. Signatures are SM3withSM2
 * with the standard signer ID, DER-encoded (sm2.ts).
 */
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

export function ledgerKeyFromPrivateKey(privateKeyHex: string, source = 'GONGWEN_LEDGER_KEY'): LedgerKey {
  if (!isValidSm2PrivateKey(privateKeyHex)) {
    throw new LedgerKeyError([`${source}: 不是有效的 SM2 私钥 (not a valid SM2 private key: 64 hex digits, 1 ≤ d ≤ n−2)`]);
  }
  const privateKeyHexLower = privateKeyHex.toLowerCase();
  const publicKeyHex = sm2PublicKeyOf(privateKeyHexLower);
  const macKey = deriveMacKey(privateKeyHexLower);
  return Object.freeze({
    privateKeyHex: privateKeyHexLower,
    publicKeyHex,
    keyId: keyIdOf(publicKeyHex),
    macKey,
    sign: (message: Uint8Array | string) => sm2Sign(privateKeyHexLower, message, publicKeyHex),
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

/**
 * The ledger key if this machine has one (GONGWEN_LEDGER_KEY or the development key file), without
 * ever creating one: for tools that only check, such as `gongwen verify-seal`.
 */
export async function findLedgerKey(config: Pick<Config, 'GONGWEN_LEDGER_KEY' | 'GONGWEN_DATA_DIR'>): Promise<LedgerKey | null> {
  if (config.GONGWEN_LEDGER_KEY) return ledgerKeyFromPrivateKey(config.GONGWEN_LEDGER_KEY);
  return readKeyFile(join(resolve(config.GONGWEN_DATA_DIR), LEDGER_KEY_FILE));
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
