import type { Principal } from '../app/authorization.ts';
import { loadUser } from '../app/commands/deps.ts';
import { activeRoles, usableCredential, type UserState } from '../domain/directory/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import { userByTokenHash } from '../../projections/directory/queries.ts';
import type pg from 'pg';

const TOKEN = /^gw1\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.[A-Za-z0-9_-]{43}$/;

export type Authentication =
  | { ok: true; principal: Extract<Principal, { kind: 'user' }> }
  /** `presented`: a credential was offered and refused (a failed login, worth logging); `claimedUserId`: whom the token names. */
  | { ok: false; reason: string; presented?: boolean; claimedUserId?: string };

/** Where a user's folded stream comes from: the store (read every time) or the API's UserCache. */
export type UserSource = EventStore | { get(userId: string): Promise<UserState> };

const userFrom = (source: UserSource, userId: string): Promise<UserState> => ('get' in source ? source.get(userId) : loadUser(source, userId));

/**
 * `Authorization: Bearer gw1.<user>.<secret>`: the user's stream is folded (or taken from the
 * cache that drops it on every change, ./user-cache.ts) and the token's SM3 must match an
 * unrevoked, unexpired credential of an active user. Roles are the ones held now.
 */
export async function authenticate(store: UserSource, header: string | undefined, now: Date, certificate?: ClientCertificate): Promise<Authentication> {
  if (!header && certificate) return authenticateCertificate(store, certificate, now);
  if (!header) return { ok: false, reason: '请先登录：请求缺少 Authorization: Bearer 令牌 (missing bearer token)' };
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const match = token ? TOKEN.exec(token) : null;
  if (!token || !match) return { ok: false, reason: '令牌格式不正确 (malformed bearer token)', presented: true };
  const user = await userFrom(store, match[1]!);
  const credential = user.exists ? usableCredential(user, sm3Hex(token), now.toISOString()) : undefined;
  if (!user.exists || !credential) {
    return { ok: false, reason: '令牌无效、已过期或已被吊销，或账号已停用 (invalid, expired or revoked token)', presented: true, claimedUserId: match[1]! };
  }
  return { ok: true, principal: { kind: 'user', userId: user.userId, unitId: user.unitId, roles: activeRoles(user), active: user.active, credentialId: credential.credentialId } };
}

/** A client certificate the TLS layer verified against the configured client CA. */
export interface ClientCertificate {
  pool: pg.Pool;
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  fingerprint256: string;
}

export const fingerprintOf = (colonHex: string): string => colonHex.replace(/:/g, '').toLowerCase();

/**
 * Mutual TLS (数字证书登录): the certificate's SHA-256 fingerprint is registered as one of the
 * user's credentials (tokenHashAlgorithm sha256). The directory read model finds the user; the
 * user's own stream then confirms the credential is still valid, so revocation is immediate.
 */
async function authenticateCertificate(store: UserSource, certificate: ClientCertificate, now: Date): Promise<Authentication> {
  const refused: Authentication = { ok: false, reason: '该数字证书未登记、已吊销或账号已停用 (client certificate not registered or revoked)', presented: true };
  const found = await userByTokenHash(certificate.pool, certificate.fingerprint256, { at: now });
  if (!found) return refused;
  const user = await userFrom(store, found.userId);
  const credential = user.exists ? usableCredential(user, certificate.fingerprint256, now.toISOString()) : undefined;
  if (!user.exists || !credential) return refused;
  return { ok: true, principal: { kind: 'user', userId: user.userId, unitId: user.unitId, roles: activeRoles(user), active: user.active, credentialId: credential.credentialId } };
}
