import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../../schemas/common.ts';
import { IssueSeal, ReplaceSeal, sealCommands, type SealCommand } from '../../../schemas/commands/seal.ts';
import { sealEvents, type SealEvent } from '../../../schemas/events/seal.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { fold } from '../../../src/domain/decider.ts';
import type { UnitStatus } from '../../../src/domain/directory/unit-status.ts';
import { sealDecider, sealSummary, sealUsability, type SealContext, type SealSummary } from '../../../src/domain/seal/index.ts';
import { deciderSpec, lookup } from './support/decider-spec.ts';
import { sm2PublicKeyOf } from '../../../src/integrity/sm2.ts';
import { buildSealInfo, type SealInfo, type SealRecord } from '../../../src/seal/seal-record.ts';
import { sealRecordDigest } from '../../../src/seal/seal-record-digest.ts';

/**
 * The issuer's signature is not a pure function (SM2 draws a random k), so the decision is handed
 * a signer; this one is deterministic so the events can be compared whole. The real signer and
 * the record's verification are tested in test/unit/seal-record.test.ts and the integration tests.
 */
const ISSUER_KEY = sm2PublicKeyOf('2'.repeat(64));
const signSealRecord = (info: SealInfo): SealRecord => ({
  sealInfo: info,
  issuerPublicKey: ISSUER_KEY,
  issuerKeyId: '0123456789abcdef',
  signAlgId: '1.2.156.10197.1.501',
  signedValue: '3006020101020101',
});

const CITY_OFFICE = 'fy-szfb';
const COUNTY = 'fy-yzx';
const MERGED = 'fy-old-bureau';
const SEAL = 'seal-szfb-2025';
const NEW_SEAL = 'seal-szfb-2026';
const NOW = '2025-03-10T09:00:00+08:00';
const FROM = '2025-01-01T00:00:00+08:00';
const TO = '2027-12-31T23:59:59+08:00';
// A real point on the curve, in upper case as a USB key tool may export it.
const KEY = sm2PublicKeyOf('1'.repeat(64)).toUpperCase();

const superAdmin: Actor = { userId: 'u-admin', unitId: CITY_OFFICE, role: 'SUPER_ADMIN' };
const countyAdmin: Actor = { userId: 'u-county-admin', unitId: COUNTY, role: 'SUPER_ADMIN' };

const units: Record<string, UnitStatus> = { [CITY_OFFICE]: 'active', [COUNTY]: 'active', [MERGED]: 'inactive' };

const ctx = (over: Partial<SealContext> = {}): SealContext => ({
  actor: superAdmin,
  now: NOW,
  actorIsCityOfficeSuperAdmin: true,
  unitStatus: lookup(units),
  signSealRecord,
  ...over,
});
/** The handler says the actor is not the city office's super administrator (e.g. a county's). */
const notCityAdmin = ctx({ actor: countyAdmin, actorIsCityOfficeSuperAdmin: false });

const NOT_AUTHORISED_MESSAGE =
  '只有市委办公室/市政府办公室的超级管理员可以制发、更换、注销、销毁印章 (only the city office super administrator manages seals)';

const issue = (over: Partial<Extract<SealCommand, { type: 'IssueSeal' }>['data']> = {}): SealCommand => ({
  type: 'IssueSeal',
  data: {
    commandId: 'cmd-issue-0001',
    sealId: SEAL,
    unitId: CITY_OFFICE,
    name: '阜阳市人民政府办公室',
    sealType: '单位公章',
    keyCustody: 'client',
    publicKey: KEY,
    validFrom: FROM,
    validTo: TO,
    ...over,
  },
});
const replace = (newSealId = NEW_SEAL): SealCommand => ({ type: 'ReplaceSeal', data: {
    commandId: 'cmd-replace-01',
    sealId: SEAL,
    newSealId,
    reason: '机构更名，印章更换',
    newSeal: { name: '阜阳市人民政府办公室', sealType: '单位公章', keyCustody: 'client', publicKey: KEY, validFrom: FROM, validTo: TO },
  },
});
const revoke = (): SealCommand => ({ type: 'RevokeSeal', data: { commandId: 'cmd-revoke-001', sealId: SEAL, reason: '印章密钥疑似泄露' } });
const destroy = (): SealCommand => ({ type: 'DestroySeal', data: { commandId: 'cmd-destroy-01', sealId: SEAL, reason: '按规定销毁' } });

type IssuedData = Extract<SealEvent, { type: 'SealIssued' }>['data'];
const issued = (over: Partial<Omit<IssuedData, 'sealRecord'>> = {}): SealEvent => {
  const data = {
    sealId: SEAL,
    unitId: CITY_OFFICE,
    name: '阜阳市人民政府办公室',
    sealType: '单位公章' as const,
    publicKey: KEY.toLowerCase(),
    keyCustody: 'client' as const,
    validFrom: FROM,
    validTo: TO,
    keeperUserIds: [],
    issuedBy: superAdmin.userId,
    ...over,
  };
  return { type: 'SealIssued', data: { ...data, sealRecord: signSealRecord(buildSealInfo({ ...data, createdAt: NOW })) } };
};
const replaced = (replacedBy = NEW_SEAL): SealEvent => ({ type: 'SealReplaced', data: { sealId: SEAL, unitId: CITY_OFFICE, replacedBy, reason: '机构更名，印章更换' } });
const revoked = (): SealEvent => ({ type: 'SealRevoked', data: { sealId: SEAL, unitId: CITY_OFFICE, reason: '印章密钥疑似泄露' } });
const destroyed = (): SealEvent => ({ type: 'SealDestroyed', data: { sealId: SEAL, unitId: CITY_OFFICE, reason: '按规定销毁' } });

const given = deciderSpec(sealDecider, createEventRegistry(sealEvents), sealCommands);

describe('IssueSeal (制发)', () => {
  test('the city office super administrator issues a seal; keepers default to none; the key is stored in lower case', () => {
    given([])
      .when(issue({ publicKey: KEY }), ctx())
      .then([issued({ publicKey: KEY.toLowerCase() })]);
  });

  test('the seal record (GB/T 38540 shape) carries the particulars, the key and the picture, signed by the issuer', () => {
    const [event] = sealDecider.decide(issue(), { status: 'none' }, ctx());
    const record = (event!.data as IssuedData).sealRecord;
    assert.equal(record.sealInfo.header.id, 'ES');
    assert.equal(record.sealInfo.esId, SEAL);
    assert.deepEqual(record.sealInfo.property.certList, [KEY.toLowerCase()]);
    assert.equal(record.sealInfo.property.validStart, FROM);
    assert.equal(record.sealInfo.property.createDate, NOW);
    assert.match(Buffer.from(record.sealInfo.picture.data, 'base64').toString('utf8'), /^<svg[\s\S]*>阜<[\s\S]*<\/svg>\n$/);
    assert.deepEqual(record.sealInfo.extDatas, { unitId: CITY_OFFICE, sealType: '单位公章', keyCustody: 'client' });
  });

  test('issues with keepers', () => {
    given([])
      .when(issue({ keeperUserIds: ['u-keeper-1', 'u-keeper-2'] }), ctx())
      .then([issued({ keeperUserIds: ['u-keeper-1', 'u-keeper-2'] })]);
  });

  test('anyone else is refused with NOT_AUTHORISED', () => {
    given([]).when(issue(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });

  test('an existing seal id is refused with ALREADY_EXISTS', () => {
    given([issued()]).when(issue(), ctx()).thenRefuses('ALREADY_EXISTS');
  });

  test('the unit must be registered (NOT_FOUND) and active (VALIDATION_FAILED)', () => {
    given([]).when(issue({ unitId: 'fy-nowhere' }), ctx()).thenRefuses('NOT_FOUND', /fy-nowhere/);
    given([]).when(issue({ unitId: MERGED }), ctx()).thenRefuses('VALIDATION_FAILED', /已停用/);
  });

  test('validTo must be after validFrom', () => {
    given([]).when(issue({ validTo: FROM }), ctx()).thenRefuses('VALIDATION_FAILED', /须晚于起始时间/);
    given([]).when(issue({ validFrom: TO, validTo: FROM }), ctx()).thenRefuses('VALIDATION_FAILED', /须晚于起始时间/);
  });

  test('time zones are compared as instants, not as text', () => {
    // 2025-01-01T01:00+08:00 is 2024-12-31T17:00Z: before validFrom's instant despite sorting after it as text.
    given([]).when(issue({ validFrom: '2025-01-01T01:00:00+08:00', validTo: '2024-12-31T17:00:00Z' }), ctx()).thenRefuses('VALIDATION_FAILED');
    given([])
      .when(issue({ validFrom: '2025-01-01T01:00:00+08:00', validTo: '2030-01-01T00:00:00Z' }), ctx())
      .then([issued({ validFrom: '2025-01-01T01:00:00+08:00', validTo: '2030-01-01T00:00:00Z' })]);
  });

  test('a seal that has already expired is not issued', () => {
    given([]).when(issue({ validFrom: '2020-01-01T00:00:00+08:00', validTo: '2024-12-31T00:00:00+08:00' }), ctx()).thenRefuses('VALIDATION_FAILED', /已过/);
  });

  test('the command schema refuses a malformed key, duplicate keepers, an unknown seal type and replacing a seal by itself', () => {
    const input = (over: object) => IssueSeal.input.safeParse({ ...issue().data, ...over }).success;
    assert.equal(input({ publicKey: KEY }), true);
    assert.equal(input({ publicKey: '03' + 'ab'.repeat(64) }), false, 'compressed or wrong prefix');
    assert.equal(input({ publicKey: '04' + 'ab'.repeat(63) }), false, 'too short');
    assert.equal(input({ keeperUserIds: ['u-1', 'u-1'] }), false);
    assert.equal(input({ sealType: '私章' }), false);
    assert.equal(ReplaceSeal.input.safeParse({ commandId: 'cmd-replace-01', sealId: SEAL, newSealId: SEAL, reason: '更换' }).success, false);
  });
});

describe('IssueSeal of a successor (replacesSealId)', () => {
  const oldState = (events: SealEvent[]) => sealSummary(fold(sealDecider, events));
  const successor = issue({ sealId: NEW_SEAL, replacesSealId: SEAL, commandId: 'cmd-issue-0002' });
  const successorIssued = issued({ sealId: NEW_SEAL, replacesSealId: SEAL });
  const withOld = (summary: SealSummary | undefined) => ctx({ sealSummaryOf: lookup(summary ? { [SEAL]: summary } : {}) });

  test('may be issued while the old seal is still active (the handler issues first) or once it was replaced by this seal', () => {
    given([]).when(successor, withOld(oldState([issued()]))).then([successorIssued]);
    given([]).when(successor, withOld(oldState([issued(), replaced()]))).then([successorIssued]);
  });

  test('the whole replacement: SealReplaced on the old stream, then the successor, whose summary names its predecessor', () => {
    const oldEvents = [issued()];
    const replacedEvents = given(oldEvents).when(replace(), ctx()).then([replaced()]);
    const old = sealSummary(fold(sealDecider, [...oldEvents, ...replacedEvents]));
    assert.equal(old?.status, 'replaced');
    assert.equal(old?.replacedBy, NEW_SEAL);
    const events = given([]).when(successor, withOld(old)).then([successorIssued]);
    const state = fold(sealDecider, events);
    assert.equal(state.status === 'active' && state.replacesSealId, SEAL);
  });

  test('an old seal replaced by another seal, revoked or destroyed cannot be replaced by this one (INVALID_STATE)', () => {
    given([]).when(successor, withOld(oldState([issued(), replaced('seal-other')]))).thenRefuses('INVALID_STATE', /已更换/);
    given([]).when(successor, withOld(oldState([issued(), revoked()]))).thenRefuses('INVALID_STATE', /已注销/);
    given([]).when(successor, withOld(oldState([issued(), destroyed()]))).thenRefuses('INVALID_STATE', /已销毁/);
  });

  test('an unknown predecessor is NOT_FOUND, also when the handler gave no lookup', () => {
    given([]).when(successor, withOld(undefined)).thenRefuses('NOT_FOUND', new RegExp(SEAL));
    given([]).when(successor, ctx()).thenRefuses('NOT_FOUND');
  });

  test('the successor belongs to the same unit and does not replace itself (VALIDATION_FAILED)', () => {
    const countySeal = oldState([issued({ unitId: COUNTY })]);
    given([]).when(successor, withOld(countySeal)).thenRefuses('VALIDATION_FAILED', /同一单位/);
    given([]).when(issue({ replacesSealId: SEAL }), withOld(oldState([issued()]))).thenRefuses('VALIDATION_FAILED', /它自己/);
  });
});

describe('ReplaceSeal (更换)', () => {
  test('replaces an active seal, also one past its validity', () => {
    given([issued()]).when(replace(), ctx()).then([replaced()]);
    given([issued({ validTo: '2025-03-01T00:00:00+08:00' })]).when(replace(), ctx()).then([replaced()]);
  });
  test('is refused to anyone but the city office super administrator', () => {
    given([issued()]).when(replace(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });
  test('an unknown seal is NOT_FOUND', () => {
    given([]).when(replace(), ctx()).thenRefuses('NOT_FOUND');
  });
  test('a replaced, revoked or destroyed seal cannot be replaced (INVALID_STATE)', () => {
    given([issued(), replaced()]).when(replace('seal-third'), ctx()).thenRefuses('INVALID_STATE', /已更换/);
    given([issued(), revoked()]).when(replace(), ctx()).thenRefuses('INVALID_STATE', /已注销/);
    given([issued(), destroyed()]).when(replace(), ctx()).thenRefuses('INVALID_STATE', /已销毁/);
  });
});

describe('RevokeSeal (注销)', () => {
  test('revokes an active seal, whatever the state of its unit', () => {
    given([issued()]).when(revoke(), ctx()).then([revoked()]);
    given([issued({ unitId: MERGED })]).when(revoke(), ctx()).then([{ type: 'SealRevoked', data: { sealId: SEAL, unitId: MERGED, reason: '印章密钥疑似泄露' } }]);
  });
  test('is refused to anyone but the city office super administrator', () => {
    given([issued()]).when(revoke(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });
  test('an unknown seal is NOT_FOUND', () => {
    given([]).when(revoke(), ctx()).thenRefuses('NOT_FOUND');
  });
  test('revoking twice, a replaced or a destroyed seal is INVALID_STATE', () => {
    given([issued(), revoked()]).when(revoke(), ctx()).thenRefuses('INVALID_STATE', /已注销/);
    given([issued(), replaced()]).when(revoke(), ctx()).thenRefuses('INVALID_STATE', /已更换/);
    given([issued(), destroyed()]).when(revoke(), ctx()).thenRefuses('INVALID_STATE', /已销毁/);
  });
});

describe('DestroySeal (销毁)', () => {
  test('destroys an active, a revoked or a replaced seal', () => {
    given([issued()]).when(destroy(), ctx()).then([destroyed()]);
    given([issued(), revoked()]).when(destroy(), ctx()).then([destroyed()]);
    given([issued(), replaced()]).when(destroy(), ctx()).then([destroyed()]);
  });
  test('is refused to anyone but the city office super administrator', () => {
    given([issued(), revoked()]).when(destroy(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });
  test('an unknown seal is NOT_FOUND', () => {
    given([]).when(destroy(), ctx()).thenRefuses('NOT_FOUND');
  });
  test('a destroyed seal accepts nothing (INVALID_STATE)', () => {
    const gone = [issued(), revoked(), destroyed()];
    for (const command of [destroy(), revoke(), replace()]) given(gone).when(command, ctx()).thenRefuses('INVALID_STATE', /已销毁/);
    given(gone).when(issue(), ctx()).thenRefuses('ALREADY_EXISTS');
  });
});

describe('ChangeSealPassphrase (修改印章密码)', () => {
  const keeper: Actor = { userId: 'u-keeper-1', unitId: CITY_OFFICE, role: 'SEAL_KEEPER' };
  const change = (): SealCommand => ({
    type: 'ChangeSealPassphrase',
    data: { commandId: 'cmd-pass-0001', sealId: SEAL, oldPassphrase: 'Old-pass-2025', newPassphrase: 'New-pass-2026' },
  });
  const asKeeper = ctx({ actor: keeper, actorIsCityOfficeSuperAdmin: false });
  const server = issued({ keyCustody: 'server' });

  test('a keeper of the seal\'s unit changes it; the event records who, never the passphrases', () => {
    given([server]).when(change(), asKeeper).then([{ type: 'SealPassphraseChanged', data: { sealId: SEAL, unitId: CITY_OFFICE, changedBy: 'u-keeper-1' } }]);
    given([server, revoked()]).when(change(), asKeeper).then([{ type: 'SealPassphraseChanged', data: { sealId: SEAL, unitId: CITY_OFFICE, changedBy: 'u-keeper-1' } }]);
  });
  test('a keeper of another unit, or the super administrator, is NOT_AUTHORISED', () => {
    given([server]).when(change(), ctx({ actor: { ...keeper, unitId: COUNTY }, actorIsCityOfficeSuperAdmin: false })).thenRefuses('NOT_AUTHORISED', /所属单位的印章管理员/);
    given([server]).when(change(), ctx()).thenRefuses('NOT_AUTHORISED');
  });
  test('a USB-key seal has no passphrase here, a destroyed seal no key: INVALID_STATE', () => {
    given([issued()]).when(change(), asKeeper).thenRefuses('INVALID_STATE', /USB Key/);
    given([server, destroyed()]).when(change(), asKeeper).thenRefuses('INVALID_STATE', /已销毁/);
  });
  test('an unknown seal is NOT_FOUND', () => {
    given([]).when(change(), asKeeper).thenRefuses('NOT_FOUND');
  });
});

describe('sealSummary and evolve', () => {
  test('nothing for an unissued seal', () => {
    assert.equal(sealSummary(sealDecider.initialState()), undefined);
  });
  test('follows the life of the seal', () => {
    const summary = (events: SealEvent[]) => sealSummary(fold(sealDecider, events));
    const [first] = [issued({ keeperUserIds: ['u-keeper'] })];
    const base = {
      sealId: SEAL,
      unitId: CITY_OFFICE,
      name: '阜阳市人民政府办公室',
      validFrom: FROM,
      validTo: TO,
      keeperUserIds: ['u-keeper'],
      publicKey: KEY.toLowerCase(),
      keyCustody: 'client',
      sealRecordDigest: sealRecordDigest((first!.data as IssuedData).sealRecord),
    };
    assert.deepEqual(summary([issued({ keeperUserIds: ['u-keeper'] })]), { ...base, status: 'active' });
    assert.deepEqual(summary([issued({ keeperUserIds: ['u-keeper'] }), replaced()]), { ...base, status: 'replaced', replacedBy: NEW_SEAL });
    assert.deepEqual(summary([issued({ keeperUserIds: ['u-keeper'] }), revoked()]), { ...base, status: 'revoked' });
    assert.deepEqual(summary([issued({ keeperUserIds: ['u-keeper'] }), replaced(), destroyed()]), { ...base, status: 'destroyed', replacedBy: NEW_SEAL });
  });
  test('events that cannot apply to an unissued seal leave it unissued', () => {
    assert.deepEqual(fold(sealDecider, [revoked(), destroyed()]), { status: 'none' });
  });
});

describe('sealUsability', () => {
  const at = NOW;
  const usability = (events: SealEvent[], unitId = CITY_OFFICE, when = at) => sealUsability(fold(sealDecider, events), { unitId, at: when });
  const cause = (events: SealEvent[], unitId = CITY_OFFICE, when = at) => {
    const u = usability(events, unitId, when);
    assert.equal(u.usable, false);
    assert.match(u.usable ? '' : u.reason, /[\u4e00-\u9fff]/);
    return u.usable ? undefined : u.cause;
  };

  test('an active seal of the unit within its validity is usable, both ends included', () => {
    assert.deepEqual(usability([issued()]), { usable: true });
    assert.deepEqual(usability([issued()], CITY_OFFICE, FROM), { usable: true });
    assert.deepEqual(usability([issued()], CITY_OFFICE, TO), { usable: true });
  });
  test('unknown, another unit’s, revoked, replaced, destroyed, not yet valid, expired', () => {
    assert.equal(cause([]), 'UNKNOWN');
    assert.equal(cause([issued()], COUNTY), 'OTHER_UNIT');
    assert.equal(cause([issued(), revoked()]), 'REVOKED');
    assert.equal(cause([issued(), replaced()]), 'REPLACED');
    assert.equal(cause([issued(), revoked(), destroyed()]), 'DESTROYED');
    assert.equal(cause([issued()], CITY_OFFICE, '2024-12-31T23:59:59+08:00'), 'NOT_YET_VALID');
    assert.equal(cause([issued()], CITY_OFFICE, '2028-01-01T00:00:00+08:00'), 'EXPIRED');
  });
  test('the reason of a replaced seal names its successor', () => {
    const u = usability([issued(), replaced()]);
    assert.ok(!u.usable && u.reason.includes(NEW_SEAL));
  });
  test('a time that is not a timestamp is an error, never a usable seal', () => {
    assert.throws(() => usability([issued()], CITY_OFFICE, 'yesterday'), TypeError);
  });
});
