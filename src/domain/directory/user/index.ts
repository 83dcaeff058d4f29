import type { UserCommand } from '../../../../schemas/commands/directory.ts';
import type { UserEvent } from '../../../../schemas/events/directory.ts';
import type { Decider } from '../../decider.ts';
import { decideUser, type UserContext } from './decide.ts';
import { evolveUser } from './evolve.ts';
import { initialUserState, type UserState } from './state.ts';

export const userDecider: Decider<UserState, UserCommand, UserEvent, UserContext> = {
  initialState: initialUserState,
  evolve: evolveUser,
  decide: decideUser,
};

export { decideUser, evolveUser, initialUserState };
export type { UserContext } from './decide.ts';
export { activeRoles, credentialInForce, usableCredential, type Credential, type User, type UserState } from './state.ts';
export { roleNames, rolesReservedToSuperAdmin } from './authority.ts';
export type { UserCommand, UserEvent };
