import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { sm3Continue, sm3StateAfter } from './sm3-js.ts';

/** SM3 (GB/T 32905-2016) from Node's OpenSSL. */
export function sm3(...parts: (Buffer | Uint8Array | string)[]): Buffer {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
}

export const sm3Hex = (...parts: (Buffer | Uint8Array | string)[]): string => sm3(...parts).toString('hex');

/** HMAC-SM3 (GB/T 15852.2 construction with SM3). */
export function hmacSm3Hex(key: Buffer, data: Buffer | string): string {
  return createHmac('sm3', key).update(data).digest('hex');
}

// ---- the same digests for the append path and the verifier, which make one per event ----------
//
// A Hash or Hmac object per digest is what the append path spent most of its Node time on after
// the hashing itself (the objects, their native handles and the garbage they leave). crypto.hash
// (Node ≥ 20.12) digests one buffer in one call; the inputs are written into a buffer kept for it.
// For a digest of a block or two even that call costs more than the hashing: see sm3-js.ts.

type OneShot = (algorithm: string, data: Uint8Array, encoding: 'hex' | 'buffer') => string | Buffer;
const oneShot: OneShot =
  (crypto as unknown as { hash?: OneShot }).hash ??
  ((algorithm, data, encoding) => {
    const digest = createHash(algorithm).update(data).digest();
    return encoding === 'hex' ? digest.toString('hex') : digest;
  });

const SCRATCH_LIMIT = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);
/** A buffer of at least `size` bytes, overwritten by the next call (everything here is synchronous). */
function scratchOf(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  // A huge message gets its own buffer rather than holding that much memory for good.
  if (size > SCRATCH_LIMIT) return Buffer.allocUnsafe(size);
  scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}

/** sm3Hex(bytes) in one call, for bytes written into a buffer kept for it (canonical-json.ts). */
export function sm3HexOfBytes(bytes: Uint8Array): string {
  return oneShot('sm3', bytes, 'hex') as string;
}

/** sm3(bytes) in one call. */
export function sm3OfBytes(bytes: Uint8Array): Buffer {
  return oneShot('sm3', bytes, 'buffer') as Buffer;
}

const SM3_BLOCK = 64;
interface HmacPads {
  key: Buffer;
  /** SM3's state after the key's inner pad (K ⊕ ipad), and after its outer pad (K ⊕ opad). */
  inner: Int32Array;
  outer: Int32Array;
}
const padsByKey = new WeakMap<Buffer, HmacPads>();

/** The key's inner and outer pads (RFC 2104), hashed once per key. */
function hmacPads(key: Buffer): HmacPads {
  const known = padsByKey.get(key);
  // Compared, not trusted: a key buffer changed in place must not keep its old pads.
  if (known && known.key.equals(key)) return known;
  const block = Buffer.alloc(SM3_BLOCK);
  (key.length > SM3_BLOCK ? sm3(key) : key).copy(block);
  const pads = {
    key: Buffer.from(key),
    inner: sm3StateAfter(block.map((b) => b ^ 0x36)),
    outer: sm3StateAfter(block.map((b) => b ^ 0x5c)),
  };
  padsByKey.set(key, pads);
  return pads;
}

const digest = Buffer.alloc(32);

/**
 * hmacSm3Hex(key, Buffer.from(messageHex, 'hex')): HMAC-SM3 = SM3(K⊕opad ‖ SM3(K⊕ipad ‖ m)), each
 * SM3 continued from its pad's state (sm3-js.ts): for a hash-sized m, two compressions in all.
 */
export function hmacSm3HexOfHex(key: Buffer, messageHex: string): string {
  const { inner, outer } = hmacPads(key);
  const buf = scratchOf(messageHex.length >>> 1);
  const n = buf.write(messageHex, 0, 'hex');
  sm3Continue(inner, SM3_BLOCK, buf, n, digest);
  sm3Continue(outer, SM3_BLOCK, digest, digest.length, digest);
  return digest.toString('hex');
}
