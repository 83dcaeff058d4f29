import type { UnitKind } from '../../../../schemas/events/directory.ts';
import type { UnitStatus } from '../unit-status.ts';

export interface Unit {
  status: UnitStatus;
  unitId: string;
  name: string;
  shortName?: string;
  kind: UnitKind;
  parentUnitId?: string;
  fondsCode?: string;
  organisationCode?: string;
  docNumberPrefixes: readonly string[];
  /** Names the unit carried before, oldest first: documents issued then still bear them. */
  previousNames: readonly string[];
  deactivationReason?: string;
}

export type UnitState = { status: 'none' } | Unit;

export const initialUnitState = (): UnitState => ({ status: 'none' });

/** What `unitStatus` lookups in other deciders' contexts return for this stream. */
export const unitStatusOf = (state: UnitState): UnitStatus | undefined => (state.status === 'none' ? undefined : state.status);
