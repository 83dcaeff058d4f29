import type { FastifyBaseLogger } from 'fastify';
import * as inbox from '../../projections/inbox/queries.ts';
import type { Principal } from '../app/authorization.ts';
import type { Ledger } from '../app/ledger.ts';
import { compareFeedPositions } from '../eventstore/feed-order.ts';
import type { FeedPosition, RecordedEvent } from '../eventstore/port.ts';
import { apiError, guarded } from './errors.ts';
import { documentView } from './query-resolvers.ts';
import { readableDocument } from './read-access.ts';
import { readModelsCaughtUp } from './read-cache.ts';

/**
 * Reading one's own writes (issue 11). The write side answers at once; the read models (inbox,
 * sent box, search, timelines, catalogue, supervision) follow the feed a moment later. A mutation
 * offers both ways for a frontend that re-reads what it just changed:
 *
 * - its payload's `document` is the document as the `document` query shows it — read from the
 *   ledger's own stream, so it always includes the write — and `inboxItem` is the caller's copy as
 *   `inbox` shows it, answered once the inbox read model has applied the command's events;
 * - `waitForReadModels: true` makes the mutation answer only once every read model has applied
 *   its events, so any query sent afterwards sees them.
 *
 * Both waits are bounded (GONGWEN_READ_MODEL_WAIT_MS) and end in READ_MODELS_TIMEOUT, which says
 * the command itself was recorded (a retry with the same commandId returns it and waits again).
 */

/** What a mutation's resolver keeps on its payload for the fields below (not part of the schema). */
export interface WriteReceipt {
  commandId: string;
  documentId: string | null;
  /** The feed position of the command's last event (null: it appended nothing). */
  lastPosition: FeedPosition | null;
  /** The command's events: a wait drops the read cache's answers they change. */
  recorded: readonly RecordedEvent[];
  principal: Extract<Principal, { kind: 'user' }>;
}

export const lastPositionOf = (events: readonly RecordedEvent[]): FeedPosition | null =>
  events.reduce<FeedPosition | null>((latest, e) => (compareFeedPositions(e.position, latest) > 0 ? e.position : latest), null);

const POLL_MS = 20;

/**
 * Waits until the named read models (all of the ledger's by default) have checkpoints at or past
 * `position`; READ_MODELS_TIMEOUT after `timeoutMs`. Reads the checkpoints from the database, so it
 * holds whichever process runs the projections.
 */
export async function awaitReadModels(ledger: Ledger, receipt: Pick<WriteReceipt, 'commandId' | 'lastPosition' | 'recorded'>, opts: { names?: readonly string[]; timeoutMs: number }): Promise<void> {
  const target = receipt.lastPosition;
  if (target === null) return;
  const names = opts.names ?? ledger.projections.projections.map((p) => p.name);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const { rows } = await ledger.db.pool.query<{ name: string; position: string | null }>('SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)', [names]);
    const behind = names.filter((name) => {
      const row = rows.find((r) => r.name === name);
      return !row || compareFeedPositions(row.position, target) < 0;
    });
    if (behind.length === 0) {
      // Answers kept from before the commit go now, not when this server's runner reports it.
      readModelsCaughtUp(ledger, names, receipt.recorded);
      return;
    }
    if (Date.now() >= deadline) {
      throw apiError(
        'READ_MODELS_TIMEOUT',
        `操作已记录，但查询数据在 ${opts.timeoutMs} 毫秒内未更新完毕（${behind.join('、')}），请稍后刷新；用同一 commandId 重试不会重复执行 (the command was recorded; the read models did not catch up in time)`,
        { commandId: receipt.commandId, recorded: true, behind, waitedMs: opts.timeoutMs },
      );
    }
    await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

/** The payload fields that read back a mutation's own write. */
export function readYourWritesResolvers(ledger: Ledger, log: FastifyBaseLogger) {
  const timeoutMs = ledger.config.GONGWEN_READ_MODEL_WAIT_MS;
  return {
    CommandResult: {
      document: (r: WriteReceipt) =>
        guarded(log, async () => {
          if (!r.documentId) return null;
          const doc = await readableDocument(ledger.store, r.principal, r.documentId);
          return doc ? documentView(doc) : null;
        }),
      inboxItem: (r: WriteReceipt) =>
        guarded(log, async () => {
          if (!r.documentId) return null;
          await awaitReadModels(ledger, r, { names: ['inbox'], timeoutMs });
          return inbox.inboxItem(ledger.db.pool, r.documentId, r.principal.unitId);
        }),
    },
  };
}
