/**
 * What makes one use of a seal worth an inspector's look (用印异常). Pure: the use and the seal as
 * the ledger knew it at that point of the feed.
 *
 * - OFF_HOURS: before 08:00 or after 18:00, Beijing time;
 * - WEEKEND: on a Saturday or Sunday. Statutory holidays and make-up workdays (调休) are not known
 *   here yet: they come with the supervision calendar, and until then a sealing on a holiday goes
 *   unflagged and one on a make-up Saturday is flagged;
 * - NOT_KEEPER: by someone who is not one of the seal's designated keepers (SealIssued.keeperUserIds)
 *   — the domain lets any SEAL_KEEPER of the unit seal, the designation is what the register checks;
 * - NEAR_EXPIRY: with a seal within 30 days of the end of its validity, when its replacement should
 *   already be under way;
 * - INVALID_SEAL: with a seal the ledger's rules should have refused (unknown, of another unit, not
 *   active, or outside its validity). Commands never produce it; only events written around them do.
 */
export type SealAnomaly = 'OFF_HOURS' | 'WEEKEND' | 'NOT_KEEPER' | 'NEAR_EXPIRY' | 'INVALID_SEAL';

export const SEAL_TIME_ZONE = 'Asia/Shanghai';
export const WORKDAY_START_MS = 8 * 3600_000;
export const WORKDAY_END_MS = 18 * 3600_000;
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

const localParts = new Intl.DateTimeFormat('en-US-u-ca-gregory', {
  timeZone: SEAL_TIME_ZONE,
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Weekday and milliseconds since local midnight in Beijing. */
export function localClock(ms: number): { weekday: string; msOfDay: number } {
  const parts = Object.fromEntries(localParts.formatToParts(ms).map((p) => [p.type, p.value]));
  const msOfDay = ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 + (((ms % 1000) + 1000) % 1000);
  return { weekday: parts.weekday!, msOfDay };
}

export function sealAnomalies(use: SealUse, seal: SealAtUse | undefined): SealAnomaly[] {
  const at = Date.parse(use.sealedAt);
  if (Number.isNaN(at)) throw new TypeError(`sealedAt is not an ISO time: ${use.sealedAt}`);
  const out: SealAnomaly[] = [];
  const { weekday, msOfDay } = localClock(at);
  if (msOfDay < WORKDAY_START_MS || msOfDay > WORKDAY_END_MS) out.push('OFF_HOURS');
  if (weekday === 'Sat' || weekday === 'Sun') out.push('WEEKEND');
  if (seal && !seal.keeperUserIds.includes(use.keeperUserId)) out.push('NOT_KEEPER');
  const validTo = seal ? Date.parse(seal.validTo) : NaN;
  if (seal && at <= validTo && validTo - at <= NEAR_EXPIRY_MS) out.push('NEAR_EXPIRY');
  const usable = seal && seal.unitId === use.unitId && seal.status === 'active' && at >= Date.parse(seal.validFrom) && at <= validTo;
  if (!usable) out.push('INVALID_SEAL');
  return out;
}
