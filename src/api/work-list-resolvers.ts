import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import * as inbox from '../../projections/inbox/queries.ts';
import { issuingCounts, issuingWorkList, type IssuingList } from '../../projections/issuing/queries.ts';
import type { Principal } from '../app/authorization.ts';
import { apiError, guarded } from './errors.ts';
import { relayPage } from './query-cost.ts';
import { absentIfNull } from './query-resolvers.ts';
import { unitScope } from './read-access.ts';
import { relayConnection } from './relay.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string } };
type PageArgs = { first?: number; after?: string; last?: number; before?: string };

/**
 * The work lists of schemas/graphql/work-lists.graphql: the issuing side from the issuing
 * projection, the receiving side from the inbox. Every list is the caller's own unit's (unitScope:
 * those who see every unit may name another); a drafter's drafts are the caller's own.
 */
export function workListResolvers(pool: import('pg').Pool, log: FastifyBaseLogger): Record<string, (root: unknown, args: any, ctx: Ctx, info: GraphQLResolveInfo) => Promise<unknown>> {
  const read =
    <A>(work: (p: User, args: A, info: GraphQLResolveInfo) => Promise<unknown>) =>
    (_root: unknown, args: A, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        return work(ctx.auth.principal, absentIfNull(args, info), info);
      });
  const issuing = (list: IssuingList) =>
    read(async (p, a: PageArgs & { unitId?: string }, info) =>
      relayConnection(await issuingWorkList(pool, { list, unitId: list === 'drafts' ? p.unitId : unitScope(p, a.unitId), userId: p.userId }, relayPage(info, a))),
    );
  const incoming = (status: 'awaiting_receipt' | 'awaiting_handling') =>
    read(async (p, a: PageArgs & { unitId?: string; mine?: boolean }, info) => {
      const unitId = unitScope(p, a.unitId);
      const page = await inbox.listInbox(pool, { unitId, status, assigneeUserId: a.mine ? p.userId : undefined, ...relayPage(info, a) });
      const counts = await inbox.inboxCounts(pool, unitId, p.userId);
      return { ...relayConnection(page), counts: { ...counts, mine: counts.person } };
    });

  return {
    myDrafts: issuing('drafts'),
    awaitingSignOff: issuing('awaitingSignOff'),
    awaitingSealing: issuing('awaitingSealing'),
    awaitingSending: issuing('awaitingSending'),
    awaitingReceipt: incoming('awaiting_receipt'),
    awaitingHandling: incoming('awaiting_handling'),
    workCounts: read(async (p, a: { unitId?: string }) => {
      const unitId = unitScope(p, a.unitId);
      const [issued, received] = await Promise.all([issuingCounts(pool, unitId, p.userId), inbox.inboxCounts(pool, unitId, p.userId)]);
      return {
        unitId,
        ...issued,
        awaitingReceipt: received.awaitingReceipt,
        awaitingAssignment: received.received,
        awaitingHandling: received.awaitingHandling,
        myAwaitingHandling: received.person?.awaitingHandling ?? 0,
      };
    }),
  };
}
