import type { SealEvent } from '../../../schemas/events/seal.ts';
import { sealRecordDigest } from '../../seal/seal-record-digest.ts';
import type { SealState } from './state.ts';

export function evolveSeal(state: SealState, event: SealEvent): SealState {
  switch (event.type) {
    case 'SealIssued': {
      const { sealId, unitId, name, sealType, publicKey, keyCustody, validFrom, validTo, keeperUserIds, replacesSealId, issuedBy, sealRecord } = event.data;
      return {
        status: 'active',
        sealId,
        unitId,
        name,
        sealType,
        publicKey,
        keyCustody,
        sealRecordDigest: sealRecordDigest(sealRecord),
        validFrom,
        validTo,
        keeperUserIds,
        ...(replacesSealId !== undefined && { replacesSealId }),
        issuedBy,
      };
    }
    // Events that cannot apply to an unissued seal leave the state alone: the store validated them,
    // and `verify` (not evolve) is the place that reports a broken stream.
    case 'SealPassphraseChanged':
      return state;
    case 'SealReplaced':
      return state.status === 'none' ? state : { ...state, status: 'replaced', replacedBy: event.data.replacedBy, statusReason: event.data.reason };
    case 'SealRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked', statusReason: event.data.reason };
    case 'SealDestroyed':
      return state.status === 'none' ? state : { ...state, status: 'destroyed', statusReason: event.data.reason };
  }
}
