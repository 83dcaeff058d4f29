import type { NumberingCommand } from '../../../schemas/commands/numbering.ts';
import type { NumberingEvent } from '../../../schemas/events/numbering.ts';
import type { DecisionContext } from '../decider.ts';
import { formatDocNumber } from '../document/doc-number.ts';
import { refuse } from '../refusal.ts';
import { staleReservation, type HolderView, type NumberingState, type Reservation, type ReleaseReason } from './state.ts';

export interface NumberingContext extends DecisionContext {
  /** The document as it stands: a release needs it (a reservation goes back only once unusable). */
  holder?: HolderView;
}

type Released = Extract<NumberingEvent, { type: 'DocumentNumberReleased' }>;

/**
 * Next number = the lowest released one, else last + 1, from 1. Uniqueness and the absence of
 * gaps come from the stream: the handler appends at the revision it read, so two concurrent
 * reservations cannot both take the same number, and the loser decides again on fresh state.
 * A document signed off again after its reservation gives the old one back in the same append.
 */
export function decideNumbering(command: NumberingCommand, state: NumberingState, context: NumberingContext): NumberingEvent[] {
  const { documentId, unitId, prefix, year } = command.data;
  if (context.actor.role !== 'SYSTEM' && context.actor.unitId !== unitId) {
    refuse('NOT_AUTHORISED', `只能使用本单位的发文字号（${prefix}〔${year}〕属于单位 ${unitId}）(numbering of another unit)`, {
      unitId,
      actorUnitId: context.actor.unitId,
    });
  }
  if (state.key && (state.key.unitId !== unitId || state.key.prefix !== prefix || state.key.year !== year)) {
    refuse('INVALID_STATE', `编号流属于 ${state.key.unitId} 的 ${state.key.prefix}〔${state.key.year}〕，与申请的 ${unitId} 的 ${prefix}〔${year}〕不符 (wrong numbering stream)`, {
      stream: state.key,
      requested: { unitId, prefix, year },
    });
  }
  const held = state.numbers.get(documentId);
  if (command.type === 'ReleaseDocumentNumber') {
    if (!held) return [];
    if (!context.holder) throw new Error('ReleaseDocumentNumber needs the document (context.holder)');
    const reason = staleReservation(held, context.holder);
    return reason ? [released(held, unitId, reason)] : [];
  }

  const { signedOffAt } = command.data;
  // Held under this sign-off (or a later one: this request read the document before it) — keep it.
  // Sign-off times are ISO UTC strings, so they compare as text.
  if (held && (held.signedOffAt === undefined || held.signedOffAt >= signedOffAt)) return [];
  const before = held ? [released(held, unitId, 'SIGN_OFF_VOIDED')] : [];
  const free = held ? [...state.free, held.number].sort((a, b) => a - b) : state.free;
  const number = free[0] ?? state.lastNumber + 1;
  return [...before, { type: 'DocumentNumberReserved', data: { documentId, unitId, prefix, year, number, docNumber: formatDocNumber(prefix, year, number), signedOffAt } }];
}

function released(r: Reservation, unitId: string, reason: ReleaseReason): Released {
  return { type: 'DocumentNumberReleased', data: { documentId: r.documentId, unitId, prefix: r.prefix, year: r.year, number: r.number, docNumber: r.docNumber, reason } };
}
