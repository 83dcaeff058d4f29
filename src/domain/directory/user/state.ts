import { Roles, type Role } from '../../../../schemas/common.ts';

export interface Credential {
  credentialId: string;
  /** Digest of the bearer token; the token itself is never stored. */
  tokenHash: string;
  tokenHashAlgorithm: 'sm3' | 'sha256';
  label?: string;
  expiresAt?: string;
  /** Self-issued: the credential that issued it (see usableCredential). */
  issuedWith?: string;
  revoked: boolean;
}

export interface User {
  exists: true;
  /** False once deactivated, which is terminal. */
  active: boolean;
  userId: string;
  unitId: string;
  name: string;
  /** Held roles in the canonical order of `Roles`, so equal states compare equal. */
  roles: readonly Role[];
  credentials: ReadonlyMap<string, Credential>;
  deactivationReason?: string;
}

export type UserState = { exists: false } | User;

export const initialUserState = (): UserState => ({ exists: false });

export const inRoleOrder = (roles: Iterable<Role>): Role[] => {
  const held = new Set(roles);
  return Roles.filter((r) => held.has(r));
};

/** The roles a user may act under now: none once deactivated (or never registered). */
export function activeRoles(state: UserState): readonly Role[] {
  return state.exists && state.active ? state.roles : [];
}

/**
 * The credential a presented token (by its digest) authenticates at `at`, if any: the user is
 * active, the credential is not revoked and has not expired (expiresAt is exclusive).
 */
export function usableCredential(state: UserState, tokenHash: string, at: string): Credential | undefined {
  if (!state.exists || !state.active) return undefined;
  const now = Date.parse(at);
  if (Number.isNaN(now)) throw new TypeError(`at is not an ISO timestamp: ${at}`);
  for (const c of state.credentials.values()) {
    if (c.tokenHash !== tokenHash || c.revoked) continue;
    return credentialInForce(state, c, now) ? c : undefined;
  }
  return undefined;
}

/**
 * Not revoked, not expired, and — for a self-issued credential — issued by one still in force: a
 * token a thief minted with a stolen one dies when the stolen one is revoked or expires.
 */
export function credentialInForce(state: User, c: Credential, now: number): boolean {
  // Each credential names one issued before it, so the chain ends; the bound guards bad data.
  for (let link: Credential | undefined = c, hops = 0; link; link = link.issuedWith ? state.credentials.get(link.issuedWith) : undefined, hops++) {
    if (link.revoked || hops > state.credentials.size) return false;
    if (link.expiresAt !== undefined && !(now < Date.parse(link.expiresAt))) return false;
    if (link.issuedWith && !state.credentials.has(link.issuedWith)) return false;
  }
  return true;
}
