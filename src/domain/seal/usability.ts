import type { SealSummary } from './state.ts';

export type SealUnusableCause = 'UNKNOWN' | 'OTHER_UNIT' | 'REVOKED' | 'REPLACED' | 'DESTROYED' | 'NOT_YET_VALID' | 'EXPIRED';

export type SealUsability = { usable: true } | { usable: false; reason: string; cause: SealUnusableCause };

const instant = (iso: string, what: string): number => {
  const ms = Date.parse(iso);
  // An unparseable time would make every comparison false and the seal look usable.
  if (Number.isNaN(ms)) throw new TypeError(`${what} is not an ISO timestamp: ${iso}`);
  return ms;
};

/**
 * Whether the seal may seal a document of `unitId` at `at`. The validity period is inclusive at both
 * ends (有效期自 validFrom 起至 validTo 止). `reason` is a Chinese sentence for the seal keeper;
 * `cause` is for code that branches on it.
 */
export function sealUsability(
  state: Pick<SealSummary, 'sealId' | 'unitId' | 'name' | 'status' | 'validFrom' | 'validTo' | 'replacedBy'> | { status: 'none' } | undefined,
  { unitId, at }: { unitId: string; at: string },
): SealUsability {
  const no = (cause: SealUnusableCause, reason: string): SealUsability => ({ usable: false, cause, reason });
  if (state === undefined || state.status === 'none') return no('UNKNOWN', '印章不存在或尚未制发 (seal not issued)');
  const name = `印章「${state.name}」(${state.sealId})`;
  if (state.unitId !== unitId) return no('OTHER_UNIT', `${name}属于单位「${state.unitId}」，不能加盖在本单位「${unitId}」的公文上 (seal of another unit)`);
  switch (state.status) {
    case 'destroyed':
      return no('DESTROYED', `${name}已销毁 (seal destroyed)`);
    case 'revoked':
      return no('REVOKED', `${name}已注销 (seal revoked)`);
    case 'replaced':
      return no('REPLACED', `${name}已更换为新印章「${state.replacedBy ?? ''}」，请使用新印章 (seal replaced)`);
    case 'active':
      break;
  }
  const t = instant(at, 'at');
  if (t < instant(state.validFrom, 'validFrom')) return no('NOT_YET_VALID', `${name}自 ${state.validFrom} 起生效，现在尚不能使用 (not yet valid)`);
  if (t > instant(state.validTo, 'validTo')) return no('EXPIRED', `${name}已于 ${state.validTo} 过期 (seal expired)`);
  return { usable: true };
}
