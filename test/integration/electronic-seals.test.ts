import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSealEvidence } from '../../src/app/seal-evidence.ts';
import { sealingContentOf } from '../../src/app/commands/sealing-commands.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { generateSm2KeyPair, sm2Sign, sm2Verify } from '../../src/integrity/sm2.ts';
import { verifySealedDocument } from '../../src/seal/verify-sealed-document.ts';
import { createTestLedger, draftInput, refusal, SEAL_PASSPHRASE, seedCity, user } from '../support/ledger.ts';

/**
 * Electronic seals end to end through the command service on a real PostgreSQL: server-held keys
 * under the keeper's passphrase, USB-key (client-held) signatures, the refusals, the lock after
 * wrong passphrases, destruction of the key, and the seal verification a reader of the document
 * runs from public data only.
 */

async function setup(env: Record<string, string> = {}, now?: () => Date) {
  const ledger = await createTestLedger({ env, now });
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  const run = (p: Parameters<typeof city.run>[0], type: string, input: Record<string, unknown>) => city.run(p, type, input);
  /** A signed-off document of the city office, ready for its seal. */
  const signedOff = async (documentId: string, over: Record<string, unknown> = {}) => {
    await run(office.clerk, 'DraftDocument', draftInput(documentId, over));
    await run(office.leader, 'SignOffDocument', { documentId });
  };
  const numberingEvents = async () => {
    const { rows } = await ledger.db.pool.query(`SELECT count(*)::int AS n FROM events WHERE stream_id LIKE 'numbering-city-office%'`);
    return rows[0].n as number;
  };
  const verify = (documentId: string) => loadSealEvidence(ledger.store, ledger.db.pool, documentId).then((e) => verifySealedDocument(e, [ledger.key.publicKeyHex]));
  return { ledger, city, office, run, signedOff, numberingEvents, verify };
}

describe('sealing with a server-held key', async () => {
  const { ledger, city, office, run, signedOff, numberingEvents, verify } = await setup({ GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: '3' });

  test('the keeper seals with the passphrase; the signature verifies with the seal\'s registered key', async () => {
    await signedOff('srv-1');
    const outcome = await run(office.keeper, 'SealDocument', { documentId: 'srv-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
    const sealed = outcome.events.find((e) => e.type === 'DocumentSealed')!.data as Record<string, string>;
    assert.equal(sealed.signatureAlgorithm, '1.2.156.10197.1.501');
    assert.equal(sealed.keyCustody, 'server');
    assert.ok(sm2Verify(sealed.sealPublicKey!, Buffer.from(sealed.contentDigest!, 'hex'), sealed.signature!));
    const seal = (await ledger.store.readStream('seal-city-office-seal')).events[0]!.data as { publicKey: string };
    assert.equal(sealed.sealPublicKey, seal.publicKey);
    const v = await verify('srv-1');
    assert.deepEqual(v.problems, []);
    assert.equal(v.valid, true);
  });

  test('a wrong passphrase seals nothing, reserves no number, and is in the security log', async () => {
    await signedOff('srv-2');
    const before = await numberingEvents();
    const r = await refusal(run(office.keeper, 'SealDocument', { documentId: 'srv-2', sealId: 'city-office-seal', passphrase: 'Wrong-pass-1' }));
    assert.equal(r.code, 'SEAL_PASSPHRASE_WRONG');
    assert.match(r.message, /密码不正确，还可以再试 2 次/);
    assert.equal(await numberingEvents(), before);
    assert.equal((await ledger.store.readStream('document-srv-2')).events.at(-1)!.type, 'DocumentSignedOff');
    const log = (await ledger.securityLog.page({ userId: 'city-office-keeper' }, { first: 100 })).items;
    assert.equal(log[0]!.code, 'SEAL_PASSPHRASE_WRONG');
    assert.equal(log[0]!.commandType, 'SealDocument');
    assert.ok(!JSON.stringify(log).includes('Wrong-pass-1'), 'the passphrase tried is never logged');
  });

  test('after too many wrong passphrases the seal is locked, even for the right one', async () => {
    await refusal(run(office.keeper, 'SealDocument', { documentId: 'srv-2', sealId: 'city-office-seal', passphrase: 'Wrong-pass-2' }));
    const third = await refusal(run(office.keeper, 'SealDocument', { documentId: 'srv-2', sealId: 'city-office-seal', passphrase: 'Wrong-pass-3' }));
    assert.match(third.message, /已锁定/);
    const locked = await refusal(run(office.keeper, 'SealDocument', { documentId: 'srv-2', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }));
    assert.equal(locked.code, 'SEAL_LOCKED');
    // Another unit's seal is not affected.
    const edu = city.units[1]!;
    await run(edu.clerk, 'DraftDocument', draftInput('edu-1', { docNumberPrefix: '阜教', mainRecipients: ['fin'], ccRecipients: [] }));
    await run(edu.leader, 'SignOffDocument', { documentId: 'edu-1' });
    await run(edu.keeper, 'SealDocument', { documentId: 'edu-1', sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
  });

  test('a client signature is refused for a server-held seal, and a passphrase missing', async () => {
    await signedOff('srv-3');
    const r = await refusal(run(city.units[2]!.keeper, 'SealDocument', { documentId: 'srv-3', sealId: 'city-office-seal', signature: '30'.padEnd(140, '1') }));
    // The keeper of another unit is refused before anything about the key, as if the document did not exist.
    assert.equal(r.code, 'NOT_FOUND');
  });
});

describe('the keeper changes the passphrase; destruction deletes the key', async () => {
  const { ledger, office, run, signedOff } = await setup();

  test('old passphrase opens no more, the new one seals; the event names who, not what', async () => {
    const wrongOld = await refusal(run(office.keeper, 'ChangeSealPassphrase', { sealId: 'city-office-seal', oldPassphrase: 'Not-the-old-1', newPassphrase: 'Xin-Mima-2027' }));
    assert.equal(wrongOld.code, 'SEAL_PASSPHRASE_WRONG');
    const weak = await refusal(run(office.keeper, 'ChangeSealPassphrase', { sealId: 'city-office-seal', oldPassphrase: SEAL_PASSPHRASE, newPassphrase: '12345678' }));
    assert.equal(weak.code, 'VALIDATION_FAILED');
    const changed = await run(office.keeper, 'ChangeSealPassphrase', { sealId: 'city-office-seal', oldPassphrase: SEAL_PASSPHRASE, newPassphrase: 'Xin-Mima-2027' });
    assert.deepEqual(changed.events.map((e) => [e.type, e.data]), [['SealPassphraseChanged', { sealId: 'city-office-seal', unitId: 'city-office', changedBy: 'city-office-keeper' }]]);
    const { rows } = await ledger.db.pool.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE '%Xin-Mima%' OR data::text LIKE '%${SEAL_PASSPHRASE}%'`);
    assert.equal(rows[0].n, 0, 'no passphrase in any event');

    await signedOff('chg-1');
    const old = await refusal(run(office.keeper, 'SealDocument', { documentId: 'chg-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }));
    assert.equal(old.code, 'SEAL_PASSPHRASE_WRONG');
    await run(office.keeper, 'SealDocument', { documentId: 'chg-1', sealId: 'city-office-seal', passphrase: 'Xin-Mima-2027' });
  });

  test('a destroyed seal has no key left and seals nothing', async () => {
    const { admin } = { admin: user('admin', 'city-office', 'SUPER_ADMIN') };
    await run(admin, 'RevokeSeal', { sealId: 'city-office-seal', reason: '密钥疑似泄露' });
    await run(admin, 'DestroySeal', { sealId: 'city-office-seal', reason: '按规定销毁' });
    const { rows } = await ledger.db.pool.query(`SELECT count(*)::int AS n FROM seal_key_vault WHERE seal_id = 'city-office-seal'`);
    assert.equal(rows[0].n, 0);
    await signedOff('chg-2');
    const r = await refusal(run(office.keeper, 'SealDocument', { documentId: 'chg-2', sealId: 'city-office-seal', passphrase: 'Xin-Mima-2027' }));
    assert.equal(r.code, 'SEAL_NOT_USABLE');
    assert.match(r.message, /已销毁/);
  });
});

describe('seals that seal nothing', async () => {
  const { ledger, city, office, run, signedOff, numberingEvents } = await setup();
  const admin = city.admin;
  const sealWith = (documentId: string, sealId: string) => run(office.keeper, 'SealDocument', { documentId, sealId, passphrase: SEAL_PASSPHRASE });

  test('revoked, expired, not yet valid, another unit\'s: SEAL_NOT_USABLE, and no number is reserved', async () => {
    await signedOff('no-1');
    await run(admin, 'IssueSeal', {
      keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, sealId: 'office-later', unitId: 'city-office', name: '阜阳市人民政府办公室', sealType: '公文专用章',
      validFrom: '2098-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z',
    });
    await run(admin, 'IssueSeal', {
      keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, sealId: 'office-revoked', unitId: 'city-office', name: '阜阳市人民政府办公室', sealType: '公文专用章',
      validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z',
    });
    await run(admin, 'RevokeSeal', { sealId: 'office-revoked', reason: '停用' });
    const before = await numberingEvents();
    for (const [sealId, pattern] of [
      ['office-revoked', /已注销/],
      ['office-later', /尚不能使用/],
      ['edu-seal', /不能加盖在本单位/],
      ['no-such-seal', /不存在/],
    ] as const) {
      const r = await refusal(sealWith('no-1', sealId));
      assert.equal(r.code, 'SEAL_NOT_USABLE', sealId);
      assert.match(r.message, pattern);
    }
    assert.equal(await numberingEvents(), before);
  });

  test('replacing a seal with a weak initial passphrase changes nothing (no half-done replacement)', async () => {
    const r = await refusal(
      run(admin, 'ReplaceSeal', {
        sealId: 'fin-seal', newSealId: 'fin-seal-2', reason: '印章磨损',
        newSeal: { name: '阜阳市财政局', sealType: '单位公章', keyCustody: 'server', initialPassphrase: 'password', validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z' },
      }),
    );
    assert.equal(r.code, 'VALIDATION_FAILED');
    assert.deepEqual((await ledger.store.readStream('seal-fin-seal')).events.map((e) => e.type), ['SealIssued']);
    assert.equal((await ledger.store.readStream('seal-fin-seal-2')).revision, null);
  });
});

test('an expired seal seals nothing: SEAL_NOT_USABLE 过期', async () => {
  let now = new Date();
  const { office, run, signedOff } = await setup({}, () => now);
  await signedOff('exp-1');
  // Sealing is judged at the command's time: past the seal's validTo (2099-12-31) it is refused.
  now = new Date('2100-01-02T00:00:00.000Z');
  const r = await refusal(run(office.keeper, 'SealDocument', { documentId: 'exp-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }));
  assert.equal(r.code, 'SEAL_NOT_USABLE');
  assert.match(r.message, /过期/);
});

describe('sealing with a USB key (client-held)', async () => {
  const { ledger, city, office, run, signedOff, verify } = await setup();
  const usbKey = generateSm2KeyPair();
  await run(city.admin, 'IssueSeal', {
    keyCustody: 'client', publicKey: usbKey.publicKeyHex.toUpperCase(), sealId: 'office-usb', unitId: 'city-office', name: '阜阳市人民政府办公室',
    sealType: '公文专用章', validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z', keeperUserIds: ['city-office-keeper'],
  });
  const usbSign = (digestHex: string, key = usbKey.privateKeyHex) => sm2Sign(key, Buffer.from(digestHex, 'hex'));
  const content = (documentId: string) => sealingContentOf(ledger.store, ledger.config.GONGWEN_TIMEZONE, documentId, new Date().toISOString());

  test('prepare (reserve the number) → sign the digest on the key → seal; the ledger never saw a private key', async () => {
    await signedOff('usb-1');
    const early = await refusal(run(office.keeper, 'SealDocument', { documentId: 'usb-1', sealId: 'office-usb', signature: '30'.padEnd(140, '1') }));
    assert.equal(early.code, 'INVALID_STATE');
    assert.match(early.message, /预留文号/);
    const prepared = await run(office.keeper, 'PrepareSealing', { documentId: 'usb-1', sealId: 'office-usb' });
    assert.deepEqual(prepared.events.map((e) => e.type), ['DocumentNumberReserved']);
    const c = await content('usb-1');
    assert.equal(c.number.docNumber, (prepared.events[0]!.data as { docNumber: string }).docNumber);
    const outcome = await run(office.keeper, 'SealDocument', { documentId: 'usb-1', sealId: 'office-usb', signature: usbSign(c.contentDigest) });
    const sealed = outcome.events.find((e) => e.type === 'DocumentSealed')!.data as Record<string, string>;
    assert.equal(sealed.keyCustody, 'client');
    assert.equal(sealed.contentDigest, c.contentDigest);
    assert.deepEqual((await verify('usb-1')).problems, []);
    const { rows } = await ledger.db.pool.query(`SELECT count(*)::int AS n FROM seal_key_vault WHERE seal_id = 'office-usb'`);
    assert.equal(rows[0].n, 0);
  });

  test('a signature over the wrong digest, or by another key, is refused and nothing is sealed', async () => {
    await signedOff('usb-2');
    await run(office.keeper, 'PrepareSealing', { documentId: 'usb-2', sealId: 'office-usb' });
    const c = await content('usb-2');
    const otherDoc = await refusal(run(office.keeper, 'SealDocument', { documentId: 'usb-2', sealId: 'office-usb', signature: usbSign(c.contentDigest.replace(/^./, c.contentDigest[0] === '0' ? '1' : '0')) }));
    assert.equal(otherDoc.code, 'SIGNATURE_INVALID');
    const otherKey = await refusal(run(office.keeper, 'SealDocument', { documentId: 'usb-2', sealId: 'office-usb', signature: usbSign(c.contentDigest, generateSm2KeyPair().privateKeyHex) }));
    assert.equal(otherKey.code, 'SIGNATURE_INVALID');
    const passphrase = await refusal(run(office.keeper, 'SealDocument', { documentId: 'usb-2', sealId: 'office-usb', passphrase: SEAL_PASSPHRASE }));
    assert.equal(passphrase.code, 'VALIDATION_FAILED');
    assert.match(passphrase.message, /USB Key/);
    assert.equal((await ledger.store.readStream('document-usb-2')).events.some((e) => e.type === 'DocumentSealed'), false);
    // The number stays with the document: signing again over the same content seals it with that number.
    const sealed = await run(office.keeper, 'SealDocument', { documentId: 'usb-2', sealId: 'office-usb', signature: usbSign(c.contentDigest) });
    assert.equal((sealed.events.find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string }).docNumber, c.number.docNumber);
  });

  test('a USB key public key that is not on the curve is refused at issue', async () => {
    const r = await refusal(run(city.admin, 'IssueSeal', {
      keyCustody: 'client', publicKey: `04${'ab'.repeat(64)}`, sealId: 'bad-usb', unitId: 'city-office', name: '阜阳市人民政府办公室',
      sealType: '公文专用章', validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z',
    }));
    assert.equal(r.code, 'VALIDATION_FAILED');
    assert.match(r.message, /曲线/);
  });
});

describe('two keepers sealing the same document at once', async () => {
  const { ledger, city, office, run, signedOff } = await setup();
  await run(city.admin, 'RegisterUser', { userId: 'city-office-keeper2', unitId: 'city-office', name: '钱印管', roles: ['SEAL_KEEPER'] });
  const second = user('city-office-keeper2', 'city-office', 'SEAL_KEEPER');

  test('one seal, one number', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      await signedOff(id);
      const results = await Promise.allSettled([
        run(office.keeper, 'SealDocument', { documentId: id, sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }),
        run(second, 'SealDocument', { documentId: id, sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: exactly one sealing succeeds`);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(lost.reason instanceof Refusal && lost.reason.code === 'INVALID_STATE', String(lost.reason));
      const events = (await ledger.store.readStream(`document-${id}`)).events.map((e) => e.type);
      assert.equal(events.filter((t) => t === 'DocumentSealed').length, 1);
      assert.equal(events.filter((t) => t === 'DocumentNumbered').length, 1);
    }
    const year = new Date().getUTCFullYear();
    const { rows } = await ledger.db.pool.query(`SELECT data->>'documentId' AS doc, (data->>'number')::int AS n FROM events WHERE type = 'DocumentNumberReserved' AND stream_id LIKE $1 ORDER BY 2`, [`numbering-city-office.阜政办.%`]);
    assert.deepEqual(rows.map((r) => r.n), rows.map((_r, i) => i + 1), `numbers of ${year} are gap-free`);
    assert.equal(new Set(rows.map((r) => r.doc)).size, rows.length, 'one number per document');
  });
});

describe('issuing a server-held seal', async () => {
  const { ledger, city, run } = await setup();
  const vaultRows = async (sealId: string) =>
    (await ledger.db.pool.query(`SELECT count(*)::int AS n FROM seal_key_vault WHERE seal_id = $1`, [sealId])).rows[0].n as number;
  const issue = (sealId: string, commandId?: string) => ({
    ...(commandId && { commandId }),
    keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, sealId, unitId: 'edu', name: '阜阳市教育局', sealType: '公文专用章',
    validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z',
  });

  test('a refused issue makes no key: an unknown unit, a past validity, a seal id in use', async () => {
    const unknownUnit = await refusal(run(city.admin, 'IssueSeal', { ...issue('nowhere-seal'), unitId: 'nowhere' }));
    assert.equal(unknownUnit.code, 'NOT_FOUND');
    assert.equal(await vaultRows('nowhere-seal'), 0);
    const expired = await refusal(run(city.admin, 'IssueSeal', { ...issue('edu-old'), validTo: '2021-01-01T00:00:00.000Z' }));
    assert.equal(expired.code, 'VALIDATION_FAILED');
    assert.equal(await vaultRows('edu-old'), 0);
    const inUse = await refusal(run(city.admin, 'IssueSeal', issue('edu-seal')));
    assert.equal(inUse.code, 'ALREADY_EXISTS');
    assert.equal(await vaultRows('edu-seal'), 1, 'only the seal\'s own key');
  });

  test('a repeated issue answers as the first time, with the same key and no second one', async () => {
    const first = await ledger.commands.execute(city.admin, 'IssueSeal', issue('edu-twice', 'issue-edu-twice-1'));
    const again = await ledger.commands.execute(city.admin, 'IssueSeal', issue('edu-twice', 'issue-edu-twice-1'));
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.events.map((e) => e.eventId), first.events.map((e) => e.eventId));
    assert.equal(await vaultRows('edu-twice'), 1);
  });
});
