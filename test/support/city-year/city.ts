import type { Role } from '../../../schemas/common.ts';
import type { Principal } from '../../../src/app/authorization.ts';

/**
 * The people and units of the generated city, as the generator believes them to be: who holds
 * which role today, who is still active, and which seal each unit seals with. Kept in step with
 * the directory commands the generator issues, so every principal it acts as is one the ledger
 * would authenticate at that moment.
 */

export interface Person {
  userId: string;
  unitId: string;
  name: string;
  roles: Set<Role>;
  active: boolean;
}

export interface CityUnit {
  unitId: string;
  name: string;
  prefix: string;
  /** 全宗号 used when filing. */
  fondsCode: string;
  /** 机构代码 of the unit's own archive (档号). */
  organisationCode: string;
  /** Recipient register: 收文 numbers run per unit and year. */
  registerPrefix: string;
  seal: { sealId: string; usable: boolean; usableAgainAt?: number };
}

export class CityDirectory {
  readonly people = new Map<string, Person>();
  readonly units = new Map<string, CityUnit>();

  addPerson(userId: string, unitId: string, name: string, roles: Role[]): Person {
    const person = { userId, unitId, name, roles: new Set(roles), active: true };
    this.people.set(userId, person);
    return person;
  }

  person(userId: string): Person {
    const p = this.people.get(userId);
    if (!p) throw new Error(`no person ${userId} in the generated city`);
    return p;
  }

  unit(unitId: string): CityUnit {
    const u = this.units.get(unitId);
    if (!u) throw new Error(`no unit ${unitId} in the generated city`);
    return u;
  }

  principal(userId: string): Principal {
    const p = this.person(userId);
    return { kind: 'user', userId: p.userId, unitId: p.unitId, roles: [...p.roles], active: p.active };
  }

  /** Active people of a unit holding a role, in a stable order. */
  holders(unitId: string, role: Role): Person[] {
    return [...this.people.values()].filter((p) => p.unitId === unitId && p.active && p.roles.has(role));
  }

  unitIds(): string[] {
    return [...this.units.keys()];
  }
}

/** What seedCity (test/support/ledger.ts) registers, and what the year adds to it. */
export const seededUnits = [
  { unitId: 'city-office', name: '阜阳市人民政府办公室', prefix: '阜政办', fondsCode: '0001', organisationCode: 'BGS', registerPrefix: '市府办收' },
  { unitId: 'edu', name: '阜阳市教育局', prefix: '阜教', fondsCode: '0012', organisationCode: 'JYJ', registerPrefix: '教收' },
  { unitId: 'fin', name: '阜阳市财政局', prefix: '阜财', fondsCode: '0013', organisationCode: 'CZJ', registerPrefix: '财收' },
  { unitId: 'hlth', name: '阜阳市卫生健康委员会', prefix: '阜卫', fondsCode: '0014', organisationCode: 'WJW', registerPrefix: '卫收' },
] as const;

export const addedUnits = [
  {
    unitId: 'yz',
    name: '阜阳市颍州区人民政府',
    shortName: '颍州区政府',
    kind: 'district',
    prefix: '颍政',
    fondsCode: '0101',
    organisationCode: 'YZQ',
    registerPrefix: '颍收',
  },
  {
    unitId: 'jt',
    name: '阜阳市交通局',
    shortName: '市交通局',
    kind: 'city-department',
    prefix: '阜交',
    fondsCode: '0015',
    organisationCode: 'JTJ',
    registerPrefix: '交收',
  },
] as const;

/** Everyone beyond seedCity's clerk, leader and seal keeper of each unit. */
export const extraPeople = (unitId: string): { userId: string; name: string; roles: Role[] }[] => [
  { userId: `${unitId}-deputy1`, name: '陈副职', roles: ['LEADER'] },
  { userId: `${unitId}-deputy2`, name: '刘副职', roles: ['LEADER'] },
  { userId: `${unitId}-staff1`, name: '周科员', roles: ['STAFF'] },
  { userId: `${unitId}-staff2`, name: '吴科员', roles: ['STAFF'] },
  { userId: `${unitId}-archivist`, name: '孙档案', roles: ['ARCHIVIST'] },
];
