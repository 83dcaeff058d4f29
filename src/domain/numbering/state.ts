import type { ReservedNumber } from '../document/state.ts';

/**
 * One numbering stream: the key it was opened with, the last number taken, and which document holds
 * which number (so a reservation repeated for the same document returns its number, not a new one).
 */
export interface NumberingState {
  key?: { unitId: string; prefix: string; year: number };
  lastNumber: number;
  numbers: ReadonlyMap<string, ReservedNumber>;
}

export const initialNumberingState = (): NumberingState => ({ lastNumber: 0, numbers: new Map() });

/**
 * The number this document already holds in this stream, if any. The SealDocument handler uses it
 * when a crash came between reserving and sealing: the retry reuses the number, leaving no gap.
 */
export const reservedNumberFor = (state: NumberingState, documentId: string): ReservedNumber | undefined => state.numbers.get(documentId);
