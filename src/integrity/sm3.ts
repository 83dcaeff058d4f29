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
