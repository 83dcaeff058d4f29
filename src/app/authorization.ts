import type { Actor, Role } from '../../schemas/common.ts';
import { Refusal } from '../domain/refusal.ts';

/**
 * Who may issue which command, by role: the one place the role rules live. Unit rules (acting only
 * on one's own unit's documents, seals and users) need the aggregate's state and are enforced in
 * the deciders; this check runs first, before anything is loaded.
 */
export const commandRoles = {
  // 发文 (issuing side)
  DraftDocument: ['CLERK', 'STAFF', 'LEADER'],
  ReviseDraft: ['CLERK', 'STAFF', 'LEADER'],
  SignOffDocument: ['LEADER'],
  PrepareSealing: ['SEAL_KEEPER'],
  SealDocument: ['SEAL_KEEPER'],
  SendDocument: ['CLERK'],
  RecallDocument: ['CLERK', 'LEADER'],
  FileDocument: ['CLERK', 'ARCHIVIST'],
  // 收文 (receiving side)
  ReceiveDocument: ['CLERK'],
  ReturnDocument: ['CLERK'],
  RegisterIncoming: ['CLERK'],
  ReviewIncoming: ['CLERK', 'LEADER'],
  MarkDocumentRead: ['LEADER', 'STAFF', 'CLERK'],
  GiveInstruction: ['LEADER'],
  AssignHandling: ['LEADER', 'CLERK'],
  UrgeHandling: ['LEADER', 'CLERK'],
  CompleteHandling: ['STAFF', 'CLERK', 'LEADER'],
  SendReply: ['CLERK', 'LEADER'],
  FileIncoming: ['CLERK', 'ARCHIVIST'],
  // 印章 (the city office; a keeper changes the passphrase of the seal in their care)
  IssueSeal: ['SUPER_ADMIN'],
  ChangeSealPassphrase: ['SEAL_KEEPER'],
  ReplaceSeal: ['SUPER_ADMIN'],
  RevokeSeal: ['SUPER_ADMIN'],
  DestroySeal: ['SUPER_ADMIN'],
  // 档案 (the yearly dossier of the archivist's fonds; that it is theirs is the decider's rule)
  ArrangeDossierItem: ['ARCHIVIST'],
  CloseDossier: ['ARCHIVIST'],
  RequestDossierExport: ['ARCHIVIST'],
  // 目录 (directory)
  RegisterUnit: ['SUPER_ADMIN'],
  RenameUnit: ['SUPER_ADMIN'],
  DeactivateUnit: ['SUPER_ADMIN'],
  AddDocNumberPrefix: ['SUPER_ADMIN'],
  RegisterUser: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  GrantRole: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  RevokeRole: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  DeactivateUser: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  IssueCredential: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  RevokeCredential: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  SetUserMobile: ['SUPER_ADMIN', 'UNIT_ADMIN'],
  // 电子监察 (a leader for the own unit's deliveries; the unit rule is the supervision decider's)
  PauseSupervisionClock: ['LEADER', 'INSPECTOR'],
  ResumeSupervisionClock: ['LEADER', 'INSPECTOR'],
} as const satisfies Record<string, readonly Role[]>;

export type UserCommandType = keyof typeof commandRoles;

/** Commands a user may issue about themself whatever their role (their own login tokens). */
const selfService: ReadonlySet<string> = new Set(['IssueCredential', 'RevokeCredential']);

/** An authenticated caller: a user with the roles they currently hold, or the ledger itself. */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      unitId: string;
      roles: readonly Role[];
      active: boolean;
      /** The credential the request was authenticated with (a self-issued credential is bound to it). */
      credentialId?: string;
    }
  | { kind: 'system' };

export const SYSTEM_ACTOR: Actor = { userId: 'system', unitId: 'system', role: 'SYSTEM' };

/**
 * Returns the actor to record (the role under which the user acts), or refuses. `subjectUserId`
 * is the user a directory command is about, for self-service.
 */
export function authorize(principal: Principal, commandType: string, subjectUserId?: string): Actor {
  if (principal.kind === 'system') return SYSTEM_ACTOR;
  if (!principal.active) throw new Refusal('NOT_AUTHORISED', '该账号已停用，不能办理任何事项 (account deactivated)');
  const allowed: readonly Role[] | undefined = (commandRoles as Record<string, readonly Role[]>)[commandType];
  if (!allowed) throw new Refusal('NOT_AUTHORISED', `「${commandType}」只能由系统内部执行 (internal command)`);
  const role = allowed.find((r) => principal.roles.includes(r));
  if (role) return { userId: principal.userId, unitId: principal.unitId, role };
  if (selfService.has(commandType) && subjectUserId === principal.userId && principal.roles[0]) {
    return { userId: principal.userId, unitId: principal.unitId, role: principal.roles[0] };
  }
  throw new Refusal('NOT_AUTHORISED', `您没有办理「${commandType}」的权限，需要以下角色之一：${allowed.join('、')} (not authorised)`, {
    commandType,
    requiredRoles: allowed,
  });
}
