import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { hashProven } from '../../src/eventstore/hash-proof.ts';
import { eventHash, GENESIS_HASH } from '../../src/integrity/event-hash.ts';

/**
 * - verified: the event's hash is the hash of its own fields chained from its prevHash, and that
 *   prevHash is the hash of the stream's previous event (the genesis hash for revision 0);
 * - hash_mismatch: the stored hash is not the hash of the stored fields — the row was edited, or
 *   inserted by someone who did not compute the chain. Reported first: the row itself is suspect;
 * - chain_broken: the row hashes correctly but does not follow the previous event of its stream
 *   (a missing revision, an event deleted, or a row forged with a recomputed hash on a wrong link).
 */
export type HashStatus = 'verified' | 'hash_mismatch' | 'chain_broken';

/** The last entry of a stream seen so far. */
export interface StreamTip {
  revision: number;
  hash: string;
}

// The hash check of an event object, kept for as long as the object lives: the runner has it
// computed as soon as the event is read (precompute), while the previous batch is being written.
const hashChecked = new WeakMap<RecordedEvent, boolean>();

/**
 * Whether the event's stored hash is the hash of its own fields chained from its prevHash. The
 * runner's feed read proves it once for every event it reads (hash-proof.ts), so during a rebuild
 * this is a look-up; an event the read did not prove (another store, a row that failed its hash
 * or MAC there) is hashed here from its parsed fields, as it always was.
 */
export function hashMatches(e: RecordedEvent): boolean {
  if (hashProven(e)) return true;
  let ok = hashChecked.get(e);
  if (ok === undefined) {
    ok = recomputeHash(e) === e.hash;
    hashChecked.set(e, ok);
  }
  return ok;
}

function recomputeHash(e: RecordedEvent): string {
  return eventHash(e.prevHash, {
    eventId: e.eventId,
    type: e.type,
    schemaVersion: e.schemaVersion,
    streamId: e.streamId,
    revision: e.revision,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    commandId: e.commandId,
    correlationId: e.correlationId,
    causationId: e.causationId,
    data: e.data,
  });
}

export function hashStatus(e: RecordedEvent, previous: StreamTip | undefined): HashStatus {
  if (!hashMatches(e)) return 'hash_mismatch';
  const linked = previous
    ? e.revision === previous.revision + 1 && e.prevHash === previous.hash
    : e.revision === 0 && e.prevHash === GENESIS_HASH;
  return linked ? 'verified' : 'chain_broken';
}
