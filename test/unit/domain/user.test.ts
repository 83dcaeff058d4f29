import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor, Role } from '../../../schemas/common.ts';
import { IssueCredential, RegisterUser, userCommands, type UserCommand } from '../../../schemas/commands/directory.ts';
import { userEvents, type UnitKind, type UserEvent } from '../../../schemas/events/directory.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { fold } from '../../../src/domain/decider.ts';
import { activeRoles, usableCredential, userDecider, type UnitStatus, type UserContext } from '../../../src/domain/directory/index.ts';
import { deciderSpec, lookup } from './support/decider-spec.ts';

const CITY_OFFICE = 'fy-szfb';
const PARTY_OFFICE = 'fy-swbgs';
const DISTRICT = 'fy-yzq';
const BUREAU = 'fy-jyj';
const MERGED = 'fy-old-bureau';
const NOW = '2025-03-10T09:00:00+08:00';
const USER = 'u-zhang';
const HASH = 'a'.repeat(64);
const HASH2 = 'b'.repeat(64);
/** NOW plus the 30 days a self-issued credential lives at most. */
const IN_30_DAYS = '2025-04-09T01:00:00.000Z';

const unitStatus: Record<string, UnitStatus> = { [CITY_OFFICE]: 'active', [PARTY_OFFICE]: 'active', [DISTRICT]: 'active', [BUREAU]: 'active', [MERGED]: 'inactive' };
const unitKind: Record<string, UnitKind> = { [CITY_OFFICE]: 'city-office', [PARTY_OFFICE]: 'city-office', [DISTRICT]: 'district', [BUREAU]: 'city-department', [MERGED]: 'city-department' };

const superAdmin: Actor = { userId: 'u-admin', unitId: CITY_OFFICE, role: 'SUPER_ADMIN' };
const districtAdmin: Actor = { userId: 'u-district-admin', unitId: DISTRICT, role: 'UNIT_ADMIN' };
const bureauAdmin: Actor = { userId: 'u-bureau-admin', unitId: BUREAU, role: 'UNIT_ADMIN' };
const districtClerk: Actor = { userId: 'u-li', unitId: DISTRICT, role: 'CLERK' };
const himself: Actor = { userId: USER, unitId: DISTRICT, role: 'CLERK' };
const system: Actor = { userId: 'system', unitId: 'ledger', role: 'SYSTEM' };

const ctx = (actor: Actor = superAdmin, over: Partial<UserContext> = {}): UserContext => ({
  actor,
  now: NOW,
  actorIsCityOfficeSuperAdmin: actor === superAdmin,
  unitStatus: lookup(unitStatus),
  unitKind: lookup(unitKind),
  citySuperAdminExists: true,
  ...over,
});
const installing = (citySuperAdminExists?: boolean) => {
  const c = ctx(system);
  if (citySuperAdminExists === undefined) delete c.citySuperAdminExists;
  else c.citySuperAdminExists = citySuperAdminExists;
  return c;
};

const reserved: Role[] = ['SUPER_ADMIN', 'UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST'];
const ordinary: Role[] = ['SEAL_KEEPER', 'CLERK', 'LEADER', 'STAFF'];

type RegisterData = Extract<UserCommand, { type: 'RegisterUser' }>['data'];
const register = (over: Partial<RegisterData> = {}): UserCommand => ({
  type: 'RegisterUser',
  data: { commandId: 'cmd-user-0001', userId: USER, unitId: DISTRICT, name: '张伟', roles: ['CLERK'], ...over },
});
const registered = (roles: Role[] = ['CLERK'], unitId = DISTRICT): UserEvent => ({ type: 'UserRegistered', data: { userId: USER, unitId, name: '张伟', roles } });
const grant = (role: Role): UserCommand => ({ type: 'GrantRole', data: { commandId: 'cmd-grant-001', userId: USER, role } });
const granted = (role: Role, unitId = DISTRICT): UserEvent => ({ type: 'RoleGranted', data: { userId: USER, unitId, role } });
const revokeRole = (role: Role): UserCommand => ({ type: 'RevokeRole', data: { commandId: 'cmd-revoke-01', userId: USER, role } });
const roleRevoked = (role: Role, unitId = DISTRICT): UserEvent => ({ type: 'RoleRevoked', data: { userId: USER, unitId, role } });
const deactivate = (): UserCommand => ({ type: 'DeactivateUser', data: { commandId: 'cmd-deact-001', userId: USER, reason: '调离本单位' } });
const deactivated = (): UserEvent => ({ type: 'UserDeactivated', data: { userId: USER, unitId: DISTRICT, reason: '调离本单位' } });
type IssueData = Extract<UserCommand, { type: 'IssueCredential' }>['data'];
const issueCredential = (over: Partial<IssueData> = {}): UserCommand => ({
  type: 'IssueCredential',
  data: { commandId: 'cmd-cred-0001', userId: USER, credentialId: 'cred-1', tokenHash: HASH, ...over },
});
const credentialIssued = (over: Partial<Extract<UserEvent, { type: 'CredentialIssued' }>['data']> = {}): UserEvent => ({
  type: 'CredentialIssued',
  data: { userId: USER, unitId: DISTRICT, credentialId: 'cred-1', tokenHash: HASH, tokenHashAlgorithm: 'sm3', ...over },
});
const revokeCredential = (credentialId = 'cred-1', reason?: string): UserCommand => ({
  type: 'RevokeCredential',
  data: { commandId: 'cmd-rcred-001', userId: USER, credentialId, ...(reason !== undefined && { reason }) },
});
const credentialRevoked = (credentialId = 'cred-1'): UserEvent => ({ type: 'CredentialRevoked', data: { userId: USER, unitId: DISTRICT, credentialId } });

const given = deciderSpec(userDecider, createEventRegistry(userEvents), userCommands);

describe('RegisterUser', () => {
  test('the city office super administrator registers a user of any unit, roles in canonical order', () => {
    given([]).when(register({ roles: ['LEADER', 'CLERK'] }), ctx()).then([registered(['CLERK', 'LEADER'])]);
  });
  test('roles left out mean none', () => {
    given([]).when(register({ roles: undefined }), ctx()).then([registered([])]);
  });
  test('a unit administrator registers users of its own unit with ordinary roles', () => {
    given([]).when(register({ roles: ordinary }), ctx(districtAdmin)).then([registered(ordinary)]);
  });
  test('a unit administrator registers nobody in another unit; a clerk nobody at all', () => {
    given([]).when(register(), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED', /fy-yzq/);
    given([]).when(register(), ctx(districtClerk)).thenRefuses('NOT_AUTHORISED');
  });
  test('a unit administrator cannot hand out SUPER_ADMIN, UNIT_ADMIN, INSPECTOR or ARCHIVIST', () => {
    for (const role of reserved) given([]).when(register({ roles: ['CLERK', role] }), ctx(districtAdmin)).thenRefuses('NOT_AUTHORISED', /超级管理员可以授予/);
  });
  test('the super administrator may give INSPECTOR, ARCHIVIST and UNIT_ADMIN', () => {
    given([]).when(register({ roles: ['UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST'] }), ctx()).then([registered(['UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST'])]);
  });
  test('SUPER_ADMIN only for a user of a city-office unit', () => {
    given([]).when(register({ roles: ['SUPER_ADMIN'] }), ctx()).thenRefuses('VALIDATION_FAILED', /市委办公室\/市政府办公室的用户/);
    given([]).when(register({ unitId: PARTY_OFFICE, roles: ['SUPER_ADMIN'] }), ctx()).then([registered(['SUPER_ADMIN'], PARTY_OFFICE)]);
  });
  test('the unit must be registered (NOT_FOUND) and active (VALIDATION_FAILED)', () => {
    given([]).when(register({ unitId: 'fy-nowhere' }), ctx()).thenRefuses('NOT_FOUND', /用户所属单位「fy-nowhere」/);
    given([]).when(register({ unitId: MERGED }), ctx()).thenRefuses('VALIDATION_FAILED', /已停用/);
  });
  test('a registered user id is ALREADY_EXISTS, deactivated or not', () => {
    given([registered()]).when(register(), ctx()).thenRefuses('ALREADY_EXISTS');
    given([registered(), deactivated()]).when(register(), ctx()).thenRefuses('ALREADY_EXISTS');
  });
  test('bootstrap: the SYSTEM actor registers the first super administrator in the city office', () => {
    given([])
      .when(register({ unitId: CITY_OFFICE, roles: ['SUPER_ADMIN', 'UNIT_ADMIN'] }), installing(false))
      .then([registered(['SUPER_ADMIN', 'UNIT_ADMIN'], CITY_OFFICE)]);
  });
  test('bootstrap: nothing else — not a second super administrator, not when the handler did not say, not a user without SUPER_ADMIN', () => {
    given([]).when(register({ unitId: CITY_OFFICE, roles: ['SUPER_ADMIN'] }), installing(true)).thenRefuses('NOT_AUTHORISED', /第一位超级管理员/);
    given([]).when(register({ unitId: CITY_OFFICE, roles: ['SUPER_ADMIN'] }), installing(undefined)).thenRefuses('NOT_AUTHORISED');
    given([]).when(register({ unitId: CITY_OFFICE, roles: ['CLERK'] }), installing(false)).thenRefuses('NOT_AUTHORISED');
  });
  test('bootstrap: the first super administrator too belongs to the city office', () => {
    given([]).when(register({ roles: ['SUPER_ADMIN'] }), installing(false)).thenRefuses('VALIDATION_FAILED');
  });
  test('the command schema refuses duplicate or unknown roles', () => {
    assert.equal(RegisterUser.input.safeParse({ ...register().data, roles: ['CLERK', 'CLERK'] }).success, false);
    assert.equal(RegisterUser.input.safeParse({ ...register().data, roles: ['ROOT'] }).success, false);
  });
});

describe('GrantRole', () => {
  test('the super administrator grants any role', () => {
    for (const role of ['LEADER', 'UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST'] as Role[]) given([registered()]).when(grant(role), ctx()).then([granted(role)]);
  });
  test('the unit administrator grants ordinary roles in its own unit', () => {
    const events = given([registered()]).when(grant('SEAL_KEEPER'), ctx(districtAdmin)).then([granted('SEAL_KEEPER')]);
    assert.deepEqual(activeRoles(fold(userDecider, [registered(), ...events])), ['SEAL_KEEPER', 'CLERK']);
  });
  test('the unit administrator grants no reserved role', () => {
    for (const role of reserved) given([registered()]).when(grant(role), ctx(districtAdmin)).thenRefuses('NOT_AUTHORISED', /超级管理员可以授予/);
  });
  test('another unit’s administrator and ordinary users grant nothing', () => {
    given([registered()]).when(grant('LEADER'), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED');
    given([registered()]).when(grant('LEADER'), ctx(districtClerk)).thenRefuses('NOT_AUTHORISED');
    given([registered()]).when(grant('LEADER'), ctx(himself)).thenRefuses('NOT_AUTHORISED');
  });
  test('a unit administrator does not manage a user who holds a reserved role', () => {
    given([registered(['ARCHIVIST'])]).when(grant('CLERK'), ctx(districtAdmin)).thenRefuses('NOT_AUTHORISED', /档案员/);
  });
  test('SUPER_ADMIN only for a user of a city-office unit', () => {
    given([registered()]).when(grant('SUPER_ADMIN'), ctx()).thenRefuses('VALIDATION_FAILED');
    given([registered(['CLERK'], CITY_OFFICE)]).when(grant('SUPER_ADMIN'), ctx()).then([granted('SUPER_ADMIN', CITY_OFFICE)]);
  });
  test('a role already held is INVALID_STATE, so the administrator learns it was there', () => {
    given([registered()]).when(grant('CLERK'), ctx()).thenRefuses('INVALID_STATE', /已担任「文书」/);
  });
  test('the user must exist (NOT_FOUND) and be active (INVALID_STATE)', () => {
    given([]).when(grant('LEADER'), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(grant('LEADER'), ctx()).thenRefuses('INVALID_STATE');
  });
  test('the user’s unit must be registered and active', () => {
    given([registered(['CLERK'], MERGED)]).when(grant('LEADER'), ctx()).thenRefuses('VALIDATION_FAILED', /已停用/);
    given([registered(['CLERK'], DISTRICT)]).when(grant('LEADER'), ctx(superAdmin, { unitStatus: lookup({}) })).thenRefuses('NOT_FOUND');
  });
});

describe('RevokeRole', () => {
  test('the super administrator revokes any role, also in an inactive unit', () => {
    given([registered(['CLERK', 'ARCHIVIST'])]).when(revokeRole('ARCHIVIST'), ctx()).then([roleRevoked('ARCHIVIST')]);
    given([registered(['CLERK'], MERGED)]).when(revokeRole('CLERK'), ctx()).then([roleRevoked('CLERK', MERGED)]);
  });
  test('the unit administrator revokes ordinary roles in its own unit only', () => {
    const events = given([registered(['CLERK', 'LEADER'])]).when(revokeRole('LEADER'), ctx(districtAdmin)).then([roleRevoked('LEADER')]);
    assert.deepEqual(activeRoles(fold(userDecider, [registered(['CLERK', 'LEADER']), ...events])), ['CLERK']);
    given([registered(['CLERK', 'LEADER'])]).when(revokeRole('LEADER'), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED');
  });
  test('the unit administrator revokes no reserved role', () => {
    given([registered(['CLERK', 'UNIT_ADMIN'])]).when(revokeRole('UNIT_ADMIN'), ctx(districtAdmin)).thenRefuses('NOT_AUTHORISED');
  });
  test('a super administrator does not revoke their own SUPER_ADMIN; another one may', () => {
    const admin: UserEvent = { type: 'UserRegistered', data: { userId: superAdmin.userId, unitId: CITY_OFFICE, name: '王芳', roles: ['SUPER_ADMIN'] } };
    const revokeOwn: UserCommand = { type: 'RevokeRole', data: { commandId: 'cmd-revoke-02', userId: superAdmin.userId, role: 'SUPER_ADMIN' } };
    given([admin]).when(revokeOwn, ctx()).thenRefuses('NOT_AUTHORISED', /自己的超级管理员/);
    const colleague: Actor = { userId: 'u-admin-2', unitId: PARTY_OFFICE, role: 'SUPER_ADMIN' };
    given([admin])
      .when(revokeOwn, ctx(colleague, { actorIsCityOfficeSuperAdmin: true }))
      .then([{ type: 'RoleRevoked', data: { userId: superAdmin.userId, unitId: CITY_OFFICE, role: 'SUPER_ADMIN' } }]);
  });
  test('a role not held is INVALID_STATE', () => {
    given([registered()]).when(revokeRole('LEADER'), ctx()).thenRefuses('INVALID_STATE', /并未担任「领导」/);
  });
  test('the user must exist (NOT_FOUND) and be active (INVALID_STATE)', () => {
    given([]).when(revokeRole('CLERK'), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(revokeRole('CLERK'), ctx()).thenRefuses('INVALID_STATE');
  });
});

describe('DeactivateUser', () => {
  test('the super administrator or the unit’s administrator deactivates; the user then has no active role', () => {
    given([registered()]).when(deactivate(), ctx()).then([deactivated()]);
    const events = given([registered()]).when(deactivate(), ctx(districtAdmin)).then([deactivated()]);
    const state = fold(userDecider, [registered(), ...events]);
    assert.deepEqual(activeRoles(state), []);
    assert.ok(state.exists && !state.active && state.roles.includes('CLERK'), 'the held roles stay on record');
  });
  test('another unit’s administrator, an ordinary user or the user themself may not', () => {
    given([registered()]).when(deactivate(), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED');
    given([registered()]).when(deactivate(), ctx(districtClerk)).thenRefuses('NOT_AUTHORISED');
    given([registered()]).when(deactivate(), ctx(himself)).thenRefuses('NOT_AUTHORISED');
  });
  test('a unit administrator does not deactivate a fellow administrator; nobody deactivates themself', () => {
    given([registered(['UNIT_ADMIN'])]).when(deactivate(), ctx(districtAdmin)).thenRefuses('NOT_AUTHORISED', /单位管理员/);
    const adminSelf: UserCommand = { type: 'DeactivateUser', data: { commandId: 'cmd-deact-002', userId: superAdmin.userId, reason: '测试' } };
    given([{ type: 'UserRegistered', data: { userId: superAdmin.userId, unitId: CITY_OFFICE, name: '王芳', roles: ['SUPER_ADMIN'] } }])
      .when(adminSelf, ctx())
      .thenRefuses('NOT_AUTHORISED', /不能停用自己/);
  });
  test('unknown is NOT_FOUND; deactivation is terminal and the user accepts nothing after it', () => {
    given([]).when(deactivate(), ctx()).thenRefuses('NOT_FOUND');
    const history = [registered(), credentialIssued(), deactivated()];
    for (const command of [deactivate(), grant('LEADER'), revokeRole('CLERK'), issueCredential({ credentialId: 'cred-2', tokenHash: HASH2 }), revokeCredential()]) {
      given(history).when(command, ctx()).thenRefuses('INVALID_STATE', /已停用/);
    }
  });
});

describe('IssueCredential', () => {
  test('the super administrator issues a credential; the hash algorithm defaults to sm3', () => {
    given([registered()]).when(issueCredential(), ctx()).then([credentialIssued()]);
  });
  test('label, expiry and sha256 are recorded', () => {
    given([registered()])
      .when(issueCredential({ label: '移动端', expiresAt: '2025-06-30T00:00:00+08:00', tokenHashAlgorithm: 'sha256' }), ctx())
      .then([credentialIssued({ label: '移动端', expiresAt: '2025-06-30T00:00:00+08:00', tokenHashAlgorithm: 'sha256' })]);
  });
  test('a user issues their own credential; the unit administrator one for a user of its unit', () => {
    const own = [registered(), credentialIssued({ credentialId: 'login', tokenHash: HASH2 })];
    given(own).when(issueCredential({ issuedWith: 'login' }), ctx(himself)).then([credentialIssued({ expiresAt: IN_30_DAYS, issuedWith: 'login' })]);
    given([registered()]).when(issueCredential(), ctx(districtAdmin)).then([credentialIssued()]);
  });
  test('a self-issued credential needs a credential in force of the user, and lives at most 30 days, never beyond it', () => {
    const login = credentialIssued({ credentialId: 'login', tokenHash: HASH2 });
    given([registered()]).when(issueCredential(), ctx(himself)).thenRefuses('NOT_AUTHORISED', /有效的登录凭证/);
    given([registered(), login, credentialRevoked('login')]).when(issueCredential({ issuedWith: 'login' }), ctx(himself)).thenRefuses('NOT_AUTHORISED');
    given([registered(), login]).when(issueCredential({ issuedWith: 'login', expiresAt: '2099-01-01T00:00:00.000Z' }), ctx(himself)).thenRefuses('VALIDATION_FAILED', /30 天/);
    const shortLived = credentialIssued({ credentialId: 'login', tokenHash: HASH2, expiresAt: '2025-03-12T00:00:00.000Z' });
    given([registered(), shortLived]).when(issueCredential({ issuedWith: 'login' }), ctx(himself)).then([credentialIssued({ expiresAt: '2025-03-12T00:00:00.000Z', issuedWith: 'login' })]);
    given([registered(), shortLived]).when(issueCredential({ issuedWith: 'login', expiresAt: '2025-03-13T00:00:00.000Z' }), ctx(himself)).thenRefuses('VALIDATION_FAILED');
    // An administrator's credential for someone else is not bound to the administrator's own.
    given([registered()]).when(issueCredential({ issuedWith: 'admin-login' }), ctx(districtAdmin)).then([credentialIssued()]);
  });
  test('a self-issued credential is usable only while the one that issued it is: revoked or expired with it', () => {
    const chain = [registered(), credentialIssued({ credentialId: 'login', tokenHash: HASH2 }), credentialIssued({ issuedWith: 'login' })];
    assert.ok(usableCredential(fold(userDecider, chain), HASH, NOW));
    assert.equal(usableCredential(fold(userDecider, [...chain, credentialRevoked('login')]), HASH, NOW), undefined);
    const expiring = [registered(), credentialIssued({ credentialId: 'login', tokenHash: HASH2, expiresAt: '2025-03-11T00:00:00.000Z' }), credentialIssued({ issuedWith: 'login' })];
    assert.ok(usableCredential(fold(userDecider, expiring), HASH, NOW));
    assert.equal(usableCredential(fold(userDecider, expiring), HASH, '2025-03-11T00:00:00.000Z'), undefined);
  });
  test("the ledger itself (the operator's CLI) issues a credential for any active user", () => {
    given([registered(['SUPER_ADMIN'], CITY_OFFICE)]).when(issueCredential(), ctx(system)).then([credentialIssued({ unitId: CITY_OFFICE })]);
  });
  test('nobody else does — nor a unit administrator for a super administrator of its unit', () => {
    given([registered()]).when(issueCredential(), ctx(districtClerk)).thenRefuses('NOT_AUTHORISED');
    given([registered()]).when(issueCredential(), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED');
    const cityUnitAdmin: Actor = { userId: 'u-city-unit-admin', unitId: CITY_OFFICE, role: 'UNIT_ADMIN' };
    given([registered(['SUPER_ADMIN'], CITY_OFFICE)]).when(issueCredential(), ctx(cityUnitAdmin)).thenRefuses('NOT_AUTHORISED', /超级管理员/);
  });
  test('a duplicate credential id or token digest is ALREADY_EXISTS, even once revoked', () => {
    given([registered(), credentialIssued()]).when(issueCredential({ tokenHash: HASH2 }), ctx()).thenRefuses('ALREADY_EXISTS', /cred-1/);
    given([registered(), credentialIssued(), credentialRevoked()]).when(issueCredential({ tokenHash: HASH2 }), ctx()).thenRefuses('ALREADY_EXISTS');
    given([registered(), credentialIssued()]).when(issueCredential({ credentialId: 'cred-2' }), ctx()).thenRefuses('ALREADY_EXISTS', /令牌/);
  });
  test('the user must exist (NOT_FOUND) and be active (INVALID_STATE), in an active unit (VALIDATION_FAILED)', () => {
    given([]).when(issueCredential(), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(issueCredential(), ctx()).thenRefuses('INVALID_STATE');
    given([registered(['CLERK'], MERGED)]).when(issueCredential(), ctx()).thenRefuses('VALIDATION_FAILED');
  });
  test('an expiry that is not in the future is VALIDATION_FAILED', () => {
    given([registered()]).when(issueCredential({ expiresAt: NOW }), ctx()).thenRefuses('VALIDATION_FAILED', /失效时间/);
  });
  test('the command schema takes a 64-hex lower-case digest, never a token', () => {
    const ok = (tokenHash: string) => IssueCredential.input.safeParse({ ...issueCredential().data, tokenHash }).success;
    assert.equal(ok(HASH), true);
    assert.equal(ok('A'.repeat(64)), false);
    assert.equal(ok('a'.repeat(63)), false);
    assert.equal(ok('eyJhbGciOiJIUzI1NiJ9.secret-token'), false);
  });
});

describe('RevokeCredential', () => {
  const withCredential = [registered(), credentialIssued()];
  test('the user themself, their unit administrator or the super administrator revokes it', () => {
    for (const actor of [himself, districtAdmin, superAdmin]) given(withCredential).when(revokeCredential(), ctx(actor)).then([credentialRevoked()]);
  });
  test('a reason is recorded when given', () => {
    given(withCredential)
      .when(revokeCredential('cred-1', '手机遗失'), ctx())
      .then([{ type: 'CredentialRevoked', data: { userId: USER, unitId: DISTRICT, credentialId: 'cred-1', reason: '手机遗失' } }]);
  });
  test('nobody else revokes it', () => {
    given(withCredential).when(revokeCredential(), ctx(districtClerk)).thenRefuses('NOT_AUTHORISED');
    given(withCredential).when(revokeCredential(), ctx(bureauAdmin)).thenRefuses('NOT_AUTHORISED');
  });
  test('an unknown credential is NOT_FOUND; revoking twice INVALID_STATE; an unknown user NOT_FOUND', () => {
    given(withCredential).when(revokeCredential('cred-9'), ctx()).thenRefuses('NOT_FOUND', /cred-9/);
    given([...withCredential, credentialRevoked()]).when(revokeCredential(), ctx()).thenRefuses('INVALID_STATE', /已吊销/);
    given([]).when(revokeCredential(), ctx()).thenRefuses('NOT_FOUND');
  });
});

describe('activeRoles and usableCredential', () => {
  test('activeRoles: none before registration, held roles while active', () => {
    assert.deepEqual(activeRoles(userDecider.initialState()), []);
    assert.deepEqual(activeRoles(fold(userDecider, [registered(['LEADER']), granted('CLERK'), granted('INSPECTOR'), roleRevoked('LEADER')])), ['CLERK', 'INSPECTOR']);
  });
  test('the state keeps credentials by id, with their digest, revocation and expiry', () => {
    const state = fold(userDecider, [registered(), credentialIssued({ expiresAt: '2025-06-30T00:00:00+08:00' }), credentialIssued({ credentialId: 'cred-2', tokenHash: HASH2 }), credentialRevoked('cred-2')]);
    assert.ok(state.exists);
    assert.deepEqual(state.credentials.get('cred-1'), { credentialId: 'cred-1', tokenHash: HASH, tokenHashAlgorithm: 'sm3', expiresAt: '2025-06-30T00:00:00+08:00', revoked: false });
    assert.equal(state.credentials.get('cred-2')?.revoked, true);
  });
  test('usableCredential: a live credential by digest; not revoked, not expired (expiry exclusive), not for a deactivated user', () => {
    const expiring = credentialIssued({ expiresAt: '2025-06-30T00:00:00+08:00' });
    assert.equal(usableCredential(fold(userDecider, [registered(), expiring]), HASH, NOW)?.credentialId, 'cred-1');
    assert.equal(usableCredential(fold(userDecider, [registered(), expiring]), HASH2, NOW), undefined);
    assert.equal(usableCredential(fold(userDecider, [registered(), expiring]), HASH, '2025-06-30T00:00:00+08:00'), undefined);
    assert.equal(usableCredential(fold(userDecider, [registered(), expiring, credentialRevoked()]), HASH, NOW), undefined);
    assert.equal(usableCredential(fold(userDecider, [registered(), expiring, deactivated()]), HASH, NOW), undefined);
    assert.equal(usableCredential(userDecider.initialState(), HASH, NOW), undefined);
  });
});
