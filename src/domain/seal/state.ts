import type { KeyCustody, SealType } from '../../../schemas/events/seal.ts';

/**
 * A seal is `active` from issue until it leaves service by replacement (更换), revocation (注销) or
 * destruction (销毁). Only `destroyed` is terminal; a replaced or revoked seal still has to be
 * destroyed. Validity dates are not a status: whether a seal can seal *now* is `sealUsability`.
 */
export type SealStatus = 'active' | 'replaced' | 'revoked' | 'destroyed';

export interface Seal {
  status: SealStatus;
  sealId: string;
  unitId: string;
  name: string;
  sealType: SealType;
  publicKey: string;
  keyCustody: KeyCustody;
  /** SM3 of the canonical GB/T 38540 seal record: what a sealing names as the seal it used. */
  sealRecordDigest: string;
  validFrom: string;
  validTo: string;
  keeperUserIds: readonly string[];
  replacesSealId?: string;
  issuedBy: string;
  /** The successor, once replaced. */
  replacedBy?: string;
  /** Why the seal last changed status (replacement, revocation or destruction). */
  statusReason?: string;
}

export type SealState = { status: 'none' } | Seal;

export const initialSealState = (): SealState => ({ status: 'none' });

export interface SealSummary {
  sealId: string;
  unitId: string;
  name: string;
  status: SealStatus;
  validFrom: string;
  validTo: string;
  keeperUserIds: readonly string[];
  publicKey: string;
  keyCustody: KeyCustody;
  sealRecordDigest: string;
  replacedBy?: string;
}

/** What other decisions and handlers need to know about a seal; `undefined` when it was never issued. */
export function sealSummary(state: SealState): SealSummary | undefined {
  if (state.status === 'none') return undefined;
  const { sealId, unitId, name, status, validFrom, validTo, keeperUserIds, publicKey, keyCustody, sealRecordDigest, replacedBy } = state;
  return {
    sealId,
    unitId,
    name,
    status,
    validFrom,
    validTo,
    keeperUserIds,
    publicKey,
    keyCustody,
    sealRecordDigest,
    ...(replacedBy !== undefined && { replacedBy }),
  };
}
