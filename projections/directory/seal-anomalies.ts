/**
 * What makes one use of a seal worth an inspector's look (用印异常). Pure: the use and the seal as
 * the ledger knew it at that point of the feed.
 *
 * - OFF_HOURS: outside the office day (before its first opening or after its last closing, 08:30 and
 *   17:30 Beijing time), on the supervision's working-day calendar (src/supervision/calendar.ts);
 * - WEEKEND: on a day that is not a working day on that calendar: a weekend not made up, or a public
 *   holiday (a 调休 Saturday is a working day; a holiday Monday is not);
 * - NOT_KEEPER: by someone who is not one of the seal's designated keepers (SealIssued.keeperUserIds)
 *   — the domain lets any SEAL_KEEPER of the unit seal, the designation is what the register checks;
 * - NEAR_EXPIRY: with a seal within 30 days of the end of its validity, when its replacement should
 *   already be under way;
 * - INVALID_SEAL: with a seal the ledger's rules should have refused (unknown, of another unit, not
 *   active, or outside its validity). Commands never produce it; only events written around them do.
 */
import { standardCalendar } from '../../src/supervision/calendar.ts';

export type SealAnomaly = 'OFF_HOURS' | 'WEEKEND' | 'NOT_KEEPER' | 'NEAR_EXPIRY' | 'INVALID_SEAL';

export const SEAL_TIME_ZONE = 'Asia/Shanghai';
export const NEAR_EXPIRY_MS = 30 * 24 * 3600_000;

export interface SealAtUse {
  sealId: string;
  unitId: string;
  status: 'active' | 'revoked' | 'replaced' | 'destroyed';
  validFrom: string;
  validTo: string;
  keeperUserIds: readonly string[];
}

export interface SealUse {
  unitId: string;
  keeperUserId: string;
  sealedAt: string;
}

export function sealAnomalies(use: SealUse, seal: SealAtUse | undefined): SealAnomaly[] {
  const at = Date.parse(use.sealedAt);
  if (Number.isNaN(at)) throw new TypeError(`sealedAt is not an ISO time: ${use.sealedAt}`);
  const out: SealAnomaly[] = [];
  // The standard office hours, not the configured ones: the log is a read model, rebuilt the same
  // whatever the server's configuration.
  const calendar = standardCalendar();
  if (calendar.isOutsideOfficeDay(at)) out.push('OFF_HOURS');
  if (calendar.isNonWorkingTime(at)) out.push('WEEKEND');
  if (seal && !seal.keeperUserIds.includes(use.keeperUserId)) out.push('NOT_KEEPER');
  const validTo = seal ? Date.parse(seal.validTo) : NaN;
  if (seal && at <= validTo && validTo - at <= NEAR_EXPIRY_MS) out.push('NEAR_EXPIRY');
  const usable = seal && seal.unitId === use.unitId && seal.status === 'active' && at >= Date.parse(seal.validFrom) && at <= validTo;
  if (!usable) out.push('INVALID_SEAL');
  return out;
}
