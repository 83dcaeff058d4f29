import type { NumberingEvent } from '../../../schemas/events/numbering.ts';
import type { NumberingState } from './state.ts';

export function evolveNumbering(state: NumberingState, event: NumberingEvent): NumberingState {
  const { documentId, unitId, prefix, year, number, docNumber } = event.data;
  const key = state.key ?? { unitId, prefix, year };
  // Copy-on-write keeps earlier states intact; a stream holds one unit's numbers of one year.
  const numbers = new Map(state.numbers);
  switch (event.type) {
    case 'DocumentNumberReserved': {
      const { signedOffAt } = event.data;
      numbers.set(documentId, { documentId, prefix, year, number, docNumber, ...(signedOffAt !== undefined && { signedOffAt }) });
      return { key, lastNumber: Math.max(state.lastNumber, number), numbers, free: state.free.filter((n) => n !== number) };
    }
    case 'DocumentNumberReleased':
      if (numbers.get(documentId)?.number === number) numbers.delete(documentId);
      return { key, lastNumber: state.lastNumber, numbers, free: [...state.free, number].sort((a, b) => a - b) };
  }
}
