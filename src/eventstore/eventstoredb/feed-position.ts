import type { FeedPosition } from '../port.ts';

/**
 * EventStoreDB orders $all by (commit, prepare) positions: unsigned 64-bit byte offsets in its
 * transaction log. They travel as decimal text and bigint, never as a JavaScript number (exact only
 * up to 2^53). The `esdb:` prefix makes a position from another adapter fail loudly.
 */
export interface EsdbPosition {
  commit: bigint;
  prepare: bigint;
}

const PATTERN = /^esdb:(\d{1,20})\/(\d{1,20})$/;
const MAX = 2n ** 64n - 1n;

export function encodeEsdbPosition(p: EsdbPosition): FeedPosition {
  return `esdb:${p.commit}/${p.prepare}`;
}

export function decodeEsdbPosition(position: FeedPosition): EsdbPosition {
  const m = PATTERN.exec(position);
  if (!m) throw new TypeError(`not an EventStoreDB feed position: ${JSON.stringify(position)}`);
  const p = { commit: BigInt(m[1]!), prepare: BigInt(m[2]!) };
  if (p.commit > MAX || p.prepare > MAX) throw new TypeError(`EventStoreDB feed position out of range: ${position}`);
  return p;
}

export const samePosition = (a: EsdbPosition, b: EsdbPosition): boolean => a.commit === b.commit && a.prepare === b.prepare;
