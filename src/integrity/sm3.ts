import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';

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
  // A huge event gets its own buffer rather than holding that much memory for good.
  if (size > SCRATCH_LIMIT) return Buffer.allocUnsafe(size);
  scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}

/** sm3Hex(Buffer.from(prefixHex, 'hex'), text), without the intermediate buffers and Hash object. */
export function sm3HexOfHexAndText(prefixHex: string, text: string): string {
  // A UTF-16 code unit is at most three bytes of UTF-8.
  const buf = scratchOf((prefixHex.length >>> 1) + text.length * 3);
  // write() stops at the first byte that is not hex, exactly as Buffer.from(…, 'hex') does.
  const n = buf.write(prefixHex, 0, 'hex');
  const m = buf.write(text, n, 'utf8');
  return oneShot('sm3', buf.subarray(0, n + m), 'hex') as string;
}

const SM3_BLOCK = 64;
interface HmacPads {
  key: Buffer;
  ipad: Buffer;
  opad: Buffer;
}
const padsByKey = new WeakMap<Buffer, HmacPads>();

/** The key's inner and outer pads (RFC 2104), worked out once per key. */
function hmacPads(key: Buffer): HmacPads {
  const known = padsByKey.get(key);
  // Compared, not trusted: a key buffer changed in place must not keep its old pads.
  if (known && known.key.equals(key)) return known;
  const block = Buffer.alloc(SM3_BLOCK);
  (key.length > SM3_BLOCK ? sm3(key) : key).copy(block);
  const pads = {
    key: Buffer.from(key),
    ipad: Buffer.from(block.map((b) => b ^ 0x36)),
    opad: Buffer.from(block.map((b) => b ^ 0x5c)),
  };
  padsByKey.set(key, pads);
  return pads;
}

/** hmacSm3Hex(key, Buffer.from(messageHex, 'hex')): HMAC-SM3 = SM3(K⊕opad ‖ SM3(K⊕ipad ‖ m)). */
export function hmacSm3HexOfHex(key: Buffer, messageHex: string): string {
  const { ipad, opad } = hmacPads(key);
  const buf = scratchOf(SM3_BLOCK + Math.max(messageHex.length >>> 1, 32));
  ipad.copy(buf, 0);
  const n = buf.write(messageHex, SM3_BLOCK, 'hex');
  const inner = oneShot('sm3', buf.subarray(0, SM3_BLOCK + n), 'buffer') as Buffer;
  opad.copy(buf, 0);
  inner.copy(buf, SM3_BLOCK);
  return oneShot('sm3', buf.subarray(0, SM3_BLOCK + inner.length), 'hex') as string;
}
