import type { Principal } from '../app/authorization.ts';
import { loadUser } from '../app/commands/deps.ts';
import { credentialInForce } from '../domain/directory/user/state.ts';
import type { EventStore } from '../eventstore/port.ts';
import { authenticate, type Authentication } from './authenticate.ts';
import { apiError } from './errors.ts';

type User = Extract<Principal, { kind: 'user' }>;

/**
 * Subscriptions end with their credential (issue 11). A WebSocket is authenticated once, at
 * connection_init, but lives on for hours: each subscription is authenticated afresh when it
 * starts (a connection whose token was revoked since cannot open new ones), and while it runs the
 * credential is re-checked against the user's stream every GONGWEN_SUBSCRIPTION_RECHECK_MS and at
 * the instant it expires. When it no longer holds, the subscription ends with a GraphQL error
 * frame (graphql-transport-ws `error`) whose code is UNAUTHENTICATED and whose details say why.
 */

export type CredentialEnd = 'expired' | 'revoked' | 'user_deactivated';

const endMessages: Record<CredentialEnd, string> = {
  expired: '登录凭证已过期，订阅已结束，请重新登录后再订阅 (credential expired; subscription closed)',
  revoked: '登录凭证已被吊销，订阅已结束 (credential revoked; subscription closed)',
  user_deactivated: '账号已停用，订阅已结束 (user deactivated; subscription closed)',
};

/** Why the credential a principal logged in with no longer holds at `now` (null: it still does). */
export async function credentialEnd(store: EventStore, principal: User, now: Date): Promise<CredentialEnd | null> {
  const user = await loadUser(store, principal.userId);
  if (!user.exists || !user.active) return 'user_deactivated';
  const credential = principal.credentialId ? user.credentials.get(principal.credentialId) : undefined;
  if (!credential || credential.revoked) return 'revoked';
  if (credential.expiresAt && Date.parse(credential.expiresAt) <= now.getTime()) return 'expired';
  // Self-issued from a credential that has since been revoked or has expired.
  return credentialInForce(user, credential, now.getTime()) ? null : 'revoked';
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The pushes of `source` until `ended` reports the credential gone: then `source` is ended and
 * the next read throws UNAUTHENTICATED naming why. Checked every `recheckMs` and at `expiresAt`.
 */
export function untilCredentialEnds<T>(
  source: AsyncIterable<T>,
  watch: { ended: () => Promise<CredentialEnd | null>; recheckMs: number; expiresAt?: string },
): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  let end: CredentialEnd | null = null;
  let signal!: (why: CredentialEnd) => void;
  const endedPromise = new Promise<CredentialEnd>((resolve) => (signal = resolve));
  const failure = (why: CredentialEnd) => apiError('UNAUTHENTICATED', endMessages[why], { reason: why });
  const check = async () => {
    try {
      const why = await watch.ended();
      if (why) finish(why);
    } catch {
      // The database is unreachable: no verdict; the next check decides.
    }
  };
  const interval = setInterval(() => void check(), watch.recheckMs);
  const expiry = watch.expiresAt
    ? setTimeout(() => void check(), Math.min(MAX_TIMER_MS, Math.max(0, Date.parse(watch.expiresAt) - Date.now()) + 1))
    : undefined;
  const stopTimers = () => {
    clearInterval(interval);
    clearTimeout(expiry);
  };
  function finish(why: CredentialEnd) {
    if (end) return;
    end = why;
    stopTimers();
    signal(why);
    void it.return?.();
  }
  const bound: AsyncIterableIterator<T> = {
    async next() {
      if (end) throw failure(end);
      const r = await Promise.race([it.next(), endedPromise]);
      if (typeof r === 'string') throw failure(r);
      if (r.done) stopTimers();
      return r;
    },
    async return() {
      stopTimers();
      return (await it.return?.()) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => bound,
  };
  return bound;
}

type SubscribeFn = (root: unknown, args: any, ctx: any, info: any) => Promise<AsyncIterable<unknown>>;

/** Every subscription of `resolvers`, authenticated afresh when it starts and ended with its credential. */
export function credentialBound<R extends Record<string, { subscribe: SubscribeFn }>>(resolvers: R, store: EventStore, opts: { recheckMs: number }): R {
  const out: Record<string, { subscribe: SubscribeFn }> = {};
  for (const [name, resolver] of Object.entries(resolvers)) {
    out[name] = {
      ...resolver,
      subscribe: async (root, args, ctx: { auth: Authentication; authorization?: string }, info) => {
        const auth = await authenticate(store, ctx.authorization, new Date());
        if (!auth.ok) throw apiError('UNAUTHENTICATED', auth.reason);
        ctx.auth = auth;
        const source = await resolver.subscribe(root, args, ctx, info);
        const user = await loadUser(store, auth.principal.userId);
        const credential = user.exists && auth.principal.credentialId ? user.credentials.get(auth.principal.credentialId) : undefined;
        return untilCredentialEnds(source, {
          ended: () => credentialEnd(store, auth.principal, new Date()),
          recheckMs: opts.recheckMs,
          expiresAt: credential?.expiresAt,
        });
      },
    };
  }
  return out as R;
}
