import type { IssueSealInput, SealCommand } from '../../../schemas/commands/seal.ts';
import type { SealEvent } from '../../../schemas/events/seal.ts';
import { buildSealInfo, type SealInfo, type SealRecord } from '../../seal/seal-record.ts';
import type { DecisionContext } from '../decider.ts';
import { refuse } from '../refusal.ts';
import { requireActiveUnit, type UnitStatusLookup } from '../directory/unit-status.ts';
import type { Seal, SealState, SealSummary } from './state.ts';

export interface SealContext extends DecisionContext {
  /** Whether the actor is a SUPER_ADMIN of a city-office unit (市委办公室/市政府办公室), as the handler established. */
  actorIsCityOfficeSuperAdmin: boolean;
  unitStatus: UnitStatusLookup;
  /**
   * Needed only for IssueSeal with `replacesSealId`: the predecessor as the handler loaded it. The
   * handler may issue the successor before or after appending SealReplaced to the old stream.
   */
  sealSummaryOf?: (sealId: string) => SealSummary | undefined;
  /**
   * Needed only for IssueSeal: the issuer (制章者, the ledger's SM2 key) signs the seal record. A
   * signature is not a pure function of its input (SM2 draws a random k), so it is handed in.
   */
  signSealRecord?: (info: SealInfo) => SealRecord;
}

export function decideSeal(command: SealCommand, state: SealState, context: SealContext): SealEvent[] {
  // Changing the passphrase is the keeper's business; everything else is the city office's.
  if (command.type === 'ChangeSealPassphrase') return changePassphrase(command.data.sealId, state, context);
  if (!context.actorIsCityOfficeSuperAdmin) {
    refuse('NOT_AUTHORISED', '只有市委办公室/市政府办公室的超级管理员可以制发、更换、注销、销毁印章 (only the city office super administrator manages seals)');
  }
  switch (command.type) {
    case 'IssueSeal':
      return issue(command.data, state, context);
    case 'ReplaceSeal': {
      const seal = requireActive(state, command.data.sealId, '更换');
      return [{ type: 'SealReplaced', data: { sealId: seal.sealId, unitId: seal.unitId, replacedBy: command.data.newSealId, reason: command.data.reason } }];
    }
    case 'RevokeSeal': {
      const seal = requireActive(state, command.data.sealId, '注销');
      return [{ type: 'SealRevoked', data: { sealId: seal.sealId, unitId: seal.unitId, reason: command.data.reason } }];
    }
    case 'DestroySeal': {
      const seal = requireIssued(state, command.data.sealId);
      // Destruction closes the life of a seal in any earlier status, an active one included
      // (a lost or compromised seal); the reason is mandatory in the command.
      if (seal.status === 'destroyed') refuse('INVALID_STATE', `印章「${seal.name}」已销毁，不能再办理任何操作 (seal already destroyed)`, { sealId: seal.sealId });
      return [{ type: 'SealDestroyed', data: { sealId: seal.sealId, unitId: seal.unitId, reason: command.data.reason } }];
    }
  }
}

function issue(c: IssueSealInput, state: SealState, context: SealContext): SealEvent[] {
  if (state.status !== 'none') refuse('ALREADY_EXISTS', `印章标识「${c.sealId}」已被使用，不能重复制发 (seal already exists)`, { sealId: c.sealId });
  requireActiveUnit(context.unitStatus(c.unitId), c.unitId, '印章所属单位');
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  if (!(to > from)) refuse('VALIDATION_FAILED', `印章有效期截止时间 ${c.validTo} 须晚于起始时间 ${c.validFrom} (validTo must be after validFrom)`);
  if (!(to > Date.parse(context.now))) refuse('VALIDATION_FAILED', `印章有效期截止时间 ${c.validTo} 已过，不能制发已过期的印章 (validTo is in the past)`);
  if (c.replacesSealId !== undefined) checkPredecessor(c, c.replacesSealId, context);
  // The handler generates a server-held key before deciding; a client key comes with the command.
  if (c.publicKey === undefined) throw new Error('IssueSeal: the handler must supply the public key');
  if (!context.signSealRecord) throw new Error('IssueSeal: the handler must supply context.signSealRecord');
  const publicKey = c.publicKey.toLowerCase();
  const info = buildSealInfo({
    sealId: c.sealId,
    unitId: c.unitId,
    name: c.name,
    sealType: c.sealType,
    publicKey,
    validFrom: c.validFrom,
    validTo: c.validTo,
    createdAt: context.now,
    keyCustody: c.keyCustody,
  });
  return [
    {
      type: 'SealIssued',
      data: {
        sealId: c.sealId,
        unitId: c.unitId,
        name: c.name,
        sealType: c.sealType,
        publicKey,
        keyCustody: c.keyCustody,
        validFrom: c.validFrom,
        validTo: c.validTo,
        keeperUserIds: c.keeperUserIds ?? [],
        ...(c.replacesSealId !== undefined && { replacesSealId: c.replacesSealId }),
        issuedBy: context.actor.userId,
        sealRecord: context.signSealRecord(info),
      },
    },
  ];
}

/**
 * A keeper of the seal's own unit may change the passphrase of a server-held key while the seal
 * exists (a replaced or revoked seal still holds its key until it is destroyed). Whether the old
 * passphrase is right is the handler's to find out, by decrypting.
 */
function changePassphrase(sealId: string, state: SealState, context: SealContext): SealEvent[] {
  const seal = requireIssued(state, sealId);
  if (context.actor.role !== 'SEAL_KEEPER' || context.actor.unitId !== seal.unitId) {
    refuse('NOT_AUTHORISED', `只有印章「${seal.name}」所属单位的印章管理员可以修改印章密码 (only a seal keeper of the seal's unit)`, { sealId });
  }
  if (seal.status === 'destroyed') refuse('INVALID_STATE', `印章「${seal.name}」已销毁，密钥已清除 (seal destroyed)`, { sealId });
  if (seal.keyCustody !== 'server') {
    refuse('INVALID_STATE', `印章「${seal.name}」的密钥保存在 USB Key 中，请在 USB Key 管理工具中修改口令 (client-held key)`, { sealId });
  }
  return [{ type: 'SealPassphraseChanged', data: { sealId, unitId: seal.unitId, changedBy: context.actor.userId } }];
}

function checkPredecessor(c: IssueSealInput, old: string, context: SealContext): void {
  if (old === c.sealId) refuse('VALIDATION_FAILED', '新印章不能更换它自己 (a seal cannot replace itself)');
  const predecessor = context.sealSummaryOf?.(old);
  if (!predecessor) return refuse('NOT_FOUND', `要更换的原印章「${old}」不存在 (replaced seal not found)`, { sealId: old });
  const p = predecessor;
  if (p.unitId !== c.unitId) {
    refuse('VALIDATION_FAILED', `新印章须与原印章「${old}」属于同一单位「${p.unitId}」 (replacement must belong to the same unit)`, { sealId: old });
  }
  const replacedByThis = p.status === 'replaced' && p.replacedBy === c.sealId;
  if (p.status !== 'active' && !replacedByThis) {
    refuse('INVALID_STATE', `原印章「${old}」当前状态为「${statusName[p.status]}」，不能由新印章「${c.sealId}」更换 (predecessor not replaceable)`, { sealId: old });
  }
}

const statusName: Record<Seal['status'], string> = { active: '在用', replaced: '已更换', revoked: '已注销', destroyed: '已销毁' };

function requireIssued(state: SealState, sealId: string): Seal {
  if (state.status === 'none') return refuse('NOT_FOUND', `印章「${sealId}」不存在 (seal not found)`, { sealId });
  return state;
}

/** Replacement and revocation take a seal out of service, so they apply only to a seal in service. */
function requireActive(state: SealState, sealId: string, action: '更换' | '注销'): Seal {
  const seal = requireIssued(state, sealId);
  switch (seal.status) {
    case 'active':
      return seal;
    case 'destroyed':
      return refuse('INVALID_STATE', `印章「${seal.name}」已销毁，不能再办理任何操作 (seal already destroyed)`, { sealId });
    case 'revoked':
      return refuse('INVALID_STATE', `印章「${seal.name}」已注销，不能${action}${action === '更换' ? '；如需新印章请直接制发' : ''} (seal already revoked)`, { sealId });
    case 'replaced':
      return refuse('INVALID_STATE', `印章「${seal.name}」已更换为「${seal.replacedBy ?? ''}」，不能${action}；如需处置请销毁 (seal already replaced)`, { sealId });
  }
}
