import type { RegisterUser, UserCommand } from '../../../../schemas/commands/directory.ts';
import type { CommandOf } from '../../../../schemas/define.ts';
import type { UnitKind, UserEvent } from '../../../../schemas/events/directory.ts';
import type { DecisionContext } from '../../decider.ts';
import { refuse } from '../../refusal.ts';
import { requireActiveUnit, type UnitStatusLookup } from '../unit-status.ts';
import { requireAdminOfUnit, requireManagerOf, requireMayAssign, requireSuperAdminUnit, roleNames } from './authority.ts';
import { credentialInForce, inRoleOrder, type User, type UserState } from './state.ts';

export interface UserContext extends DecisionContext {
  /** Whether the actor is a SUPER_ADMIN of a city-office unit (市委办公室/市政府办公室), as the handler established. */
  actorIsCityOfficeSuperAdmin: boolean;
  unitStatus: UnitStatusLookup;
  unitKind: (unitId: string) => UnitKind | undefined;
  /**
   * Whether any user holds SUPER_ADMIN yet. The SYSTEM actor may register only the first super
   * administrator (at installation). Left out, it counts as true: the bootstrap stays closed unless
   * the handler opens it.
   */
  citySuperAdminExists?: boolean;
}

const USER_UNIT = '用户所属单位';

export function decideUser(command: UserCommand, state: UserState, context: UserContext): UserEvent[] {
  if (command.type === 'RegisterUser') return register(command.data, state, context);
  const user = requireActiveUser(state, command.data.userId);
  switch (command.type) {
    case 'GrantRole': {
      const { role } = command.data;
      requireManagerOf(context, user, { allowSelf: false });
      requireMayAssign(context, role, '授予');
      requireActiveUnit(context.unitStatus(user.unitId), user.unitId, USER_UNIT);
      if (role === 'SUPER_ADMIN') requireSuperAdminUnit(context.unitKind(user.unitId), user.unitId);
      // Refused rather than ignored, so the administrator learns the role was already there.
      if (user.roles.includes(role)) refuse('INVALID_STATE', `用户「${user.name}」已担任「${roleNames[role]}」，无需重复授予 (role already held)`, { userId: user.userId, role });
      return [{ type: 'RoleGranted', data: { userId: user.userId, unitId: user.unitId, role } }];
    }
    case 'RevokeRole': {
      const { role } = command.data;
      requireManagerOf(context, user, { allowSelf: false });
      requireMayAssign(context, role, '撤销');
      // The last super administrator revoking their own role would lock the city out of its directory.
      if (role === 'SUPER_ADMIN' && context.actor.userId === user.userId) {
        refuse('NOT_AUTHORISED', '不能撤销自己的超级管理员角色，请由另一位超级管理员办理 (cannot revoke your own SUPER_ADMIN)', { userId: user.userId });
      }
      if (!user.roles.includes(role)) refuse('INVALID_STATE', `用户「${user.name}」并未担任「${roleNames[role]}」，无法撤销 (role not held)`, { userId: user.userId, role });
      return [{ type: 'RoleRevoked', data: { userId: user.userId, unitId: user.unitId, role } }];
    }
    case 'DeactivateUser':
      requireManagerOf(context, user, { allowSelf: false });
      if (context.actor.userId === user.userId) {
        refuse('NOT_AUTHORISED', '不能停用自己的账号，请由管理员办理 (cannot deactivate yourself)', { userId: user.userId });
      }
      return [{ type: 'UserDeactivated', data: { userId: user.userId, unitId: user.unitId, reason: command.data.reason } }];
    case 'IssueCredential': {
      const c = command.data;
      // The operator's CLI (`gongwen credential`, acting as the ledger itself) hands out the first
      // tokens; the SYSTEM principal is never reachable through the API.
      if (context.actor.role !== 'SYSTEM') requireManagerOf(context, user, { allowSelf: true });
      requireActiveUnit(context.unitStatus(user.unitId), user.unitId, USER_UNIT);
      if (user.credentials.has(c.credentialId)) refuse('ALREADY_EXISTS', `凭证「${c.credentialId}」已存在 (credential already exists)`, { credentialId: c.credentialId });
      for (const existing of user.credentials.values()) {
        if (existing.tokenHash === c.tokenHash) {
          refuse('ALREADY_EXISTS', `该令牌已作为凭证「${existing.credentialId}」登记过，请生成新的令牌 (token already registered)`, { credentialId: existing.credentialId });
        }
      }
      if (c.expiresAt !== undefined && !(Date.parse(c.expiresAt) > Date.parse(context.now))) {
        refuse('VALIDATION_FAILED', `凭证的失效时间 ${c.expiresAt} 须晚于当前时间 (expiresAt must be in the future)`);
      }
      const selfIssued = context.actor.role !== 'SYSTEM' && context.actor.userId === user.userId;
      const bounds: { expiresAt?: string; issuedWith?: string } = selfIssued ? selfIssueBounds(user, c.issuedWith, c.expiresAt, context.now) : { expiresAt: c.expiresAt };
      return [
        {
          type: 'CredentialIssued',
          data: {
            userId: user.userId,
            unitId: user.unitId,
            credentialId: c.credentialId,
            tokenHash: c.tokenHash,
            tokenHashAlgorithm: c.tokenHashAlgorithm ?? 'sm3',
            ...(c.label !== undefined && { label: c.label }),
            ...(bounds.expiresAt !== undefined && { expiresAt: bounds.expiresAt }),
            ...(bounds.issuedWith !== undefined && { issuedWith: bounds.issuedWith }),
          },
        },
      ];
    }
    case 'RevokeCredential': {
      const { credentialId, reason } = command.data;
      requireManagerOf(context, user, { allowSelf: true });
      const credential = user.credentials.get(credentialId);
      if (!credential) return refuse('NOT_FOUND', `用户「${user.name}」没有凭证「${credentialId}」 (credential not found)`, { credentialId });
      if (credential.revoked) refuse('INVALID_STATE', `凭证「${credentialId}」已吊销 (credential already revoked)`, { credentialId });
      return [{ type: 'CredentialRevoked', data: { userId: user.userId, unitId: user.unitId, credentialId, ...(reason !== undefined && { reason }) } }];
    }
  }
}

/** How long a credential a user issues themself may live at most. */
export const SELF_ISSUED_MAX_DAYS = 30;

/**
 * A user's own credential (自助签发) is issued with a credential in force, lives at most
 * SELF_ISSUED_MAX_DAYS and never beyond the one that issued it, and is usable only while that one
 * is: a stolen token cannot mint itself a successor that outlives its revocation. Without an
 * expiry asked for, it gets the longest allowed.
 */
function selfIssueBounds(user: User, issuedWith: string | undefined, asked: string | undefined, now: string): { expiresAt: string; issuedWith: string } {
  const parent = issuedWith === undefined ? undefined : user.credentials.get(issuedWith);
  if (!parent || !credentialInForce(user, parent, Date.parse(now))) {
    return refuse('NOT_AUTHORISED', '自助签发登录令牌须使用本人有效的登录凭证办理 (a self-issued credential needs a valid credential of your own)');
  }
  let latest = Date.parse(now) + SELF_ISSUED_MAX_DAYS * 24 * 3600 * 1000;
  if (parent.expiresAt !== undefined) latest = Math.min(latest, Date.parse(parent.expiresAt));
  if (asked !== undefined && Date.parse(asked) > latest) {
    refuse(
      'VALIDATION_FAILED',
      `自助签发的令牌最长有效 ${SELF_ISSUED_MAX_DAYS} 天，且不晚于签发它的凭证，失效时间最晚为 ${new Date(latest).toISOString()} (self-issued credentials expire within ${SELF_ISSUED_MAX_DAYS} days and no later than the issuing credential)`,
      { latestExpiresAt: new Date(latest).toISOString() },
    );
  }
  return { expiresAt: asked ?? new Date(latest).toISOString(), issuedWith: parent.credentialId };
}

function register(c: CommandOf<typeof RegisterUser>['data'], state: UserState, context: UserContext): UserEvent[] {
  const roles = inRoleOrder(c.roles ?? []);
  const bootstrap = context.actor.role === 'SYSTEM' && !context.actorIsCityOfficeSuperAdmin;
  if (bootstrap) {
    if ((context.citySuperAdminExists ?? true) || !roles.includes('SUPER_ADMIN')) {
      refuse('NOT_AUTHORISED', '系统初始化只能登记第一位超级管理员，其余用户须由管理员登记 (bootstrap registers only the first super administrator)');
    }
  } else {
    requireAdminOfUnit(context, c.unitId);
    for (const role of roles) requireMayAssign(context, role, '授予');
  }
  if (state.exists) refuse('ALREADY_EXISTS', `用户标识「${c.userId}」已登记 (user already exists)`, { userId: c.userId });
  requireActiveUnit(context.unitStatus(c.unitId), c.unitId, USER_UNIT);
  if (roles.includes('SUPER_ADMIN')) requireSuperAdminUnit(context.unitKind(c.unitId), c.unitId);
  return [{ type: 'UserRegistered', data: { userId: c.userId, unitId: c.unitId, name: c.name, roles } }];
}

/** A deactivated user accepts nothing: deactivation is terminal and also retires every credential. */
function requireActiveUser(state: UserState, userId: string): User {
  if (!state.exists) return refuse('NOT_FOUND', `用户「${userId}」尚未登记 (user not found)`, { userId });
  if (!state.active) return refuse('INVALID_STATE', `用户「${state.name}」已停用，不能再办理任何操作 (user is deactivated)`, { userId });
  return state;
}
