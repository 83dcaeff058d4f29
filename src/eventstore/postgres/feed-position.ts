import type { FeedPosition } from '../port.ts';

/**
 * The PostgreSQL adapter's feed order is (transaction_id, global_position): a transaction's xid8
 * orders it among the others, the sequence orders its own rows. Both numbers travel as decimal text
 * (xid8 exceeds 2^53 on long-lived clusters). The `pg:` prefix makes a position from another
 * adapter fail loudly instead of silently meaning something else.
 */
export interface PgFeedPoint {
  transactionId: string;
  globalPosition: string;
}

const PATTERN = /^pg:(\d{1,20}):(\d{1,19})$/;

export const FEED_START: PgFeedPoint = { transactionId: '0', globalPosition: '0' };

export function encodeFeedPosition(transactionId: string, globalPosition: number | string): FeedPosition {
  return `pg:${transactionId}:${globalPosition}`;
}

export function decodeFeedPosition(position: FeedPosition | null): PgFeedPoint {
  if (position === null) return FEED_START;
  const m = PATTERN.exec(position);
  if (!m) throw new TypeError(`not a PostgreSQL event store feed position: ${JSON.stringify(position)}`);
  return { transactionId: m[1]!, globalPosition: m[2]! };
}
