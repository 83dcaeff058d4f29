import type { ReservedNumber } from '../document/state.ts';

/** A number a document holds in this stream, with the sign-off it was reserved under. */
export interface Reservation extends ReservedNumber {
  documentId: string;
  signedOffAt?: string;
}

/**
 * One numbering stream: the key it was opened with, the last number ever taken, which document
 * holds which number (so a reservation repeated for the same document and sign-off returns its
 * number, not a new one), and the numbers released and not taken again, lowest first.
 */
export interface NumberingState {
  key?: { unitId: string; prefix: string; year: number };
  lastNumber: number;
  numbers: ReadonlyMap<string, Reservation>;
  free: readonly number[];
}

export const initialNumberingState = (): NumberingState => ({ lastNumber: 0, numbers: new Map(), free: [] });

/** The number this document holds in this stream, if any (usable or not: see staleReservation). */
export const reservedNumberFor = (state: NumberingState, documentId: string): Reservation | undefined => state.numbers.get(documentId);

/** What the numbering decisions need to know of the document a reservation is for. */
export interface HolderView {
  prefix: string;
  /** The current sign-off, while the document awaits its seal (status signedOff). */
  signedOffAt?: string;
  /** The number the document was sealed with. */
  number?: ReservedNumber;
}

export type ReleaseReason = 'SIGN_OFF_VOIDED' | 'PREFIX_CHANGED';

/**
 * Why a reservation can no longer be used by its document, or undefined when it can (or was).
 * Staleness never reverts: a sign-off voided by a revision never comes back (a new sign-off has
 * its own time), so releasing a stale number can never take it from a sealing in flight.
 */
export function staleReservation(r: Reservation, doc: HolderView): ReleaseReason | undefined {
  if (doc.number) {
    if (doc.number.prefix === r.prefix && doc.number.year === r.year && doc.number.number === r.number) return undefined;
  } else if (doc.signedOffAt !== undefined && doc.prefix === r.prefix && (r.signedOffAt === undefined || r.signedOffAt === doc.signedOffAt)) {
    return undefined;
  }
  return doc.prefix === r.prefix ? 'SIGN_OFF_VOIDED' : 'PREFIX_CHANGED';
}
