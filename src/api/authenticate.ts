import type { Principal } from '../app/authorization.ts';
import { loadUser } from '../app/commands/deps.ts';
import { activeRoles, usableCredential } from '../domain/directory/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { sm3Hex } from '../integrity/sm3.ts';

const TOKEN = /^gw1\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.[A-Za-z0-9_-]{43}$/;

export type Authentication = { ok: true; principal: Extract<Principal, { kind: 'user' }> } | { ok: false; reason: string };

/**
 * `Authorization: Bearer gw1.<user>.<secret>`: the user's stream is read and the token's SM3 must
 * match an unrevoked, unexpired credential of an active user. Roles are the ones held now.
 */
export async function authenticate(store: EventStore, header: string | undefined, now: Date): Promise<Authentication> {
  if (!header) return { ok: false, reason: '请先登录：请求缺少 Authorization: Bearer 令牌 (missing bearer token)' };
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const match = token ? TOKEN.exec(token) : null;
  if (!token || !match) return { ok: false, reason: '令牌格式不正确 (malformed bearer token)' };
  const user = await loadUser(store, match[1]!);
  if (!user.exists || !usableCredential(user, sm3Hex(token), now.toISOString())) {
    return { ok: false, reason: '令牌无效、已过期或已被吊销，或账号已停用 (invalid, expired or revoked token)' };
  }
  return { ok: true, principal: { kind: 'user', userId: user.userId, unitId: user.unitId, roles: activeRoles(user), active: user.active } };
}
