import { z } from 'zod';
import { DocNumberPrefix, Id, Role, Text, Timestamp } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';

/**
 * Events of the directory: streams `unit-<unitId>` and `user-<userId>`. User events repeat the user's
 * `unitId` so that the per-unit audit timeline can file them without joining the user's stream.
 */

export const UnitKinds = ['city-office', 'city-department', 'district', 'district-department', 'town', 'other'] as const;
export const UnitKind = z.enum(UnitKinds, {
  error: '单位类别须为 city-office(市委/市政府办公室)、city-department(市直部门)、district(区县)、district-department(区县部门)、town(乡镇) 或 other',
});
export type UnitKind = z.infer<typeof UnitKind>;

/** 全宗号: the archives bureau assigns it; four digits in this city (e.g. 0001). */
export const FondsCode = z.string().regex(/^[0-9A-Za-z]{1,16}$/, '全宗号须为 1 至 16 位数字或字母');
/** 机构代码 as used in the 档号 (e.g. BGS for 办公室). */
export const OrganisationCode = z.string().regex(/^[0-9A-Za-z]{1,16}$/, '机构代码须为 1 至 16 位数字或字母');

export const UnitName = Text(100);
export const UnitShortName = Text(30);
export const PersonName = Text(50);
export const DirectoryReason = Text(500);

/** Hex digest of a bearer token (never the token itself): SM3 or SHA-256, both 32 bytes. */
export const TokenHash = z.string().regex(/^[0-9a-f]{64}$/, '令牌摘要须为 64 位小写十六进制（SM3 或 SHA-256）');
export const TokenHashAlgorithms = ['sm3', 'sha256'] as const;
export const TokenHashAlgorithm = z.enum(TokenHashAlgorithms, { error: '令牌摘要算法须为 sm3 或 sha256' });

export const UnitRegistered = defineEvent(
  'UnitRegistered',
  1,
  z.object({
    unitId: Id,
    name: UnitName,
    shortName: UnitShortName.optional(),
    kind: UnitKind,
    parentUnitId: Id.optional(),
    fondsCode: FondsCode.optional(),
    organisationCode: OrganisationCode.optional(),
    docNumberPrefixes: z.array(DocNumberPrefix).min(1),
  }),
);

/** Keeps the previous names: documents issued before the rename still carry the old 发文机关 name. */
export const UnitRenamed = defineEvent(
  'UnitRenamed',
  1,
  z.object({
    unitId: Id,
    name: UnitName,
    shortName: UnitShortName.optional(),
    previousName: UnitName,
    previousShortName: UnitShortName.optional(),
  }),
);

/**
 * Design addition (not in the original stream table): a unit that is merged or dissolved stops
 * being a valid recipient, parent, seal holder or home of new users. Recipients must be active units.
 */
export const UnitDeactivated = defineEvent('UnitDeactivated', 1, z.object({ unitId: Id, reason: DirectoryReason }));

/** Design addition: a unit may gain a 机关代字 (e.g. a new 阜政办函 series) after registration. */
export const DocNumberPrefixAdded = defineEvent('DocNumberPrefixAdded', 1, z.object({ unitId: Id, prefix: DocNumberPrefix }));

export const UserRegistered = defineEvent(
  'UserRegistered',
  1,
  z.object({ userId: Id, unitId: Id, name: PersonName, roles: z.array(Role) }),
);

export const RoleGranted = defineEvent('RoleGranted', 1, z.object({ userId: Id, unitId: Id, role: Role }));

export const RoleRevoked = defineEvent('RoleRevoked', 1, z.object({ userId: Id, unitId: Id, role: Role }));

export const UserDeactivated = defineEvent('UserDeactivated', 1, z.object({ userId: Id, unitId: Id, reason: DirectoryReason }));

export const CredentialIssued = defineEvent(
  'CredentialIssued',
  1,
  z.object({
    userId: Id,
    unitId: Id,
    credentialId: Id,
    tokenHash: TokenHash,
    tokenHashAlgorithm: TokenHashAlgorithm,
    label: Text(100).optional(),
    expiresAt: Timestamp.optional(),
    /** Self-issued: the user's credential that issued it; usable only while that one is. */
    issuedWith: Id.optional(),
  }),
);

export const CredentialRevoked = defineEvent(
  'CredentialRevoked',
  1,
  z.object({ userId: Id, unitId: Id, credentialId: Id, reason: DirectoryReason.optional() }),
);

export const unitEvents = [UnitRegistered, UnitRenamed, UnitDeactivated, DocNumberPrefixAdded] as const;
export const userEvents = [UserRegistered, RoleGranted, RoleRevoked, UserDeactivated, CredentialIssued, CredentialRevoked] as const;
export const directoryEvents = [...unitEvents, ...userEvents] as const;

export type UnitEvent = EventOf<(typeof unitEvents)[number]>;
export type UserEvent = EventOf<(typeof userEvents)[number]>;
export type DirectoryEvent = UnitEvent | UserEvent;
