import type { SealCommand } from '../../../schemas/commands/seal.ts';
import type { SealEvent } from '../../../schemas/events/seal.ts';
import type { Decider } from '../decider.ts';
import { decideSeal, type SealContext } from './decide.ts';
import { evolveSeal } from './evolve.ts';
import { initialSealState, type SealState } from './state.ts';

export const sealDecider: Decider<SealState, SealCommand, SealEvent, SealContext> = {
  initialState: initialSealState,
  evolve: evolveSeal,
  decide: decideSeal,
};

export { decideSeal, evolveSeal, initialSealState };
export type { SealContext } from './decide.ts';
export { sealSummary, type Seal, type SealState, type SealStatus, type SealSummary } from './state.ts';
export { sealUsability, type SealUnusableCause, type SealUsability } from './usability.ts';
export type { SealCommand, SealEvent };
