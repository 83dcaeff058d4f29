import type { IssueSealInput, SealCommand } from '../../../schemas/commands/seal.ts';
import type { SealEvent } from '../../../schemas/events/seal.ts';
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
}

export function decideSeal(command: SealCommand, state: SealState, context: SealContext): SealEvent[] {
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
  return [
    {
      type: 'SealIssued',
      data: {
        sealId: c.sealId,
        unitId: c.unitId,
        name: c.name,
        sealType: c.sealType,
        ...(c.publicKey !== undefined && { publicKey: c.publicKey.toLowerCase() }),
        validFrom: c.validFrom,
        validTo: c.validTo,
        keeperUserIds: c.keeperUserIds ?? [],
        ...(c.replacesSealId !== undefined && { replacesSealId: c.replacesSealId }),
        issuedBy: context.actor.userId,
      },
    },
  ];
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
