import type { UnitCommand } from '../../../../schemas/commands/directory.ts';
import type { UnitEvent } from '../../../../schemas/events/directory.ts';
import type { Decider } from '../../decider.ts';
import { decideUnit, type UnitContext } from './decide.ts';
import { evolveUnit } from './evolve.ts';
import { initialUnitState, type UnitState } from './state.ts';

export const unitDecider: Decider<UnitState, UnitCommand, UnitEvent, UnitContext> = {
  initialState: initialUnitState,
  evolve: evolveUnit,
  decide: decideUnit,
};

export { decideUnit, evolveUnit, initialUnitState };
export type { UnitContext } from './decide.ts';
export { unitStatusOf, type Unit, type UnitState } from './state.ts';
export { requireActiveUnit, type UnitStatus, type UnitStatusLookup } from '../unit-status.ts';
export type { UnitCommand, UnitEvent };
