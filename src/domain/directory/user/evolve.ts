import type { UserEvent } from '../../../../schemas/events/directory.ts';
import { inRoleOrder, type Credential, type UserState } from './state.ts';

export function evolveUser(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const { userId, unitId, name, roles } = event.data;
    return { exists: true, active: true, userId, unitId, name, roles: inRoleOrder(roles), credentials: new Map() };
  }
  // Events that cannot apply to an unregistered user leave the state alone; `verify` reports broken streams.
  if (!state.exists) return state;
  switch (event.type) {
    case 'RoleGranted':
      return { ...state, roles: inRoleOrder([...state.roles, event.data.role]) };
    case 'RoleRevoked':
      return { ...state, roles: state.roles.filter((r) => r !== event.data.role) };
    case 'UserDeactivated':
      return { ...state, active: false, deactivationReason: event.data.reason };
    case 'CredentialIssued': {
      const { credentialId, tokenHash, tokenHashAlgorithm, label, expiresAt, issuedWith } = event.data;
      const credential: Credential = {
        credentialId,
        tokenHash,
        tokenHashAlgorithm,
        ...(label !== undefined && { label }),
        ...(expiresAt !== undefined && { expiresAt }),
        ...(issuedWith !== undefined && { issuedWith }),
        revoked: false,
      };
      return { ...state, credentials: new Map(state.credentials).set(credentialId, credential) };
    }
    case 'CredentialRevoked': {
      const credential = state.credentials.get(event.data.credentialId);
      if (!credential) return state;
      return { ...state, credentials: new Map(state.credentials).set(credential.credentialId, { ...credential, revoked: true }) };
    }
  }
}
