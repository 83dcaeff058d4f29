import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../../schemas/common.ts';
import { RegisterUnit, unitCommands, type UnitCommand } from '../../../schemas/commands/directory.ts';
import { unitEvents, type UnitEvent } from '../../../schemas/events/directory.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { fold } from '../../../src/domain/decider.ts';
import { unitDecider, unitStatusOf, type UnitContext, type UnitStatus } from '../../../src/domain/directory/index.ts';
import { deciderSpec, lookup } from './support/decider-spec.ts';

const CITY_OFFICE = 'fy-szfb';
const DISTRICT = 'fy-yzq';
const MERGED = 'fy-old-bureau';
const NOW = '2025-03-10T09:00:00+08:00';

const superAdmin: Actor = { userId: 'u-admin', unitId: CITY_OFFICE, role: 'SUPER_ADMIN' };
const districtAdmin: Actor = { userId: 'u-district-admin', unitId: DISTRICT, role: 'UNIT_ADMIN' };
const system: Actor = { userId: 'system', unitId: 'ledger', role: 'SYSTEM' };

const units: Record<string, UnitStatus> = { [CITY_OFFICE]: 'active', [DISTRICT]: 'active', [MERGED]: 'inactive' };

const ctx = (over: Partial<UnitContext> = {}): UnitContext => ({
  actor: superAdmin,
  now: NOW,
  actorIsCityOfficeSuperAdmin: true,
  unitStatus: lookup(units),
  cityHasUnits: true,
  ...over,
});
const notCityAdmin = ctx({ actor: districtAdmin, actorIsCityOfficeSuperAdmin: false });
const installing = (cityHasUnits?: boolean) => {
  const c = ctx({ actor: system, actorIsCityOfficeSuperAdmin: false, unitStatus: lookup({}) });
  if (cityHasUnits === undefined) delete c.cityHasUnits;
  else c.cityHasUnits = cityHasUnits;
  return c;
};

const NOT_AUTHORISED_MESSAGE = '只有市委办公室/市政府办公室的超级管理员可以登记、更名、停用单位 (only the city office super administrator manages units)';

type RegisterData = Extract<UnitCommand, { type: 'RegisterUnit' }>['data'];
const register = (over: Partial<RegisterData> = {}): UnitCommand => ({
  type: 'RegisterUnit',
  data: {
    commandId: 'cmd-unit-0001',
    unitId: 'fy-yzq-bgs',
    name: '阜阳市颍州区人民政府办公室',
    shortName: '颍州区政府办',
    kind: 'district-department',
    parentUnitId: DISTRICT,
    fondsCode: '0102',
    organisationCode: 'BGS',
    docNumberPrefixes: ['颍政办', '颍政办函'],
    ...over,
  },
});
const registered = (over: Partial<Extract<UnitEvent, { type: 'UnitRegistered' }>['data']> = {}): UnitEvent => ({
  type: 'UnitRegistered',
  data: {
    unitId: 'fy-yzq-bgs',
    name: '阜阳市颍州区人民政府办公室',
    shortName: '颍州区政府办',
    kind: 'district-department',
    parentUnitId: DISTRICT,
    fondsCode: '0102',
    organisationCode: 'BGS',
    docNumberPrefixes: ['颍政办', '颍政办函'],
    ...over,
  },
});
const cityOffice: RegisterData = {
  commandId: 'cmd-install-01',
  unitId: CITY_OFFICE,
  name: '阜阳市人民政府办公室',
  kind: 'city-office',
  docNumberPrefixes: ['阜政办'],
};
const rename = (name: string, shortName?: string): UnitCommand => ({
  type: 'RenameUnit',
  data: { commandId: 'cmd-rename-01', unitId: 'fy-yzq-bgs', name, ...(shortName !== undefined && { shortName }) },
});
const deactivate = (unitId = 'fy-yzq-bgs'): UnitCommand => ({ type: 'DeactivateUnit', data: { commandId: 'cmd-deact-001', unitId, reason: '机构改革，职责并入区委办' } });
const deactivated = (): UnitEvent => ({ type: 'UnitDeactivated', data: { unitId: 'fy-yzq-bgs', reason: '机构改革，职责并入区委办' } });
const addPrefix = (prefix: string): UnitCommand => ({ type: 'AddDocNumberPrefix', data: { commandId: 'cmd-prefix-01', unitId: 'fy-yzq-bgs', prefix } });

const given = deciderSpec(unitDecider, createEventRegistry(unitEvents), unitCommands);

describe('RegisterUnit', () => {
  test('the city office super administrator registers a unit under an active parent', () => {
    given([]).when(register(), ctx()).then([registered()]);
  });

  test('optional fields left out stay out of the event', () => {
    given([])
      .when(register({ shortName: undefined, parentUnitId: undefined, fondsCode: undefined, organisationCode: undefined, kind: 'city-department' }), ctx())
      .then([{ type: 'UnitRegistered', data: { unitId: 'fy-yzq-bgs', name: '阜阳市颍州区人民政府办公室', kind: 'city-department', docNumberPrefixes: ['颍政办', '颍政办函'] } }]);
  });

  test('anyone else is refused with NOT_AUTHORISED', () => {
    given([]).when(register(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });

  test('bootstrap: the SYSTEM actor registers the city’s first unit, the city office, without a parent', () => {
    given([])
      .when({ type: 'RegisterUnit', data: cityOffice }, installing(false))
      .then([{ type: 'UnitRegistered', data: { unitId: CITY_OFFICE, name: '阜阳市人民政府办公室', kind: 'city-office', docNumberPrefixes: ['阜政办'] } }]);
  });

  test('bootstrap: the SYSTEM actor registers nothing once the city has a unit, nor when the handler did not say', () => {
    given([]).when({ type: 'RegisterUnit', data: cityOffice }, installing(true)).thenRefuses('NOT_AUTHORISED', /第一个单位/);
    given([]).when({ type: 'RegisterUnit', data: cityOffice }, installing(undefined)).thenRefuses('NOT_AUTHORISED', /第一个单位/);
  });

  test('bootstrap: the first unit is a city office and has no parent', () => {
    given([]).when({ type: 'RegisterUnit', data: { ...cityOffice, kind: 'district' } }, installing(false)).thenRefuses('VALIDATION_FAILED', /city-office/);
    given([]).when({ type: 'RegisterUnit', data: { ...cityOffice, parentUnitId: DISTRICT } }, installing(false)).thenRefuses('VALIDATION_FAILED', /上级/);
  });

  test('a registered unit id is ALREADY_EXISTS, also once deactivated', () => {
    given([registered()]).when(register(), ctx()).thenRefuses('ALREADY_EXISTS');
    given([registered(), deactivated()]).when(register(), ctx()).thenRefuses('ALREADY_EXISTS');
  });

  test('the parent must be registered (NOT_FOUND), active (VALIDATION_FAILED) and not the unit itself', () => {
    given([]).when(register({ parentUnitId: 'fy-nowhere' }), ctx()).thenRefuses('NOT_FOUND', /上级单位「fy-nowhere」/);
    given([]).when(register({ parentUnitId: MERGED }), ctx()).thenRefuses('VALIDATION_FAILED', /已停用/);
    given([]).when(register({ parentUnitId: 'fy-yzq-bgs' }), ctx()).thenRefuses('VALIDATION_FAILED', /自己的上级/);
  });

  test('the command schema wants at least one 机关代字, no duplicates, a known kind', () => {
    const ok = (over: Partial<Record<keyof RegisterData, unknown>>) => RegisterUnit.input.safeParse({ ...register().data, ...over }).success;
    assert.equal(ok({}), true);
    assert.equal(ok({ docNumberPrefixes: [] }), false);
    assert.equal(ok({ docNumberPrefixes: ['颍政办', '颍政办'] }), false);
    assert.equal(ok({ docNumberPrefixes: ['颍政办〔2025〕'] }), false);
    assert.equal(ok({ kind: 'province' }), false);
  });
});

describe('RenameUnit', () => {
  test('renames and keeps the previous name and short name in the event', () => {
    given([registered()])
      .when(rename('阜阳市颍州区委办公室', '颍州区委办'), ctx())
      .then([
        {
          type: 'UnitRenamed',
          data: { unitId: 'fy-yzq-bgs', name: '阜阳市颍州区委办公室', shortName: '颍州区委办', previousName: '阜阳市颍州区人民政府办公室', previousShortName: '颍州区政府办' },
        },
      ]);
  });

  test('a short name left out is kept', () => {
    given([registered()])
      .when(rename('阜阳市颍州区政府办公室'), ctx())
      .then([
        {
          type: 'UnitRenamed',
          data: { unitId: 'fy-yzq-bgs', name: '阜阳市颍州区政府办公室', shortName: '颍州区政府办', previousName: '阜阳市颍州区人民政府办公室', previousShortName: '颍州区政府办' },
        },
      ]);
  });

  test('the state remembers every earlier name', () => {
    const renamed = (name: string, previousName: string): UnitEvent => ({ type: 'UnitRenamed', data: { unitId: 'fy-yzq-bgs', name, previousName } });
    const state = fold(unitDecider, [registered({ shortName: undefined }), renamed('名称二', '阜阳市颍州区人民政府办公室'), renamed('名称三', '名称二')]);
    assert.ok(state.status === 'active');
    assert.equal(state.name, '名称三');
    assert.deepEqual(state.previousNames, ['阜阳市颍州区人民政府办公室', '名称二']);
  });

  test('an unchanged name is INVALID_STATE', () => {
    given([registered()]).when(rename('阜阳市颍州区人民政府办公室'), ctx()).thenRefuses('INVALID_STATE', /没有变化/);
    given([registered()]).when(rename('阜阳市颍州区人民政府办公室', '颍州区政府办'), ctx()).thenRefuses('INVALID_STATE');
  });

  test('is refused to anyone but the city office super administrator', () => {
    given([registered()]).when(rename('新名称'), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });
  test('an unknown unit is NOT_FOUND; an inactive one INVALID_STATE', () => {
    given([]).when(rename('新名称'), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(rename('新名称'), ctx()).thenRefuses('INVALID_STATE', /已停用/);
  });
});

describe('DeactivateUnit', () => {
  test('deactivates an active unit', () => {
    const events = given([registered()]).when(deactivate(), ctx()).then([deactivated()]);
    assert.equal(unitStatusOf(fold(unitDecider, [registered(), ...events])), 'inactive');
  });
  test('is refused to anyone but the city office super administrator', () => {
    given([registered()]).when(deactivate(), notCityAdmin).thenRefuses('NOT_AUTHORISED', NOT_AUTHORISED_MESSAGE);
  });
  test('an administrator does not deactivate their own unit', () => {
    given([{ type: 'UnitRegistered', data: { unitId: CITY_OFFICE, name: '阜阳市人民政府办公室', kind: 'city-office', docNumberPrefixes: ['阜政办'] } }])
      .when(deactivate(CITY_OFFICE), ctx())
      .thenRefuses('NOT_AUTHORISED', /自己所在的单位/);
  });
  test('an unknown unit is NOT_FOUND; deactivating twice INVALID_STATE', () => {
    given([]).when(deactivate(), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(deactivate(), ctx()).thenRefuses('INVALID_STATE');
  });
});

describe('AddDocNumberPrefix', () => {
  test('adds a 机关代字', () => {
    const events = given([registered()]).when(addPrefix('颍政秘'), ctx()).then([{ type: 'DocNumberPrefixAdded', data: { unitId: 'fy-yzq-bgs', prefix: '颍政秘' } }]);
    const state = fold(unitDecider, [registered(), ...events]);
    assert.deepEqual(state.status === 'active' && state.docNumberPrefixes, ['颍政办', '颍政办函', '颍政秘']);
  });
  test('a prefix the unit has is ALREADY_EXISTS', () => {
    given([registered()]).when(addPrefix('颍政办函'), ctx()).thenRefuses('ALREADY_EXISTS');
  });
  test('refused to others (NOT_AUTHORISED), for unknown (NOT_FOUND) and inactive units (INVALID_STATE)', () => {
    given([registered()]).when(addPrefix('颍政秘'), notCityAdmin).thenRefuses('NOT_AUTHORISED');
    given([]).when(addPrefix('颍政秘'), ctx()).thenRefuses('NOT_FOUND');
    given([registered(), deactivated()]).when(addPrefix('颍政秘'), ctx()).thenRefuses('INVALID_STATE');
  });
});

describe('unitStatusOf', () => {
  test('undefined before registration, then active', () => {
    assert.equal(unitStatusOf(unitDecider.initialState()), undefined);
    assert.equal(unitStatusOf(fold(unitDecider, [registered()])), 'active');
  });
});
