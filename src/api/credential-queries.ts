import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import type { Principal } from '../app/authorization.ts';
import { loadUser } from '../app/commands/deps.ts';
import { credentialInForce } from '../domain/directory/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { apiError, guarded } from './errors.ts';
import { declaredListSize } from './query-cost.ts';
import { requireCredentialsOf } from './read-access.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string } };

/**
 * `credentials(userId)`: read from the user's own stream, as authentication reads it, so `usable`
 * is exactly what a login with that credential would get now (a self-issued credential falls with
 * the one that issued it).
 */
export function credentialResolvers(store: EventStore, log: FastifyBaseLogger) {
  return {
    credentials: (_root: unknown, args: { userId: string }, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        const user = await loadUser(store, args.userId);
        requireCredentialsOf(ctx.auth.principal, args.userId, user.exists ? user.unitId : undefined);
        if (!user.exists) throw apiError('NOT_FOUND', `用户「${args.userId}」尚未登记 (user not found)`);
        const now = Date.now();
        const newestFirst = [...user.credentials.values()].reverse().slice(0, declaredListSize(info, undefined));
        return newestFirst.map((c) => ({ ...c, label: c.label ?? null, expiresAt: c.expiresAt ?? null, issuedWith: c.issuedWith ?? null, usable: user.active && credentialInForce(user, c, now) }));
      }),
  };
}
