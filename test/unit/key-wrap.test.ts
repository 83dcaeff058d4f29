import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, scryptSync } from 'node:crypto';
import { generateSm2KeyPair } from '../../src/integrity/sm2.ts';
import {
  MAX_LOG2N,
  passphraseProblem,
  unwrapSealKey,
  wrapSealKey,
  WrappedSealKeySchema,
  WrongPassphraseError,
  type WrappedSealKey,
} from '../../src/seal/key-wrap.ts';

const LOG2N = 10; // cheap for tests; production uses 15+
const PASSPHRASE = '阜阳公章-2025';

/** Flips the last hex digit: the smallest change to a hex field. */
const flip = (h: string) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

async function rejectsWrong(promise: Promise<unknown>, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WrongPassphraseError, `expected WrongPassphraseError, got ${String(error)}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('wrapping a seal key under the keeper’s passphrase', () => {
  const { privateKeyHex, publicKeyHex } = generateSm2KeyPair();

  test('round trip: the right passphrase gives back the private key; the row is plain JSON', async () => {
    const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-001', log2N: LOG2N });
    assert.equal(wrapped.version, 1);
    assert.equal(wrapped.sealId, 'seal-001');
    assert.equal(wrapped.publicKey, publicKeyHex);
    assert.deepEqual({ ...wrapped.kdf, salt: '' }, { name: 'scrypt', log2N: LOG2N, r: 8, p: 1, salt: '' });
    assert.match(wrapped.kdf.salt, /^[0-9a-f]{32}$/);
    assert.equal(wrapped.cipher, 'AES-256-GCM');
    assert.match(wrapped.iv, /^[0-9a-f]{24}$/);
    assert.match(wrapped.ciphertext, /^[0-9a-f]{64}$/);
    assert.match(wrapped.tag, /^[0-9a-f]{32}$/);
    assert.ok(!JSON.stringify(wrapped).includes(privateKeyHex), 'the private key is not in the row');
    // As it comes back from a jsonb column.
    const stored = WrappedSealKeySchema.parse(JSON.parse(JSON.stringify(wrapped)));
    assert.deepEqual(stored, wrapped);
    assert.equal(await unwrapSealKey(stored, PASSPHRASE), privateKeyHex);
  });

  test('the format is exactly the documented one (decrypted here with node:crypto alone)', async () => {
    const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-001', log2N: LOG2N });
    const key = scryptSync(Buffer.from(PASSPHRASE.normalize('NFC')), Buffer.from(wrapped.kdf.salt, 'hex'), 32, { N: 2 ** LOG2N, r: 8, p: 1 });
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(wrapped.iv, 'hex'));
    decipher.setAAD(Buffer.from(`gongwen-ledger/seal-key/v1\nseal-001\n${publicKeyHex}`));
    decipher.setAuthTag(Buffer.from(wrapped.tag, 'hex'));
    const plain = Buffer.concat([decipher.update(Buffer.from(wrapped.ciphertext, 'hex')), decipher.final()]);
    assert.equal(plain.toString('hex'), privateKeyHex);
  });

  test('salt and IV are fresh each time', async () => {
    const a = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 's', log2N: LOG2N });
    const b = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 's', log2N: LOG2N });
    assert.notEqual(a.kdf.salt, b.kdf.salt);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.ciphertext, b.ciphertext);
  });

  test('a wrong passphrase opens nothing', async () => {
    const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-001', log2N: LOG2N });
    for (const wrong of ['阜阳公章-2026', '', ' 阜阳公章-2025', '阜阳公章-2025 ', PASSPHRASE.toUpperCase() + 'x']) {
      await rejectsWrong(unwrapSealKey(wrapped, wrong), /印章密码错误/);
    }
  });

  test('the passphrase is compared in NFC: a composed and a decomposed é are the same passphrase', async () => {
    const composed = 'Caf\u00e9-2025!';
    const decomposed = 'Cafe\u0301-2025!';
    assert.notEqual(composed, decomposed);
    const wrapped = await wrapSealKey(privateKeyHex, decomposed, { sealId: 'seal-001', log2N: LOG2N });
    assert.equal(await unwrapSealKey(wrapped, composed), privateKeyHex);
    assert.equal(await unwrapSealKey(wrapped, decomposed), privateKeyHex);
  });

  test('every field changed makes the row unusable, as a wrong passphrase does', async () => {
    const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-001', log2N: LOG2N });
    const other = generateSm2KeyPair().publicKeyHex;
    const tampered: Record<string, WrappedSealKey> = {
      sealId: { ...wrapped, sealId: 'seal-002' },
      publicKey: { ...wrapped, publicKey: other },
      iv: { ...wrapped, iv: flip(wrapped.iv) },
      ciphertext: { ...wrapped, ciphertext: flip(wrapped.ciphertext) },
      'ciphertext (first byte)': { ...wrapped, ciphertext: (wrapped.ciphertext.startsWith('0') ? '1' : '0') + wrapped.ciphertext.slice(1) },
      tag: { ...wrapped, tag: flip(wrapped.tag) },
      salt: { ...wrapped, kdf: { ...wrapped.kdf, salt: flip(wrapped.kdf.salt) } },
      log2N: { ...wrapped, kdf: { ...wrapped.kdf, log2N: LOG2N + 1 } },
      r: { ...wrapped, kdf: { ...wrapped.kdf, r: 4 } },
      p: { ...wrapped, kdf: { ...wrapped.kdf, p: 2 } },
    };
    for (const [field, row] of Object.entries(tampered)) {
      await rejectsWrong(unwrapSealKey(row, PASSPHRASE)).catch((error: unknown) => {
        throw new Error(`tampered ${field}: ${String(error)}`);
      });
    }
    assert.equal(await unwrapSealKey(wrapped, PASSPHRASE), privateKeyHex, 'the original still opens');
  });

  test('a key that decrypts but is not the seal’s own key is refused', async () => {
    // Built with the documented format by someone who knows the passphrase, for another key pair.
    const stranger = generateSm2KeyPair();
    const salt = Buffer.alloc(16, 7);
    const iv = Buffer.alloc(12, 9);
    const key = scryptSync(Buffer.from(PASSPHRASE), salt, 32, { N: 2 ** LOG2N, r: 8, p: 1 });
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`gongwen-ledger/seal-key/v1\nseal-001\n${publicKeyHex}`));
    const ciphertext = Buffer.concat([cipher.update(Buffer.from(stranger.privateKeyHex, 'hex')), cipher.final()]);
    const row: WrappedSealKey = {
      version: 1,
      sealId: 'seal-001',
      publicKey: publicKeyHex,
      kdf: { name: 'scrypt', log2N: LOG2N, r: 8, p: 1, salt: salt.toString('hex') },
      cipher: 'AES-256-GCM',
      iv: iv.toString('hex'),
      ciphertext: ciphertext.toString('hex'),
      tag: cipher.getAuthTag().toString('hex'),
    };
    await rejectsWrong(unwrapSealKey(row, PASSPHRASE), /不符/);
  });

  test('rows that are not wrapped keys are refused before any work is done', async () => {
    const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-001', log2N: LOG2N });
    const bad: unknown[] = [
      null,
      {},
      { ...wrapped, version: 2 },
      { ...wrapped, cipher: 'SM4-GCM' },
      { ...wrapped, kdf: { ...wrapped.kdf, name: 'argon2id' } },
      { ...wrapped, kdf: { ...wrapped.kdf, log2N: 30 } }, // would need 128 GiB: never attempted
      { ...wrapped, kdf: { ...wrapped.kdf, log2N: 4 } },
      { ...wrapped, iv: wrapped.iv.slice(2) },
      { ...wrapped, tag: wrapped.tag.toUpperCase() },
      { ...wrapped, ciphertext: `${wrapped.ciphertext}00` },
      { ...wrapped, publicKey: wrapped.publicKey.slice(2) },
    ];
    for (const row of bad) {
      assert.equal(WrappedSealKeySchema.safeParse(row).success, false, JSON.stringify(row));
      const started = performance.now();
      await rejectsWrong(unwrapSealKey(row as WrappedSealKey, PASSPHRASE), /已损坏/);
      assert.ok(performance.now() - started < 1000);
    }
  });

  test('wrapping refuses what cannot be a seal key or a usable work factor', async () => {
    await assert.rejects(wrapSealKey('00'.repeat(32), PASSPHRASE, { sealId: 's', log2N: LOG2N }), RangeError);
    await assert.rejects(wrapSealKey('xyz', PASSPHRASE, { sealId: 's', log2N: LOG2N }), RangeError);
    await assert.rejects(wrapSealKey(privateKeyHex, '', { sealId: 's', log2N: LOG2N }), RangeError);
    await assert.rejects(wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: '', log2N: LOG2N }), RangeError);
    await assert.rejects(wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 's', log2N: 9 }), RangeError);
    await assert.rejects(wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 's', log2N: MAX_LOG2N + 1 }), RangeError);
    await assert.rejects(wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 's', log2N: 12.5 }), RangeError);
  });

  test('production work factors (2^15, 2^17) fit in the memory allowed to scrypt', async () => {
    for (const log2N of [15, 17]) {
      const wrapped = await wrapSealKey(privateKeyHex, PASSPHRASE, { sealId: 'seal-prod', log2N });
      assert.equal(wrapped.kdf.log2N, log2N);
      assert.equal(await unwrapSealKey(wrapped, PASSPHRASE), privateKeyHex);
      await rejectsWrong(unwrapSealKey(wrapped, 'not-the-passphrase-1'));
    }
  });
});

describe('passphrase strength', () => {
  test('acceptable passphrases', () => {
    for (const ok of ['阜阳公章-2025', 'Gz7!mq2#', 'seal keeper 42', '印章保管员张三丰2025', 'correct horse 9 battery', 'x9Kd72Lp', 'abcd1357']) {
      assert.equal(passphraseProblem(ok), undefined, ok);
    }
  });

  test('too short, counted in characters rather than bytes', () => {
    for (const short of ['', 'a1!', 'Ab3$ef7', '公章密码12']) {
      assert.match(passphraseProblem(short) ?? '', /至少需要 8 个字符/, short);
    }
    assert.equal(passphraseProblem('公章密码1234'), undefined, '8 characters (16 UTF-8 bytes … 20) is long enough');
  });

  test('one kind of character only', () => {
    for (const oneKind of ['qpwoeiru', 'ZmXnCbVa', '31415926', '阜阳市人民政府办公室', '!@#$%^&*(']) {
      assert.match(passphraseProblem(oneKind) ?? '', /两类/, oneKind);
    }
  });

  test('runs and repetitions', () => {
    for (const weak of ['12345678', 'aaaaaaaa', '87654321', 'abcdefgh', 'abc12345', 'a1234567', 'aaaa1111', 'zyx98765', 'a1a1a1a1', 'ab12ab12', 'Ab1!Ab1!', '12341234']) {
      assert.match(passphraseProblem(weak) ?? '', /连续或重复/, weak);
    }
  });

  test('common passwords, lightly decorated', () => {
    for (const common of ['Password1', 'P@ssw0rd!', 'qwerty123', '1qaz2wsx', 'admin@123', 'woaini1314', 'Gongwen2025']) {
      assert.match(passphraseProblem(common) ?? '', /过于常见/, common);
    }
  });

  test('leading or trailing spaces are refused (they are lost in copy and paste)', () => {
    assert.match(passphraseProblem(' Gz7!mq2#x') ?? '', /首尾/);
    assert.match(passphraseProblem('Gz7!mq2#x ') ?? '', /首尾/);
  });

  test('NFC: a decomposed accent counts as one character', () => {
    assert.match(passphraseProblem('Cafe\u0301-12') ?? '', /至少需要 8 个字符/);
    assert.equal(passphraseProblem('Cafe\u0301-123'), undefined);
  });
});
