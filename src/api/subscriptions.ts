import type { FastifyInstance } from 'fastify';

import type { Ledger } from '../app/ledger.ts';
import type { AppliedBatch } from '../projections/projection-runner.ts';
import { documentEntriesOf } from '../../projections/audit/queries.ts';
import type { Principal } from '../app/authorization.ts';
import { apiError } from './errors.ts';
import { noSuchDocument, readableDocument, timelineStreams, unitScope } from './read-access.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string }; pubsub: { subscribe(topic: string): Promise<unknown> } };

const inboxTopic = (unitId: string) => `inbox:${unitId}`;
const timelineTopic = (documentId: string) => `timeline:${documentId}`;

function principal(ctx: Ctx): User {
  if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
  return ctx.auth.principal;
}

/** Subscribing checks the same read rules as the queries. */
export function subscriptionResolvers(ledger: Ledger) {
  return {
    inboxChanged: {
      subscribe: async (_root: unknown, args: { unitId: string }, ctx: Ctx) => ctx.pubsub.subscribe(inboxTopic(unitScope(principal(ctx), args.unitId))),
    },
    documentTimeline: {
      subscribe: async (_root: unknown, args: { documentId: string }, ctx: Ctx) => {
        const p = principal(ctx);
        const doc = await readableDocument(ledger.store, p, args.documentId);
        if (!doc) throw noSuchDocument(args.documentId);
        const source = (await ctx.pubsub.subscribe(timelineTopic(args.documentId))) as AsyncIterable<TimelinePush>;
        const allowed = timelineStreams(p, doc);
        return allowed ? only(source, (m) => allowed.includes(m.documentTimeline.streamId)) : source;
      },
    },
  };
}

type TimelinePush = { documentTimeline: { streamId: string } };

/**
 * The pushes of `source` that `keep` accepts. Ending it ends `source` at once (an async generator
 * would wait for the next push before its `return` ran, keeping the subscription alive).
 */
function only<T>(source: AsyncIterable<T>, keep: (m: T) => boolean): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  const filtered: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    async return() {
      return (await it.return?.()) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => filtered,
  };
  return filtered;
}

/**
 * Publishes after the read models commit, so a subscriber that re-queries on a push sees the
 * change: inbox changes per recipient unit, and each new timeline entry (as the audit read model
 * stored it, hash status included) per document.
 */
export function publishProjectionChanges(app: FastifyInstance, ledger: Ledger): () => void {
  const onApplied = async (batch: AppliedBatch) => {
    try {
      if (batch.projection === 'inbox') {
        for (const e of batch.handled) {
          const data = e.data as { documentId: string; unitId: string };
          await app.graphql.pubsub.publish({
            topic: inboxTopic(data.unitId),
            payload: { inboxChanged: { unitId: data.unitId, documentId: data.documentId, eventType: e.type, recordedAt: e.recordedAt } },
          });
        }
      } else if (batch.projection === 'audit' && batch.handled.length > 0) {
        const rows = await documentEntriesOf(ledger.db.pool, batch.handled);
        for (const r of rows) {
          await app.graphql.pubsub.publish({
            topic: timelineTopic(r.document_id),
            payload: {
              documentTimeline: {
                feedSeq: Number(r.feed_seq),
                globalPosition: r.global_position,
                streamId: r.stream_id,
                revision: Number(r.revision),
                eventId: r.event_id,
                type: r.type,
                action: r.action,
                actorUserId: r.actor_user_id,
                actorUnitId: r.actor_unit_id,
                actorRole: r.actor_role,
                documentId: r.document_id,
                unitId: r.subject_unit_id,
                occurredAt: r.occurred_at.toISOString(),
                recordedAt: r.recorded_at.toISOString(),
                lateRecorded: r.late_recorded,
                hash: r.hash,
                hashStatus: r.hash_status,
                // Sequenced into the signed log later; the timeline query reports it then.
                anchored: false,
              },
            },
          });
        }
      }
    } catch (error) {
      app.log.error({ err: error }, 'publishing a read-model change failed');
    }
  };
  const listener = (batch: AppliedBatch) => void onApplied(batch);
  ledger.projections.on('applied', listener);
  return () => ledger.projections.off('applied', listener);
}

