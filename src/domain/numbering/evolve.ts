import type { NumberingEvent } from '../../../schemas/events/numbering.ts';
import type { NumberingState } from './state.ts';

export function evolveNumbering(state: NumberingState, event: NumberingEvent): NumberingState {
  const { documentId, unitId, prefix, year, number, docNumber } = event.data;
  // Copy-on-write keeps earlier states intact; a stream holds one unit's numbers of one year.
  const numbers = new Map(state.numbers).set(documentId, { prefix, year, number, docNumber });
  return { key: state.key ?? { unitId, prefix, year }, lastNumber: Math.max(state.lastNumber, number), numbers };
}
