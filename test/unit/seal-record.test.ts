import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import { canonicalJson } from '../../src/integrity/canonical-json.ts';
import { generateSm2PrivateKey, keyIdOf, ledgerKeyFromPrivateKey } from '../../src/integrity/ledger-key.ts';
import { generateSm2KeyPair, normaliseSm2Signature, OID, sm2Sign, sm2Verify } from '../../src/integrity/sm2.ts';
import { sealPictureSvg } from '../../src/seal/seal-picture.ts';
import {
  buildSealInfo,
  SealInfoSchema,
  sealInfoSigningText,
  SealRecordSchema,
  signSealRecord,
  verifySealRecord,
  type SealInfo,
  type SealRecord,
} from '../../src/seal/seal-record.ts';

const issuer = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
const seal = generateSm2KeyPair();
const INPUT = {
  sealId: 'seal-fy-bgs-01',
  unitId: 'fy-gov-office',
  name: '阜阳市人民政府办公室',
  sealType: '公文专用章',
  publicKey: seal.publicKeyHex,
  validFrom: '2025-01-01T00:00:00+08:00',
  validTo: '2030-12-31T23:59:59+08:00',
  createdAt: '2024-12-20T09:30:00.000Z',
  keyCustody: 'server' as const,
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const fresh = (): SealRecord => signSealRecord(buildSealInfo(INPUT), issuer);

describe('building the seal info (SES_SealInfo)', () => {
  test('carries the particulars in the GB/T 38540 shape', () => {
    const info = buildSealInfo(INPUT);
    assert.deepEqual(info.header, { id: 'ES', version: 4, vid: 'GongwenLedger' });
    assert.equal(info.esId, INPUT.sealId);
    assert.deepEqual(info.property, {
      type: 1,
      name: INPUT.name,
      certListType: 'SM2PublicKey',
      certList: [seal.publicKeyHex],
      createDate: INPUT.createdAt,
      validStart: INPUT.validFrom,
      validEnd: INPUT.validTo,
    });
    assert.deepEqual(info.extDatas, { unitId: INPUT.unitId, sealType: INPUT.sealType, keyCustody: 'server' });
    assert.equal(info.picture.type, 'SVG');
    assert.equal(info.picture.width, 42);
    assert.equal(info.picture.height, 42);
    assert.equal(SealInfoSchema.safeParse(info).success, true);
  });

  test('the picture is the seal picture of that name and type, base64 of its UTF-8', () => {
    const info = buildSealInfo(INPUT);
    const svg = Buffer.from(info.picture.data, 'base64').toString('utf8');
    assert.equal(svg, sealPictureSvg({ name: INPUT.name, sealType: INPUT.sealType }));
    assert.equal(XMLValidator.validate(svg), true);
    assert.ok(svg.includes('>阜<') && svg.includes('>公文专用章<'));
  });

  test('deterministic, and an upper-case public key is stored in lower case', () => {
    assert.equal(canonicalJson(buildSealInfo(INPUT)), canonicalJson(buildSealInfo({ ...INPUT })));
    assert.deepEqual(buildSealInfo({ ...INPUT, publicKey: seal.publicKeyHex.toUpperCase() }).property.certList, [seal.publicKeyHex]);
  });
});

describe('signing and verifying the seal record (SES_Seal)', () => {
  test('round trip: signed by the issuer, valid for whoever trusts the issuer', () => {
    const record = fresh();
    assert.equal(record.issuerPublicKey, issuer.publicKeyHex);
    assert.equal(record.issuerKeyId, issuer.keyId);
    assert.equal(record.signAlgId, OID.SM3_WITH_SM2);
    assert.equal(normaliseSm2Signature(record.signedValue), record.signedValue, 'strict DER');
    assert.deepEqual(verifySealRecord(record, [issuer.publicKeyHex]), { valid: true });
    // Stored as JSON and read back, as from an event.
    const stored = clone(record);
    assert.deepEqual(SealRecordSchema.parse(stored), record);
    assert.deepEqual(verifySealRecord(stored, [issuer.publicKeyHex.toUpperCase()]), { valid: true });
  });

  test('the signature is SM3withSM2 over the UTF-8 of RFC 8785 canonical JSON of the seal info', () => {
    const record = fresh();
    const text = sealInfoSigningText(record.sealInfo);
    assert.equal(text, canonicalJson(record.sealInfo));
    assert.ok(text.startsWith('{"esId":"seal-fy-bgs-01","extDatas":{'), 'keys in JCS order');
    assert.ok(sm2Verify(issuer.publicKeyHex, Buffer.from(text, 'utf8'), record.signedValue));
    // Key order of the object does not matter: canonical JSON is what is signed.
    const reverseKeys = (v: unknown): unknown =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
        : v;
    const reordered = reverseKeys(record);
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(record));
    assert.deepEqual(verifySealRecord(reordered, [issuer.publicKeyHex]), { valid: true });
  });

  test('any field of the seal info changed → BAD_SIGNATURE', () => {
    const otherKey = generateSm2KeyPair().publicKeyHex;
    const otherPicture = Buffer.from(sealPictureSvg({ name: '阜阳市财政局', sealType: '公文专用章' })).toString('base64');
    const edits: Record<string, (i: SealInfo) => void> = {
      'header.vid': (i) => void (i.header.vid = 'OtherVendor'),
      esId: (i) => void (i.esId = 'seal-fy-bgs-02'),
      'property.name': (i) => void (i.property.name = '阜阳市人民政府'),
      'property.certList': (i) => void (i.property.certList = [otherKey]),
      'property.createDate': (i) => void (i.property.createDate = '2024-12-21T09:30:00.000Z'),
      'property.validStart': (i) => void (i.property.validStart = '2024-01-01T00:00:00+08:00'),
      'property.validEnd': (i) => void (i.property.validEnd = '2035-12-31T23:59:59+08:00'),
      'picture.data': (i) => void (i.picture.data = otherPicture),
      'picture.width': (i) => void (i.picture.width = 45),
      'picture.height': (i) => void (i.picture.height = 40),
      'extDatas.unitId': (i) => void (i.extDatas.unitId = 'fy-finance'),
      'extDatas.sealType': (i) => void (i.extDatas.sealType = '财务专用章'),
      'extDatas.keyCustody': (i) => void (i.extDatas.keyCustody = 'client'),
    };
    for (const [field, edit] of Object.entries(edits)) {
      const record = clone(fresh());
      edit(record.sealInfo);
      const check = verifySealRecord(record, [issuer.publicKeyHex]);
      assert.equal(check.valid, false, field);
      assert.equal(!check.valid && check.cause, 'BAD_SIGNATURE', `${field}: ${JSON.stringify(check)}`);
      assert.match(!check.valid ? check.reason : '', /签名验证失败/);
    }
  });

  test('a changed or foreign signature → BAD_SIGNATURE', () => {
    const record = fresh();
    const other = fresh();
    assert.notEqual(record.signedValue, other.signedValue);
    const swapped = { ...clone(record), signedValue: other.signedValue };
    assert.deepEqual(verifySealRecord(swapped, [issuer.publicKeyHex]), { valid: true }, 'both sign the same info: a fresh k, still valid');
    const forged = { ...clone(record), signedValue: sm2Sign(generateSm2PrivateKey(), sealInfoSigningText(record.sealInfo)) };
    assert.equal((verifySealRecord(forged, [issuer.publicKeyHex]) as { cause?: string }).cause, 'BAD_SIGNATURE');
    // Flip one bit inside r.
    const bytes = Buffer.from(record.signedValue, 'hex');
    bytes[10]! ^= 0x01;
    const flipped = { ...clone(record), signedValue: bytes.toString('hex') };
    assert.equal((verifySealRecord(flipped, [issuer.publicKeyHex]) as { cause?: string }).cause, 'BAD_SIGNATURE');
  });

  test('a record signed by another issuer, or re-signed by an impostor, → UNTRUSTED_ISSUER', () => {
    const impostor = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
    const forged = signSealRecord(buildSealInfo(INPUT), impostor);
    assert.deepEqual(verifySealRecord(forged, [impostor.publicKeyHex]), { valid: true }, 'well-formed and self-consistent');
    const check = verifySealRecord(forged, [issuer.publicKeyHex]);
    assert.equal(check.valid, false);
    assert.equal(!check.valid && check.cause, 'UNTRUSTED_ISSUER');
    assert.match(!check.valid ? check.reason : '', /受信任的制章者/);
    assert.equal((verifySealRecord(fresh(), []) as { cause?: string }).cause, 'UNTRUSTED_ISSUER');
  });

  test('the issuer named with another trusted key → BAD_SIGNATURE (that key did not sign it)', () => {
    const second = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
    const record = { ...clone(fresh()), issuerPublicKey: second.publicKeyHex, issuerKeyId: second.keyId };
    assert.equal((verifySealRecord(record, [issuer.publicKeyHex, second.publicKeyHex]) as { cause?: string }).cause, 'BAD_SIGNATURE');
  });

  test('an issuer key id that does not match the issuer key → MALFORMED', () => {
    const record = { ...clone(fresh()), issuerKeyId: keyIdOf(generateSm2KeyPair().publicKeyHex) };
    assert.equal(issuer.keyId, keyIdOf(issuer.publicKeyHex), 'key ids are the ledger’s');
    const check = verifySealRecord(record, [issuer.publicKeyHex]);
    assert.equal(!check.valid && check.cause, 'MALFORMED');
    assert.match(!check.valid ? check.reason : '', /密钥标识/);
  });

  test('malformed input → MALFORMED, never an exception', () => {
    const good = fresh();
    const offCurve = `04${'1'.repeat(128)}`;
    const cases: Record<string, unknown> = {
      undefined: undefined,
      null: null,
      string: JSON.stringify(good),
      array: [good],
      empty: {},
      'no sealInfo': { ...good, sealInfo: undefined },
      'extra top-level key': { ...good, note: 'x' },
      'extra key in seal info': { ...good, sealInfo: { ...good.sealInfo, extra: 1 } },
      'extra key in property': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, extra: 1 } } },
      'header id': { ...good, sealInfo: { ...good.sealInfo, header: { ...good.sealInfo.header, id: 'EX' } } },
      'header version': { ...good, sealInfo: { ...good.sealInfo, header: { ...good.sealInfo.header, version: 1 } } },
      'property type 2 (personal seal)': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, type: 2 } } },
      'certListType': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, certListType: 1 } } },
      'two keys': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, certList: [seal.publicKeyHex, seal.publicKeyHex] } } },
      'seal key off the curve': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, certList: [offCurve] } } },
      'upper-case seal key': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, certList: [seal.publicKeyHex.toUpperCase()] } } },
      'date without zone': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, validEnd: '2030-12-31 23:59:59' } } },
      'picture type': { ...good, sealInfo: { ...good.sealInfo, picture: { ...good.sealInfo.picture, type: 'PNG' } } },
      'picture not base64': { ...good, sealInfo: { ...good.sealInfo, picture: { ...good.sealInfo.picture, data: '<svg/>' } } },
      'keyCustody': { ...good, sealInfo: { ...good.sealInfo, extDatas: { ...good.sealInfo.extDatas, keyCustody: 'usb' } } },
      'signAlgId': { ...good, signAlgId: OID.SM2_SIGN },
      'signedValue not DER': { ...good, signedValue: 'zz' },
      'signedValue upper case': { ...good, signedValue: good.signedValue.toUpperCase() },
      'issuer key not a point': { ...good, issuerPublicKey: '04abc' },
      'name with a lone surrogate': { ...good, sealInfo: { ...good.sealInfo, property: { ...good.sealInfo.property, name: 'a\ud800b' } } },
    };
    for (const [name, record] of Object.entries(cases)) {
      let check: ReturnType<typeof verifySealRecord> | undefined;
      assert.doesNotThrow(() => {
        check = verifySealRecord(record, [issuer.publicKeyHex]);
      }, name);
      assert.equal(check!.valid, false, name);
      assert.equal(!check!.valid && check!.cause, 'MALFORMED', `${name}: ${JSON.stringify(check)}`);
      assert.match(!check!.valid ? check!.reason : '', /\(.+\)/, 'Chinese reason with English in parentheses');
    }
  });

  test('the raw r‖s form of a valid signature is not accepted as a second spelling of the record', () => {
    const record = fresh();
    const der = Buffer.from(record.signedValue, 'hex');
    const rLen = der[3]!;
    const int = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex')}`).toString(16).padStart(64, '0');
    const raw = int(der.subarray(4, 4 + rLen)) + int(der.subarray(6 + rLen));
    assert.equal(normaliseSm2Signature(raw), record.signedValue);
    assert.ok(sm2Verify(issuer.publicKeyHex, sealInfoSigningText(record.sealInfo), raw), 'the raw form is the same signature');
    assert.equal((verifySealRecord({ ...record, signedValue: raw }, [issuer.publicKeyHex]) as { cause?: string }).cause, 'MALFORMED');
  });
});
