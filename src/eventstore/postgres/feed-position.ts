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

/**
 * Feed order of two positions (negative: a comes first); null is the start of the feed. Runners
 * that share one read of the feed between read models standing at different positions use it to
 * hand each one exactly the events after its own checkpoint.
 */
export function compareFeedPositions(a: FeedPosition | null, b: FeedPosition | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const x = decodeFeedPosition(a);
  const y = decodeFeedPosition(b);
  return compareDecimal(x.transactionId, y.transactionId) || compareDecimal(x.globalPosition, y.globalPosition);
}

/** Non-negative decimals compare by length first, then as text (once leading zeros are gone). */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length && (a.startsWith('0') || b.startsWith('0'))) {
    a = a.replace(/^0+(?=\d)/, '');
    b = b.replace(/^0+(?=\d)/, '');
  }
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
