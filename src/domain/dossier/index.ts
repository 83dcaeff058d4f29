import type { DossierCommand } from '../../../schemas/commands/dossier.ts';
import type { DossierEvent } from '../../../schemas/events/dossier.ts';
import type { Decider } from '../decider.ts';
import { decideDossier, type DossierContext } from './decide.ts';
import { evolveDossier } from './evolve.ts';
import { initialDossierState, type DossierState } from './state.ts';

/** The DOSSIER aggregate, stream `dossier-<fonds>.<year>`. */
export const dossierDecider: Decider<DossierState, DossierCommand, DossierEvent, DossierContext> = {
  initialState: initialDossierState,
  evolve: evolveDossier,
  decide: decideDossier,
};

export { arrange, pagesOf, type FiledItem } from './arrangement.ts';
export { decideDossier, type DossierContext } from './decide.ts';
export { evolveDossier } from './evolve.ts';
export { groupKeyOf, initialDossierState, itemKeyOf, type DossierState } from './state.ts';
