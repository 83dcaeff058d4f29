import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sm2 } from 'sm-crypto-v2';
import {
  generateSm2KeyPair,
  isValidSm2PublicKey,
  normaliseSm2Signature,
  OID,
  SM2_DEFAULT_USER_ID,
  SM2_N,
  sm2PublicKeyOf,
  sm2Sign,
  sm2Verify,
  verifySm2Signature,
  VerifyTables,
} from '../../src/integrity/sm2.ts';
import * as ledgerKey from '../../src/integrity/ledger-key.ts';
import { sm3 } from '../../src/integrity/sm3.ts';

// GB/T 32918.5-2017 (GM/T 0003.5-2012) Annex A: the signature example on the recommended curve.
// The same numbers are OpenSSL's test/sm2_internal_test.c, GmSSL's sm2test.c and most SM2 suites.
const KAT = {
  privateKey: '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8',
  x: '09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020',
  y: 'CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13',
  id: '1234567812345678',
  message: 'message digest',
  za: 'B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3',
  e: 'F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640',
  k: '59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21',
  r: 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3',
  s: 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA',
};
const KAT_PUBLIC = `04${KAT.x}${KAT.y}`.toLowerCase();
const KAT_RAW = `${KAT.r}${KAT.s}`.toLowerCase();
// Both integers have their top bit set, so each takes a 0x00 sign byte: 30 46 02 21 00 r 02 21 00 s.
const KAT_DER = `3046022100${KAT.r}022100${KAT.s}`.toLowerCase();

// Recommended curve parameters (GB/T 32918.5), for computing Z_A independently of the library.
const CURVE_ABG =
  'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc' +
  '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93' +
  '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7' +
  'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0';

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), GB/T 32918.2 §5.5. */
function za(userId: string, publicKeyHex: string): Buffer {
  const id = Buffer.from(userId, 'utf8');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  return sm3(entl, id, Buffer.from(CURVE_ABG, 'hex'), Buffer.from(publicKeyHex.slice(2), 'hex'));
}

// ---------------------------------------------------------------------------------------------
// OpenSSL as the second, independent SM2 implementation (its own curve code, its own Z_A).

const run = promisify(execFile);
let work: string;

async function openssl(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd: work });
    return { ok: true, out: stdout + stderr };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: unknown };
    if (e.code === 'ENOENT') {
      throw new Error('openssl 不在 PATH 上：SM2 互通性测试需要 OpenSSL 3 命令行 (the openssl binary is missing; the SM2 cross-check needs OpenSSL ≥ 3 on PATH)');
    }
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const derTlv = (tag: number, body: Buffer) => {
  assert.ok(body.length < 128, 'short-form lengths suffice for SM2 keys');
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
};
const SM2_CURVE_OID = Buffer.from('06082a811ccf5501822d', 'hex'); // 1.2.156.10197.1.301
const EC_PUBLIC_KEY_OID = Buffer.from('06072a8648ce3d0201', 'hex'); // 1.2.840.10045.2.1

/** A SubjectPublicKeyInfo (RFC 5480 with the SM2 curve) as PEM, assembled from the hex point. */
function publicPem(publicKeyHex: string): string {
  const point = Buffer.concat([Buffer.from([0]), Buffer.from(publicKeyHex, 'hex')]);
  const spki = derTlv(0x30, Buffer.concat([derTlv(0x30, Buffer.concat([EC_PUBLIC_KEY_OID, SM2_CURVE_OID])), derTlv(0x03, point)]));
  return createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** An RFC 5915 (SEC1) private key, re-exported as PKCS#8 PEM. */
function privatePem(privateKeyHex: string, publicKeyHex: string): string {
  const point = Buffer.concat([Buffer.from([0]), Buffer.from(publicKeyHex, 'hex')]);
  const sec1 = derTlv(
    0x30,
    Buffer.concat([Buffer.from('020101', 'hex'), derTlv(0x04, Buffer.from(privateKeyHex, 'hex')), derTlv(0xa0, SM2_CURVE_OID), derTlv(0xa1, derTlv(0x03, point))]),
  );
  return createPrivateKey({ key: sec1, format: 'der', type: 'sec1' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}

let fileNo = 0;
async function put(content: string | Uint8Array): Promise<string> {
  const name = `f${fileNo++}`;
  await writeFile(join(work, name), content);
  return name;
}

async function opensslVerifies(publicKeyHex: string, message: string | Uint8Array, signatureHex: string, distid = SM2_DEFAULT_USER_ID): Promise<boolean> {
  const pub = await put(publicPem(publicKeyHex));
  const msg = await put(message);
  const sig = await put(Buffer.from(signatureHex, 'hex'));
  const result = await openssl(['dgst', '-sm3', '-verify', pub, '-sigopt', `distid:${distid}`, '-signature', sig, msg]);
  if (result.ok) assert.match(result.out, /Verified OK/);
  else assert.match(result.out, /Verification failure/, `openssl failed for another reason: ${result.out}`);
  return result.ok;
}

async function opensslSigns(privateKeyHex: string, publicKeyHex: string, message: string | Uint8Array, distid = SM2_DEFAULT_USER_ID): Promise<string> {
  const key = await put(privatePem(privateKeyHex, publicKeyHex));
  const msg = await put(message);
  const sig = `f${fileNo++}`;
  const result = await openssl(['dgst', '-sm3', '-sign', key, '-sigopt', `distid:${distid}`, '-out', sig, msg]);
  assert.ok(result.ok, `openssl could not sign: ${result.out}`);
  return (await readFile(join(work, sig))).toString('hex');
}

/** Fails (never skips) the calling test when OpenSSL is missing or too old for SM2 with distid. */
async function requireOpenssl(): Promise<void> {
  const version = await openssl(['version']);
  assert.ok(version.ok && /^OpenSSL [3-9]\./.test(version.out), `SM2 with distid needs OpenSSL ≥ 3, found: ${version.out}`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'gongwen-sm2-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('GB/T 32918.5 Annex A known answer (ID 1234567812345678, "message digest")', () => {
  test('the public key follows from the private key', () => {
    assert.equal(sm2PublicKeyOf(KAT.privateKey), KAT_PUBLIC);
    assert.equal(sm2PublicKeyOf(KAT.privateKey.toLowerCase()), KAT_PUBLIC);
    assert.ok(isValidSm2PublicKey(KAT_PUBLIC));
  });

  test('Z_A and the digest e match the published values', () => {
    assert.equal(KAT.id, SM2_DEFAULT_USER_ID);
    const z = za(KAT.id, KAT_PUBLIC);
    assert.equal(z.toString('hex'), KAT.za.toLowerCase());
    assert.equal(sm3(z, KAT.message).toString('hex'), KAT.e.toLowerCase());
    // …and the library the signer delegates to computes the same.
    assert.equal(Buffer.from(sm2.getZ(KAT_PUBLIC, KAT.id)).toString('hex'), KAT.za.toLowerCase());
  });

  test('the published (r, s) verifies, raw and as DER, and only for its message', () => {
    assert.equal(normaliseSm2Signature(KAT_RAW), KAT_DER);
    assert.equal(normaliseSm2Signature(KAT_RAW.toUpperCase()), KAT_DER);
    assert.ok(sm2Verify(KAT_PUBLIC, KAT.message, KAT_RAW));
    assert.ok(sm2Verify(KAT_PUBLIC, KAT.message, KAT_DER));
    assert.ok(sm2Verify(KAT_PUBLIC.toUpperCase(), Buffer.from(KAT.message), KAT_DER.toUpperCase()));
    assert.ok(verifySm2Signature(KAT_PUBLIC, KAT.message, KAT_DER));
    assert.equal(verifySm2Signature(KAT_PUBLIC, KAT.message, KAT_RAW), false, 'the ledger’s own signatures are DER only');
    assert.equal(sm2Verify(KAT_PUBLIC, 'message digesT', KAT_DER), false);
    assert.equal(sm2Verify(KAT_PUBLIC, `${KAT.message}\n`, KAT_DER), false);
  });

  test('with the published nonce k the signing arithmetic reproduces (r, s) exactly', () => {
    // sm2Sign draws k at random; the library's point pool lets the test hand it the published k.
    const x1 = BigInt(`0x${sm2PublicKeyOf(KAT.k).slice(2, 66)}`);
    const raw = sm2.doSignature(Buffer.from(KAT.message), KAT.privateKey.toLowerCase(), {
      hash: true,
      der: false,
      userId: KAT.id,
      pointPool: [{ k: BigInt(`0x${KAT.k}`), x1 }],
    });
    assert.equal(raw, KAT_RAW);
  });

  test('OpenSSL agrees that the published signature is valid', async () => {
    await requireOpenssl();
    assert.ok(await opensslVerifies(KAT_PUBLIC, KAT.message, KAT_DER));
    assert.equal(await opensslVerifies(KAT_PUBLIC, KAT.message, KAT_DER, 'ALICE123@YAHOO.COM'), false);
  });
});

describe('interoperability with OpenSSL 3 (distid 1234567812345678), both directions', () => {
  before(requireOpenssl);
  const messages: (string | Uint8Array)[] = [
    '',
    'abc',
    '阜政办〔2025〕12号 关于加强电子印章管理的通知',
    Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff)),
    new Uint8Array([0, 0, 0, 0xff]),
  ];

  test('signatures made here verify with `openssl dgst -sm3 -verify`', async () => {
    for (const message of messages) {
      const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
      const signature = sm2Sign(privateKeyHex, message);
      assert.ok(await opensslVerifies(publicKeyHex, message, signature), `message ${JSON.stringify(String(message)).slice(0, 40)}`);
    }
  });

  test('signatures made by `openssl dgst -sm3 -sign` verify here', async () => {
    for (const message of messages) {
      const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
      const signature = await opensslSigns(privateKeyHex, publicKeyHex, message);
      assert.ok(sm2Verify(publicKeyHex, message, signature));
      assert.equal(normaliseSm2Signature(signature), signature, 'OpenSSL writes the same strict DER');
    }
  });

  test('a tampered message, another key or another signer ID fails on both sides', async () => {
    const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
    const other = generateSm2KeyPair();
    const message = '发文字号：阜政办〔2025〕12号';
    const ours = sm2Sign(privateKeyHex, message, publicKeyHex);
    assert.equal(await opensslVerifies(publicKeyHex, `${message} `, ours), false);
    assert.equal(await opensslVerifies(other.publicKeyHex, message, ours), false);
    assert.equal(await opensslVerifies(publicKeyHex, message, ours, '1234567812345679'), false);

    const theirs = await opensslSigns(privateKeyHex, publicKeyHex, message);
    assert.equal(sm2Verify(publicKeyHex, `${message} `, theirs), false);
    assert.equal(sm2Verify(other.publicKeyHex, message, theirs), false);
    const otherId = await opensslSigns(privateKeyHex, publicKeyHex, message, 'ALICE123@YAHOO.COM');
    assert.ok(await opensslVerifies(publicKeyHex, message, otherId, 'ALICE123@YAHOO.COM'), 'OpenSSL itself accepts it under its ID');
    assert.equal(sm2Verify(publicKeyHex, message, otherId), false, 'a signature under another ID is not ours');
  });
});

describe('signing and verifying', () => {
  test('a fresh key pair signs; the signature is strict DER and verifies for that message and key only', () => {
    const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
    assert.match(privateKeyHex, /^[0-9a-f]{64}$/);
    assert.match(publicKeyHex, /^04[0-9a-f]{128}$/);
    assert.equal(sm2PublicKeyOf(privateKeyHex), publicKeyHex);
    const message = '公文 sealed content';
    const signature = sm2Sign(privateKeyHex, message);
    assert.match(signature, /^30[0-9a-f]+$/);
    assert.equal(normaliseSm2Signature(signature), signature);
    assert.ok(sm2Verify(publicKeyHex, message, signature));
    assert.ok(sm2Verify(publicKeyHex, Buffer.from(message), signature), 'a string signs as its UTF-8 bytes');
    assert.ok(sm2Verify(publicKeyHex, new TextEncoder().encode(message), signature));
    assert.equal(sm2Verify(publicKeyHex, message.slice(0, -1), signature), false);
    assert.equal(sm2Verify(generateSm2KeyPair().publicKeyHex, message, signature), false);
    assert.notEqual(sm2Sign(privateKeyHex, message), signature, 'k is random: two signatures differ');
    assert.equal(sm2Sign(privateKeyHex.toUpperCase(), message, publicKeyHex.toUpperCase()).length > 0, true);
  });

  test('the digest signed is SM3(Z_A ‖ M) with the standard ID, checked against an independent Z_A', () => {
    const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
    const message = Buffer.from('interop');
    const signature = sm2Sign(privateKeyHex, message, publicKeyHex);
    const e = sm3(za(SM2_DEFAULT_USER_ID, publicKeyHex), message);
    assert.ok(sm2.doVerifySignature(Uint8Array.from(e), signature, publicKeyHex, { der: true }));
    const eEmptyId = sm3(za('', publicKeyHex), message);
    assert.equal(sm2.doVerifySignature(Uint8Array.from(eEmptyId), signature, publicKeyHex, { der: true }), false);
  });

  test('many signatures are all canonical DER, including integers that need a sign byte or are short', () => {
    const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
    const lengths = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const message = `m${i}`;
      const signature = sm2Sign(privateKeyHex, message, publicKeyHex);
      lengths.add(signature.length / 2);
      assert.equal(normaliseSm2Signature(signature), signature);
      assert.ok(sm2Verify(publicKeyHex, message, signature), `signature ${i}`);
    }
    // 0x46 when both integers carry a 0x00 sign byte, 0x44 when neither does: both occur in 300 tries.
    assert.ok(lengths.has(72) && lengths.has(70), `lengths seen: ${[...lengths].join(', ')}`);
  });

  test('verifying one key many times (the precomputed table) gives the same answers', () => {
    const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();
    const signature = sm2Sign(privateKeyHex, 'x', publicKeyHex);
    // Plainly at first, then (dense enough) through its table.
    for (let i = 0; i < 20; i++) {
      assert.ok(sm2Verify(publicKeyHex, 'x', signature), `round ${i}`);
      assert.equal(sm2Verify(publicKeyHex, 'y', signature), false, `round ${i}`);
    }
  });

  test('a precomputed table goes to a key verified densely, never to keys taking turns, and the least recently used is dropped', () => {
    const built: string[] = [];
    // Two tables over the last 32 verifications: a key needs 16 of them.
    const tables = new VerifyTables((key) => (built.push(key), `table:${key}`), 32, 2);
    // Twelve seals sealing in turn (a city's units), for a long while: no table is ever built.
    for (let round = 0; round < 50; round++) for (let k = 0; k < 12; k++) assert.equal(tables.tableFor(`seal-${k}`), null);
    assert.deepEqual(built, []);
    // One key verified over and over (the ledger key over every checkpoint): its table from the 16th time.
    for (let i = 1; i <= 15; i++) assert.equal(tables.tableFor('ledger'), null, `use ${i}`);
    assert.equal(tables.tableFor('ledger'), 'table:ledger');
    assert.equal(tables.tableFor('ledger'), 'table:ledger');
    for (let i = 0; i < 16; i++) tables.tableFor('walk-a');
    tables.tableFor('ledger'); // used again: now the most recent
    for (let i = 0; i < 16; i++) tables.tableFor('walk-b');
    assert.deepEqual(tables.keys(), ['ledger', 'walk-b'], 'walk-a, least recently used, was dropped');
    assert.deepEqual(built, ['ledger', 'walk-a', 'walk-b'], 'each table built once');
  });

  test('invalid private keys are refused, not signed with', () => {
    const n = SM2_N.toString(16);
    const nMinus1 = (SM2_N - 1n).toString(16);
    for (const bad of ['0'.repeat(64), n, nMinus1, 'g'.repeat(64), 'abc', `${KAT.privateKey}00`]) {
      assert.throws(() => sm2Sign(bad, 'm'), RangeError, bad);
      assert.throws(() => sm2PublicKeyOf(bad), RangeError, bad);
    }
    assert.throws(() => sm2Sign(KAT.privateKey, 'm', '04abc'), RangeError);
    assert.equal(sm2PublicKeyOf((SM2_N - 2n).toString(16)).length, 130);
  });

  test('the OIDs are those of GM/T 0006', () => {
    assert.deepEqual(OID, { SM3: '1.2.156.10197.1.401', SM2: '1.2.156.10197.1.301', SM2_SIGN: '1.2.156.10197.1.301.1', SM3_WITH_SM2: '1.2.156.10197.1.501' });
  });

  test('ledger-key.ts still exports the moved names, bound to the same functions', () => {
    assert.equal(ledgerKey.SM2_DEFAULT_USER_ID, SM2_DEFAULT_USER_ID);
    assert.equal(ledgerKey.verifySm2Signature, verifySm2Signature);
    const key = ledgerKey.ledgerKeyFromPrivateKey(KAT.privateKey);
    assert.equal(key.publicKeyHex, KAT_PUBLIC);
    assert.ok(sm2Verify(KAT_PUBLIC, 'checkpoint', key.sign('checkpoint')));
  });
});

describe('signature encodings', () => {
  const hex = (v: bigint, bytes = 32) => v.toString(16).padStart(bytes * 2, '0');
  const int = (body: string) => `02${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
  const seq = (body: string) => `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
  const r = BigInt(`0x${KAT.r}`);
  const s = BigInt(`0x${KAT.s}`);

  test('short integers are encoded minimally and read back', () => {
    const der = normaliseSm2Signature(hex(1n) + hex(0x80n));
    assert.equal(der, seq(int('01') + int('0080')));
    assert.equal(normaliseSm2Signature(der!), der);
  });

  test('malformed or non-canonical signatures are undefined, and never verify or throw', () => {
    const cases: Record<string, string> = {
      empty: '',
      'odd length': `${KAT_DER}0`,
      'not hex': KAT_DER.replace(/.$/, 'g'),
      'trailing byte': `${KAT_DER}00`,
      'sequence length too long': `3047${KAT_DER.slice(4)}`,
      'sequence length too short': `3045${KAT_DER.slice(4)}`,
      'long-form length (BER)': `308146${KAT_DER.slice(4)}`,
      'not a sequence': `3146${KAT_DER.slice(4)}`,
      'integer tag wrong': seq(`03210${'0'}${KAT.r}`.toLowerCase() + int(`00${KAT.s}`)),
      'negative r (sign byte missing)': seq(int(KAT.r.toLowerCase()) + int(`00${KAT.s}`.toLowerCase())),
      'extra zero byte before r': seq(int(`0000${KAT.r}`.toLowerCase()) + int(`00${KAT.s}`.toLowerCase())),
      'r padded to 33 bytes without need': seq(int(`00${hex(1n)}`) + int(`00${KAT.s}`.toLowerCase())),
      'a third integer': seq(int(`00${KAT.r}`.toLowerCase()) + int(`00${KAT.s}`.toLowerCase()) + int('01')),
      'only r': seq(int(`00${KAT.r}`.toLowerCase())),
      'zero-length integer': seq('0200' + int(`00${KAT.s}`.toLowerCase())),
      'r = 0 (DER)': seq(int('00') + int(`00${KAT.s}`.toLowerCase())),
      'r = 0 (raw)': hex(0n) + hex(s),
      's = 0 (raw)': hex(r) + hex(0n),
      's = n (raw)': hex(r) + hex(SM2_N),
      'r = n (DER)': seq(int(`00${hex(SM2_N)}`) + int(`00${KAT.s}`.toLowerCase())),
      'raw of 63 bytes': KAT_RAW.slice(2),
      'raw of 65 bytes': `${KAT_RAW}00`,
      'far too long': '30'.repeat(200),
    };
    for (const [name, signature] of Object.entries(cases)) {
      assert.equal(normaliseSm2Signature(signature), undefined, name);
      assert.equal(sm2Verify(KAT_PUBLIC, KAT.message, signature), false, name);
    }
  });

  test('spellings the bare library would accept as the published signature are all refused', () => {
    const lenient = {
      'trailing junk': `${KAT_DER}deadbeef`,
      'wrong sequence length': `3050${KAT_DER.slice(4)}`,
      'not a sequence': `3146${KAT_DER.slice(4)}`,
      'negative r': seq(int(KAT.r.toLowerCase()) + int(`00${KAT.s}`.toLowerCase())),
      'r padded': seq(int(`0000${KAT.r}`.toLowerCase()) + int(`00${KAT.s}`.toLowerCase())),
    };
    for (const [name, signature] of Object.entries(lenient)) {
      assert.ok(sm2.doVerifySignature(KAT.message, signature, KAT_PUBLIC, { der: true, hash: true }), `the library alone accepts: ${name}`);
      assert.equal(normaliseSm2Signature(signature), undefined, name);
      assert.equal(sm2Verify(KAT_PUBLIC, KAT.message, signature), false, name);
    }
  });

  test('s + n is refused without an exception (the bare library throws on it)', () => {
    const malleable = seq(int(`00${KAT.r}`.toLowerCase()) + int(hex(s + SM2_N, 33)));
    assert.throws(() => sm2.doVerifySignature(KAT.message, malleable, KAT_PUBLIC, { der: true, hash: true }));
    assert.equal(normaliseSm2Signature(malleable), undefined);
    assert.equal(sm2Verify(KAT_PUBLIC, KAT.message, malleable), false);
  });

  test('bad public keys and bad argument types make verification false, never an exception', () => {
    const offCurve = `04${KAT.x}${(BigInt(`0x${KAT.y}`) + 1n).toString(16).padStart(64, '0')}`.toLowerCase();
    const badKeys = ['', '04', '04abc', `02${KAT.x}`, KAT_PUBLIC.slice(2), `05${KAT_PUBLIC.slice(2)}`, offCurve, `04${'0'.repeat(128)}`, `04${'f'.repeat(128)}`];
    for (const key of badKeys) {
      assert.equal(isValidSm2PublicKey(key), false, key);
      assert.equal(sm2Verify(key, KAT.message, KAT_DER), false, key);
    }
    // The same off-curve key many times, so the precomputed-table path meets it too.
    for (let i = 0; i < 20; i++) assert.equal(sm2Verify(offCurve, KAT.message, KAT_DER), false);
    const loose = sm2Verify as (...args: unknown[]) => boolean;
    assert.equal(loose(undefined, KAT.message, KAT_DER), false);
    assert.equal(loose(KAT_PUBLIC, undefined, KAT_DER), false);
    assert.equal(loose(KAT_PUBLIC, 42, KAT_DER), false);
    assert.equal(loose(KAT_PUBLIC, KAT.message, null), false);
    assert.equal(loose(KAT_PUBLIC, KAT.message, 12), false);
    assert.equal((normaliseSm2Signature as (x: unknown) => unknown)(undefined), undefined);
    assert.equal((isValidSm2PublicKey as (x: unknown) => boolean)(null), false);
  });
});
