import type { FeedPosition } from './port.ts';
import { decodeEsdbPosition } from './eventstoredb/feed-position.ts';
import { compareFeedPositions as comparePg } from './postgres/feed-position.ts';

/**
 * Feed order of two positions of the same adapter (negative: a comes first; null is the start).
 * Positions are opaque to callers; runners that share one read of the feed between read models at
 * different positions need an order, and each adapter's prefix says whose order it is.
 */
export function compareFeedPositions(a: FeedPosition | null, b: FeedPosition | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (a.startsWith('esdb:') || b.startsWith('esdb:')) {
    const x = decodeEsdbPosition(a);
    const y = decodeEsdbPosition(b);
    return x.commit !== y.commit ? (x.commit < y.commit ? -1 : 1) : x.prepare < y.prepare ? -1 : x.prepare > y.prepare ? 1 : 0;
  }
  return comparePg(a, b);
}
