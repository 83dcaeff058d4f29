import type { Role } from '../../../../schemas/common.ts';
import type { UnitKind } from '../../../../schemas/events/directory.ts';
import type { DecisionContext } from '../../decider.ts';
import { refuse } from '../../refusal.ts';
import type { User } from './state.ts';

export const roleNames: Record<Role, string> = {
  SUPER_ADMIN: '超级管理员',
  UNIT_ADMIN: '单位管理员',
  SEAL_KEEPER: '印章管理员',
  CLERK: '文书',
  LEADER: '领导',
  STAFF: '工作人员',
  INSPECTOR: '纪检监察人员',
  ARCHIVIST: '档案员',
};

/**
 * Roles only the city office's super administrator hands out or takes away: they reach beyond one
 * unit (INSPECTOR, ARCHIVIST) or govern other administrators (SUPER_ADMIN, UNIT_ADMIN).
 */
export const rolesReservedToSuperAdmin: ReadonlySet<Role> = new Set<Role>(['SUPER_ADMIN', 'UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST']);

interface AuthorityContext extends DecisionContext {
  actorIsCityOfficeSuperAdmin: boolean;
}

const isUnitAdminOf = (context: AuthorityContext, unitId: string) => context.actor.role === 'UNIT_ADMIN' && context.actor.unitId === unitId;

/** Registering a user: the city office's super administrator anywhere, a unit administrator in its own unit. */
export function requireAdminOfUnit(context: AuthorityContext, unitId: string): void {
  if (context.actorIsCityOfficeSuperAdmin || isUnitAdminOf(context, unitId)) return;
  refuse('NOT_AUTHORISED', `只有市委办公室/市政府办公室的超级管理员或本单位的单位管理员可以管理单位「${unitId}」的用户 (not an administrator of this unit)`, { unitId });
}

/**
 * Managing an existing user. A unit administrator manages only the users of its own unit who hold
 * no reserved role: otherwise it could issue itself a token for a super administrator's account.
 * With `allowSelf`, the user may act on their own account (their own credentials).
 */
export function requireManagerOf(context: AuthorityContext, user: User, { allowSelf }: { allowSelf: boolean }): void {
  if (context.actorIsCityOfficeSuperAdmin) return;
  if (allowSelf && context.actor.userId === user.userId) return;
  requireAdminOfUnit(context, user.unitId);
  const reserved = user.roles.filter((r) => rolesReservedToSuperAdmin.has(r));
  if (reserved.length > 0) {
    refuse(
      'NOT_AUTHORISED',
      `用户「${user.name}」担任${reserved.map((r) => roleNames[r]).join('、')}，只能由市委办公室/市政府办公室的超级管理员管理 (user holds a reserved role)`,
      { userId: user.userId },
    );
  }
}

export function requireMayAssign(context: AuthorityContext, role: Role, verb: '授予' | '撤销'): void {
  if (rolesReservedToSuperAdmin.has(role) && !context.actorIsCityOfficeSuperAdmin) {
    refuse('NOT_AUTHORISED', `只有市委办公室/市政府办公室的超级管理员可以${verb}「${roleNames[role]}」角色 (role reserved to the super administrator)`, { role });
  }
}

/** A super administrator governs the whole city's directory, so the role lives only in the city office. */
export function requireSuperAdminUnit(kind: UnitKind | undefined, unitId: string): void {
  if (kind !== 'city-office') {
    refuse('VALIDATION_FAILED', `超级管理员只能由市委办公室/市政府办公室的用户担任，单位「${unitId}」不是市委/市政府办公室 (SUPER_ADMIN only in a city-office unit)`, { unitId });
  }
}
