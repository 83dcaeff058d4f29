import type { UnitEvent } from '../../../../schemas/events/directory.ts';
import type { UnitState } from './state.ts';

export function evolveUnit(state: UnitState, event: UnitEvent): UnitState {
  switch (event.type) {
    case 'UnitRegistered': {
      const { unitId, name, shortName, kind, parentUnitId, fondsCode, organisationCode, docNumberPrefixes } = event.data;
      return {
        status: 'active',
        unitId,
        name,
        ...(shortName !== undefined && { shortName }),
        kind,
        ...(parentUnitId !== undefined && { parentUnitId }),
        ...(fondsCode !== undefined && { fondsCode }),
        ...(organisationCode !== undefined && { organisationCode }),
        docNumberPrefixes,
        previousNames: [],
      };
    }
    // Events that cannot apply to an unregistered unit leave the state alone; `verify` reports broken streams.
    case 'UnitRenamed': {
      if (state.status === 'none') return state;
      const { shortName: _old, ...rest } = state;
      const { name, shortName } = event.data;
      return { ...rest, name, ...(shortName !== undefined && { shortName }), previousNames: [...state.previousNames, state.name] };
    }
    case 'UnitDeactivated':
      return state.status === 'none' ? state : { ...state, status: 'inactive', deactivationReason: event.data.reason };
    case 'DocNumberPrefixAdded':
      return state.status === 'none' ? state : { ...state, docNumberPrefixes: [...state.docNumberPrefixes, event.data.prefix] };
  }
}
