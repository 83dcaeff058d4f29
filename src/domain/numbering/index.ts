import type { NumberingCommand } from '../../../schemas/commands/numbering.ts';
import type { NumberingEvent } from '../../../schemas/events/numbering.ts';
import type { Decider } from '../decider.ts';
import { decideNumbering, type NumberingContext } from './decide.ts';
import { evolveNumbering } from './evolve.ts';
import { initialNumberingState, type NumberingState } from './state.ts';

/** The NUMBERING aggregate, stream `numbering-<unitId>.<prefix>.<year>`. */
export const numberingDecider: Decider<NumberingState, NumberingCommand, NumberingEvent, NumberingContext> = {
  initialState: initialNumberingState,
  evolve: evolveNumbering,
  decide: decideNumbering,
};

export type { NumberingCommand } from '../../../schemas/commands/numbering.ts';
export type { NumberingEvent } from '../../../schemas/events/numbering.ts';
export { decideNumbering, type NumberingContext } from './decide.ts';
export { evolveNumbering } from './evolve.ts';
export { initialNumberingState, reservedNumberFor, staleReservation, type HolderView, type NumberingState, type ReleaseReason, type Reservation } from './state.ts';
export { yearOf } from './year.ts';
