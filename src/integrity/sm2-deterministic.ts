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
  // e = SM3(Z_A ‖ M), as the signature itself computes it: k is bound to exactly what is signed.
  // The message is hashed where it lies (an export signs a few MB an item: no copy).
  const digest = sm2MessageDigest(message, publicKey);
  const e = Buffer.from(digest);
  // The first nonce of the sequence that gives a valid signature (r ≠ 0, r + k ≠ n, s ≠ 0, as
  // GM/T 0003 asks), checked here so that only it is computed: a nonce's point is a scalar
  // multiplication, the bulk of a signature's cost. Any other nonce would almost never be needed.
  const dn = BigInt(`0x${d}`);
  const en = BigInt(`0x${e.toString('hex')}`);
  const inverse = modPow((1n + dn) % SM2_N, SM2_N - 2n, SM2_N);
  const pool: { k: bigint; x1: bigint }[] = [];
  for (let counter = 0; pool.length === 0 && counter < 16; counter++) {
    const mac = hmacSm3(Buffer.from(d, 'hex'), Buffer.concat([Buffer.from('gongwen/sm2-k/v1'), e, Buffer.from([counter])]));
    const k = (BigInt(`0x${mac.toString('hex')}`) % (SM2_N - 1n)) + 1n;
    const point = sm2PublicKeyOf(k.toString(16).padStart(64, '0'));
    const x1 = BigInt(`0x${point.slice(2, 66)}`);
    const r = (en + x1) % SM2_N;
    const sig = (inverse * ((((k - r * dn) % SM2_N) + SM2_N) % SM2_N)) % SM2_N;
    if (r !== 0n && r + k !== SM2_N && sig !== 0n) pool.push({ k, x1 });
  }
  // The library takes its nonce from the pool (and would draw one only were the pool empty).
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

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  for (let b = base % modulus, x = exponent; x > 0n; x >>= 1n, b = (b * b) % modulus) if (x & 1n) result = (result * b) % modulus;
  return result;
}
