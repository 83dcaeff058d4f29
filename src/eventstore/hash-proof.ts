import type { RecordedEvent } from './port.ts';

/**
 * Events whose stored hash a feed read recomputed and found right, and whose MAC is the ledger
 * key's (`readAll(…, { proveHashes: true })`): kept for as long as the event object lives, so the
 * audit model takes the answer from the read instead of hashing every event of a rebuild again.
 * An event not in the set was simply not proven by its read (another store, or a read that did not
 * ask, or a row that failed): whoever needs its hash checked computes it.
 */
const proven = new WeakSet<RecordedEvent>();

export const markHashProven = (e: RecordedEvent): void => {
  proven.add(e);
};

/** Whether the read proved this event's hash (and MAC); false says "not proven here", not "wrong". */
export const hashProven = (e: RecordedEvent): boolean => proven.has(e);
