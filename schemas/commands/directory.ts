import { z } from 'zod';
import { CommandId, DocNumberPrefix, Id, Role, Text, Timestamp } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import {
  DirectoryReason,
  FondsCode,
  OrganisationCode,
  PersonName,
  TokenHash,
  TokenHashAlgorithm,
  UnitKind,
  UnitName,
  UnitShortName,
} from '../events/directory.ts';

const distinct = (values: readonly string[]) => new Set(values).size === values.length;

export const RegisterUnit = defineCommand(
  'RegisterUnit',
  z.object({
    commandId: CommandId,
    unitId: Id,
    name: UnitName,
    shortName: UnitShortName.optional(),
    kind: UnitKind,
    parentUnitId: Id.optional(),
    fondsCode: FondsCode.optional(),
    organisationCode: OrganisationCode.optional(),
    docNumberPrefixes: z.array(DocNumberPrefix).min(1, '至少须登记一个机关代字').refine(distinct, '机关代字不能重复'),
  }),
);

/** `shortName` left out keeps the current short name. */
export const RenameUnit = defineCommand(
  'RenameUnit',
  z.object({ commandId: CommandId, unitId: Id, name: UnitName, shortName: UnitShortName.optional() }),
);

export const DeactivateUnit = defineCommand('DeactivateUnit', z.object({ commandId: CommandId, unitId: Id, reason: DirectoryReason }));

export const AddDocNumberPrefix = defineCommand('AddDocNumberPrefix', z.object({ commandId: CommandId, unitId: Id, prefix: DocNumberPrefix }));

export const unitCommands = [RegisterUnit, RenameUnit, DeactivateUnit, AddDocNumberPrefix] as const;
export type UnitCommand = CommandOf<(typeof unitCommands)[number]>;

export const RegisterUser = defineCommand(
  'RegisterUser',
  z.object({
    commandId: CommandId,
    userId: Id,
    unitId: Id,
    name: PersonName,
    roles: z.array(Role).refine(distinct, '角色不能重复').optional(),
  }),
);

export const GrantRole = defineCommand('GrantRole', z.object({ commandId: CommandId, userId: Id, role: Role }));

export const RevokeRole = defineCommand('RevokeRole', z.object({ commandId: CommandId, userId: Id, role: Role }));

export const DeactivateUser = defineCommand('DeactivateUser', z.object({ commandId: CommandId, userId: Id, reason: DirectoryReason }));

export const IssueCredential = defineCommand(
  'IssueCredential',
  z.object({
    commandId: CommandId,
    userId: Id,
    credentialId: Id,
    /** Digest of the bearer token; the token itself never reaches the ledger. */
    tokenHash: TokenHash,
    /** Defaults to sm3. */
    tokenHashAlgorithm: TokenHashAlgorithm.optional(),
    label: Text(100).optional(),
    expiresAt: Timestamp.optional(),
    /**
     * The credential the request was authenticated with, filled by the API (never sent by the
     * client). A credential a user issues themself lives no longer than it, and dies with it.
     */
    issuedWith: Id.optional(),
  }),
);

export const RevokeCredential = defineCommand(
  'RevokeCredential',
  z.object({ commandId: CommandId, userId: Id, credentialId: Id, reason: DirectoryReason.optional() }),
);

export const userCommands = [RegisterUser, GrantRole, RevokeRole, DeactivateUser, IssueCredential, RevokeCredential] as const;
export type UserCommand = CommandOf<(typeof userCommands)[number]>;

export const directoryCommands = [...unitCommands, ...userCommands] as const;
export type DirectoryCommand = UnitCommand | UserCommand;
