import { createHmac, getHashes } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';
import { isValidSm2PrivateKey, normaliseSm2Signature, SM2_N, sm2MessageDigest, sm2PublicKeyOf } from './sm2.ts';
import { sm3 } from './sm3.ts';

/**
 * SM3withSM2 signatures whose nonce k is derived from the private key and the message, in the
 * manner of RFC 6979 (k = HMAC-SM3(d, e ‖ counter) reduced into [1, n − 1]), instead of drawn at
 * random. The signature is an ordinary GM/T 0003 signature — any verifier checks it the same way
 * — but signing the same bytes twice gives the same signature, so an export package re-made
 * from the same ledger state is byte-identical. k stays secret (it depends on d) and differs for
 * every message, which is all SM2 asks of it.
 */
export function sm2SignDeterministic(privateKeyHex: string, message: Uint8Array | string, publicKeyHex?: string): string {
  if (!isValidSm2PrivateKey(privateKeyHex)) throw new RangeError('不是有效的 SM2 私钥 (not a valid SM2 private key)');
  const d = privateKeyHex.toLowerCase();
  const publicKey = (publicKeyHex ?? sm2PublicKeyOf(d)).toLowerCase();
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  // e = SM3(Z_A ‖ M), as the signature itself computes it: k is bound to exactly what is signed.
  const digest = sm2MessageDigest(bytes, publicKey);
  const e = Buffer.from(digest);
  const pool: { k: bigint; x1: bigint }[] = [];
  for (let counter = 0; pool.length < 4; counter++) {
    const mac = hmacSm3(Buffer.from(d, 'hex'), Buffer.concat([Buffer.from('gongwen/sm2-k/v1'), e, Buffer.from([counter])]));
    const k = (BigInt(`0x${mac.toString('hex')}`) % (SM2_N - 1n)) + 1n;
    const point = sm2PublicKeyOf(k.toString(16).padStart(64, '0'));
    pool.unshift({ k, x1: BigInt(`0x${point.slice(2, 66)}`) });
  }
  // The library takes its nonces from the pool (last first) and draws another only in the
  // astronomically unlikely case that r = 0, r + k = n or s = 0.
  const raw = sm2.doSignature(digest, d, { hash: false, der: false, pointPool: pool });
  const der = normaliseSm2Signature(raw);
  if (!der) throw new Error('SM2 signing produced an unreadable signature');
  return der;
}

function hmacSm3(key: Buffer, data: Buffer): Buffer {
  if (getHashes().includes('sm3')) return createHmac('sm3', key).update(data).digest();
  // RFC 2104 written out, for a Node whose OpenSSL lacks SM3 (block size 64).
  const k = key.length > 64 ? sm3(key) : key;
  const pad = (byte: number) => Buffer.from(Array.from({ length: 64 }, (_, i) => (k[i] ?? 0) ^ byte));
  return sm3(pad(0x5c), sm3(pad(0x36), data));
}
