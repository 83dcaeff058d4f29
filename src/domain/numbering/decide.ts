import type { NumberingCommand } from '../../../schemas/commands/numbering.ts';
import type { NumberingEvent } from '../../../schemas/events/numbering.ts';
import type { DecisionContext } from '../decider.ts';
import { formatDocNumber } from '../document/doc-number.ts';
import { refuse } from '../refusal.ts';
import type { NumberingState } from './state.ts';

export type NumberingContext = DecisionContext;

/**
 * Next number = last + 1, from 1. Uniqueness and the absence of gaps come from the stream: the
 * handler appends at the revision it read, so two concurrent reservations cannot both take the
 * same number, and the loser decides again on fresh state.
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
  if (state.numbers.has(documentId)) return [];
  const number = state.lastNumber + 1;
  return [{ type: 'DocumentNumberReserved', data: { documentId, unitId, prefix, year, number, docNumber: formatDocNumber(prefix, year, number) } }];
}
