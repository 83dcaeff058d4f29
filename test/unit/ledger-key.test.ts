import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, hkdfSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sm2 } from 'sm-crypto-v2';
import {
  deriveMacKey,
  generateSm2PrivateKey,
  hkdfSm3,
  hkdfSm3Manual,
  isValidSm2PrivateKey,
  LEDGER_KEY_FILE,
  LedgerKeyError,
  ledgerKeyFromPrivateKey,
  loadLedgerKey,
  MAC_KEY_INFO,
  SM2_DEFAULT_USER_ID,
  verifySm2Signature,
} from '../../src/integrity/ledger-key.ts';
import { sm3, sm3Hex } from '../../src/integrity/sm3.ts';
import { ConfigError } from '../../src/config/config.ts';

// SM2 recommended curve parameters, GB/T 32918.5-2017.
const CURVE = {
  a: 'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc',
  b: '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93',
  gx: '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7',
  gy: 'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0',
};
const N_HEX = 'fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123';

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), GB/T 32918.2 §5.5, written out independently. */
function za(userId: string, publicKeyHex: string): Buffer {
  const id = Buffer.from(userId, 'utf8');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  const pub = Buffer.from(publicKeyHex, 'hex');
  return sm3(entl, id, Buffer.from(CURVE.a + CURVE.b + CURVE.gx + CURVE.gy, 'hex'), pub.subarray(1, 33), pub.subarray(33, 65));
}

/** DER encodings Node's OpenSSL reads, so its independent SM2 implementation can take part. */
function nodeKeys(privateKeyHex: string, publicKeyHex: string) {
  const pub = Buffer.from(publicKeyHex, 'hex');
  const der = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag, body.length]), body]);
  const sm2Oid = Buffer.from('06082a811ccf5501822d', 'hex');
  const spki = der(0x30, Buffer.concat([der(0x30, Buffer.concat([Buffer.from('06072a8648ce3d0201', 'hex'), sm2Oid])), der(0x03, Buffer.concat([Buffer.from([0]), pub]))]));
  const sec1 = der(
    0x30,
    Buffer.concat([Buffer.from('020101', 'hex'), der(0x04, Buffer.from(privateKeyHex, 'hex')), der(0xa0, sm2Oid), der(0xa1, der(0x03, Buffer.concat([Buffer.from([0]), pub])))]),
  );
  return {
    publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
    privateKey: createPrivateKey({ key: sec1, format: 'der', type: 'sec1' }),
  };
}

const FIXED_KEY = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';

describe('SM2 signatures (GM/T 0003, signer ID 1234567812345678)', () => {
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());

  test('a signature verifies with the public key alone, and only for the signed message', () => {
    const message = 'gongwen-ledger/v1\n3\nabc\n2025-01-01T00:00:00.000Z\n';
    const signature = key.sign(message);
    assert.match(signature, /^30[0-9a-f]+$/, 'DER SEQUENCE of (r, s)');
    assert.ok(key.verify(message, signature));
    assert.ok(verifySm2Signature(key.publicKeyHex, message, signature));
    assert.ok(verifySm2Signature(key.publicKeyHex, Buffer.from(message), signature), 'bytes and their UTF-8 string sign alike');
    assert.equal(verifySm2Signature(key.publicKeyHex, message.replace('3', '4'), signature), false);
    const other = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
    assert.equal(verifySm2Signature(other.publicKeyHex, message, signature), false);
    const bad = signature.slice(0, -2) + (signature.endsWith('00') ? '01' : '00');
    assert.equal(verifySm2Signature(key.publicKeyHex, message, bad), false);
    assert.equal(verifySm2Signature(key.publicKeyHex, message, 'zz'), false);
    assert.equal(verifySm2Signature(key.publicKeyHex, message, '3006020101020101'), false);
    assert.equal(verifySm2Signature('04abc', message, signature), false);
  });

  test('the digest signed is SM3(Z_A ‖ M) with the standard signer ID, computed independently', () => {
    const message = Buffer.from('公文 ledger checkpoint');
    const signature = key.sign(message);
    const e = sm3(za(SM2_DEFAULT_USER_ID, key.publicKeyHex), message);
    // Verify the raw (r, s) over e, bypassing the library's own Z computation.
    assert.ok(sm2.doVerifySignature(Uint8Array.from(e), signature, key.publicKeyHex, { der: true }));
    const eEmptyId = sm3(za('', key.publicKeyHex), message);
    assert.equal(sm2.doVerifySignature(Uint8Array.from(eEmptyId), signature, key.publicKeyHex, { der: true }), false);
    assert.equal(sm2.doVerifySignature(Uint8Array.from(message), signature, key.publicKeyHex, { der: true, hash: true, userId: 'ALICE123@YAHOO.COM' }), false);
  });

  test('the SM2 arithmetic and DER encoding agree with OpenSSL (which uses an empty signer ID)', () => {
    const message = Buffer.from('interop check');
    const { publicKey, privateKey } = nodeKeys(key.privateKeyHex, key.publicKeyHex);
    const byOpenSsl = nodeSign(null, message, privateKey).toString('hex');
    assert.ok(sm2.doVerifySignature(Uint8Array.from(message), byOpenSsl, key.publicKeyHex, { der: true, hash: true, userId: '' }));
    const byLibrary = sm2.doSignature(Uint8Array.from(message), key.privateKeyHex, { der: true, hash: true, userId: '' });
    assert.ok(nodeVerify(null, message, publicKey, Buffer.from(byLibrary, 'hex')));
    // …and that is exactly why the ledger does not use Node's SM2: its ID differs from the standard one.
    assert.equal(verifySm2Signature(key.publicKeyHex, message, byOpenSsl), false);
    assert.equal(nodeVerify(null, message, publicKey, Buffer.from(key.sign(message), 'hex')), false);
  });

  test('public key, key id and MAC key follow from the private key', () => {
    const k1 = ledgerKeyFromPrivateKey(FIXED_KEY);
    const k2 = ledgerKeyFromPrivateKey(FIXED_KEY.toUpperCase());
    assert.equal(k1.publicKeyHex, k2.publicKeyHex);
    assert.match(k1.publicKeyHex, /^04[0-9a-f]{128}$/);
    assert.equal(k1.publicKeyHex, sm2.getPublicKeyFromPrivateKey(FIXED_KEY));
    assert.equal(k1.keyId, sm3Hex(Buffer.from(k1.publicKeyHex, 'hex')).slice(0, 16));
    assert.deepEqual(k1.macKey, k2.macKey);
    assert.equal(k1.macKey.length, 32);
    assert.notDeepEqual(k1.macKey, key.macKey);
    assert.deepEqual(k1.macKey, Buffer.from(hkdfSync('sm3', Buffer.from(FIXED_KEY, 'hex'), 'gongwen-ledger/v1', MAC_KEY_INFO, 32)));
    assert.deepEqual(deriveMacKey(FIXED_KEY), k1.macKey);
    assert.ok(!JSON.stringify({ k1 }).includes(FIXED_KEY), 'the private key stays out of JSON dumps');
  });

  test('the HKDF fallback is the same RFC 5869 construction as Node’s', () => {
    const ikm = Buffer.from(FIXED_KEY, 'hex');
    for (const length of [16, 32, 33, 64, 100]) {
      assert.deepEqual(hkdfSm3Manual(ikm, 'salt', 'info', length), hkdfSm3(ikm, 'salt', 'info', length), `length ${length}`);
    }
    assert.deepEqual(hkdfSm3Manual(ikm, '', 'info', 32), Buffer.from(hkdfSync('sm3', ikm, Buffer.alloc(0), 'info', 32)));
  });

  test('out-of-range or malformed private keys are refused', () => {
    const nMinus1 = (BigInt(`0x${N_HEX}`) - 1n).toString(16);
    const nMinus2 = (BigInt(`0x${N_HEX}`) - 2n).toString(16);
    for (const bad of ['0'.repeat(64), N_HEX, nMinus1, 'g'.repeat(64), 'abc', FIXED_KEY + '00']) {
      assert.equal(isValidSm2PrivateKey(bad), false, bad);
      assert.throws(() => ledgerKeyFromPrivateKey(bad), (e: unknown) => e instanceof LedgerKeyError && e instanceof ConfigError && /GONGWEN_LEDGER_KEY/.test(e.message));
    }
    assert.ok(isValidSm2PrivateKey(nMinus2));
    assert.ok(isValidSm2PrivateKey('0'.repeat(63) + '1'));
  });
});

describe('loading the ledger key', () => {
  const withDir = async (fn: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'gongwen-key-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test('in development a key is generated once, stored with mode 0600, and reused', () =>
    withDir(async (dir) => {
      const dataDir = join(dir, 'data');
      const config = { GONGWEN_DATA_DIR: dataDir, GONGWEN_MODE: 'development' as const, GONGWEN_LEDGER_KEY: undefined };
      const first = await loadLedgerKey(config, { now: () => new Date('2025-03-01T00:00:00Z') });
      const path = join(dataDir, LEDGER_KEY_FILE);
      const stored = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
      assert.equal(stored.algorithm, 'SM2');
      assert.equal(stored.privateKey, first.privateKeyHex);
      assert.equal(stored.publicKey, first.publicKeyHex);
      assert.equal(stored.keyId, first.keyId);
      assert.equal(stored.createdAt, '2025-03-01T00:00:00.000Z');
      assert.equal((await stat(path)).mode & 0o777, 0o600);

      const second = await loadLedgerKey(config);
      assert.equal(second.privateKeyHex, first.privateKeyHex);
      assert.deepEqual(second.macKey, first.macKey);
      // A signature made before the restart still verifies after it.
      assert.ok(second.verify('m', first.sign('m')));

      await chmod(path, 0o644);
      await loadLedgerKey(config);
      assert.equal((await stat(path)).mode & 0o777, 0o600, 'a loosened file is tightened again');
    }));

  test('processes starting together agree on one key', () =>
    withDir(async (dir) => {
      const config = { GONGWEN_DATA_DIR: dir, GONGWEN_MODE: 'development' as const, GONGWEN_LEDGER_KEY: undefined };
      const keys = await Promise.all(Array.from({ length: 8 }, () => loadLedgerKey(config)));
      assert.equal(new Set(keys.map((k) => k.privateKeyHex)).size, 1);
      const stored = JSON.parse(await readFile(join(dir, LEDGER_KEY_FILE), 'utf8')) as { privateKey: string };
      assert.equal(stored.privateKey, keys[0]!.privateKeyHex);
    }));

  test('GONGWEN_LEDGER_KEY wins over the file, and nothing is written', () =>
    withDir(async (dir) => {
      const key = await loadLedgerKey({ GONGWEN_DATA_DIR: dir, GONGWEN_MODE: 'production', GONGWEN_LEDGER_KEY: FIXED_KEY });
      assert.equal(key.privateKeyHex, FIXED_KEY);
      await assert.rejects(stat(join(dir, LEDGER_KEY_FILE)), { code: 'ENOENT' });
    }));

  test('production without a key, a corrupt file, or a file whose halves do not match is refused', () =>
    withDir(async (dir) => {
      await assert.rejects(loadLedgerKey({ GONGWEN_DATA_DIR: dir, GONGWEN_MODE: 'production', GONGWEN_LEDGER_KEY: undefined }), LedgerKeyError);
      const config = { GONGWEN_DATA_DIR: dir, GONGWEN_MODE: 'development' as const, GONGWEN_LEDGER_KEY: undefined };
      const path = join(dir, LEDGER_KEY_FILE);
      await writeFile(path, '{not json', { mode: 0o600 });
      await assert.rejects(loadLedgerKey(config), /已损坏/);
      await writeFile(path, JSON.stringify({ algorithm: 'SM2', privateKey: '00'.repeat(32) }));
      await assert.rejects(loadLedgerKey(config), /不是有效的 SM2 私钥/);
      const other = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
      await writeFile(path, JSON.stringify({ algorithm: 'SM2', privateKey: FIXED_KEY, publicKey: other.publicKeyHex }));
      await assert.rejects(loadLedgerKey(config), /公钥与私钥不匹配/);
    }));
});
