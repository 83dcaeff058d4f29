import { canonicalEventText, withCanonicalWriter, writeCanonicalEvent, type CanonicalEventFields } from './canonical-json.ts';
import { hmacSm3HexOfHex, sm3HexOfBytes } from './sm3.ts';

/**
 * The per-stream hash chain: hash = SM3(prevHash ‖ JCS(event)), where JCS is RFC 8785 canonical
 * JSON computed here in the application (never PostgreSQL's jsonb text, whose key order and number
 * formatting are not ours to rely on). The first event of a stream chains from GENESIS_HASH.
 */
export const HASH_ALGORITHM = 'SM3';
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an event the chain covers: everything but the store's positions and the hashes. */
export interface HashedEventFields {
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  revision: number;
  occurredAt: string;
  recordedAt: string;
  actor: { userId: string; unitId: string; role: string };
  commandId: string;
  correlationId: string;
  causationId: string | null;
  data: unknown;
}

/** RFC 8785 text of the hashed fields (one writer for the store, the verifier and the tests). */
export const canonicalEvent = (e: HashedEventFields): string => canonicalEventText(e);

/** The bytes of the previous hash and the event's RFC 8785 UTF-8 are written into one kept buffer and hashed in one call. */
export function eventHash(prevHash: string, e: CanonicalEventFields): string {
  return withCanonicalWriter((w) => {
    w.hex(prevHash);
    writeCanonicalEvent(w, e);
  }, sm3HexOfBytes);
}

/**
 * A keyed seal over each event's hash (HMAC-SM3 with a key derived from the ledger key). The chain
 * alone is public and anyone with database access can recompute it for a forged row; the MAC
 * cannot be forged without the ledger key, so rows inserted behind the ledger's back are caught
 * even before the next signed Merkle checkpoint covers them.
 */
export function eventMac(macKey: Buffer, hash: string): string {
  return hmacSm3HexOfHex(macKey, hash);
}
