import type { MonthData } from '../../projections/supervision/queries.ts';
import { beijingDay, beijingTime, type WorkingCalendar } from './calendar.ts';

/**
 * Per-unit monthly figures (月度统计), pure: from the rows of one snapshot, the calendar and the
 * moment of computation. The definitions, as stated in the API:
 *
 * - deliveries: documents delivered to the unit in the month (Beijing time), recalled ones excluded;
 * - on-time signature rate: signed by the deadline ÷ (signed + still unsigned past the deadline),
 *   returned copies left out (退回 is a proper answer); null when nothing is assessable yet;
 * - time to sign: delivered → signed, time to complete: signed → 办结, both in working hours on the
 *   calendar; median and p90 by the nearest-rank method; null when there is nothing to measure;
 * - yellow / red: warnings of the unit that fell due in the month;
 * - back-filled: the unit's acts recorded long after the time they claim (see audit's threshold);
 * - days without sign-in: working days of the month, up to the day of computation and from the
 *   first day the ledger recorded sign-ins at all, on which none of the unit's users signed in.
 */
export interface UnitMonthFigures {
  unitId: string;
  unitName: string;
  month: string;
  deliveries: number;
  signedOnTime: number;
  signedLate: number;
  unsignedOverdue: number;
  onTimeSignatureRate: number | null;
  medianSignWorkingHours: number | null;
  p90SignWorkingHours: number | null;
  medianCompleteWorkingHours: number | null;
  p90CompleteWorkingHours: number | null;
  yellowWarnings: number;
  redWarnings: number;
  backFilledRecords: number;
  workingDays: number;
  daysWithoutSignIn: number;
  provisional: boolean;
}

/** The instants a Beijing month spans: [from, to). */
export function monthRange(month: string): { from: Date; to: Date } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new RangeError(`month must be YYYY-MM: ${month}`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { from: new Date(beijingTime(`${month}-01`, 0)), to: new Date(beijingTime(`${next}-01`, 0)) };
}

/** Nearest-rank percentile of sorted values (p in (0, 1]). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const hours = (ms: number) => Math.round((ms / 3600_000) * 100) / 100;

export function unitMonthFigures(data: MonthData, month: string, calendar: WorkingCalendar, now: Date): UnitMonthFigures[] {
  const nowMs = now.getTime();
  const today = beijingDay(nowMs);
  const workingDays = calendar.workingDaysOfMonth(month).filter((d) => d <= today);
  const counted = workingDays.filter((d) => data.firstSignInDay !== null && d >= data.firstSignInDay);
  return data.units.map((unit) => {
    const mine = data.deliveries.filter((d) => d.unitId === unit.unitId);
    let signedOnTime = 0;
    let signedLate = 0;
    let unsignedOverdue = 0;
    const toSign: number[] = [];
    const toComplete: number[] = [];
    for (const d of mine) {
      const due = d.signDueAt ? Date.parse(d.signDueAt) : null;
      if (d.receivedAt) {
        const signed = Date.parse(d.receivedAt);
        if (due === null || signed <= due) signedOnTime++;
        else signedLate++;
        toSign.push(calendar.workingMsBetween(Date.parse(d.deliveredAt), signed));
        if (d.completedAt) toComplete.push(calendar.workingMsBetween(signed, Date.parse(d.completedAt)));
      } else if (!d.returnedAt && due !== null && due < nowMs) {
        unsignedOverdue++;
      }
    }
    toSign.sort((a, b) => a - b);
    toComplete.sort((a, b) => a - b);
    const assessable = signedOnTime + signedLate + unsignedOverdue;
    const signedInDays = new Set(data.signIns.filter((s) => s.unitId === unit.unitId).map((s) => s.day));
    const registeredDay = beijingDay(Date.parse(unit.registeredAt));
    const pct = (v: number | null) => (v === null ? null : hours(v));
    return {
      unitId: unit.unitId,
      unitName: unit.name,
      month,
      deliveries: mine.length,
      signedOnTime,
      signedLate,
      unsignedOverdue,
      onTimeSignatureRate: assessable === 0 ? null : Math.round((signedOnTime / assessable) * 10000) / 10000,
      medianSignWorkingHours: pct(percentile(toSign, 0.5)),
      p90SignWorkingHours: pct(percentile(toSign, 0.9)),
      medianCompleteWorkingHours: pct(percentile(toComplete, 0.5)),
      p90CompleteWorkingHours: pct(percentile(toComplete, 0.9)),
      yellowWarnings: data.warnings.filter((w) => w.unitId === unit.unitId && w.level === 'yellow').length,
      redWarnings: data.warnings.filter((w) => w.unitId === unit.unitId && w.level === 'red').length,
      backFilledRecords: data.lateRecords.filter((r) => r.unitId === unit.unitId).length,
      workingDays: workingDays.length,
      daysWithoutSignIn: counted.filter((d) => d >= registeredDay && !signedInDays.has(d)).length,
      provisional: !calendar.isPublished(Number(month.slice(0, 4))) || mine.some((d) => d.provisional),
    };
  });
}

/**
 * 排名: units by on-time signature rate (units with nothing assessable last), then fewer red, then
 * fewer yellow warnings, then fewer days without sign-in; ties share a rank.
 */
export function rankUnits(figures: readonly UnitMonthFigures[]): (UnitMonthFigures & { rank: number })[] {
  const key = (f: UnitMonthFigures) => [-(f.onTimeSignatureRate ?? -1), f.redWarnings, f.yellowWarnings, f.daysWithoutSignIn] as const;
  const sorted = [...figures].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return a.unitId < b.unitId ? -1 : 1;
  });
  let rank = 0;
  return sorted.map((f, i) => {
    const prev = sorted[i - 1];
    if (!prev || key(prev).some((v, j) => v !== key(f)[j])) rank = i + 1;
    return { ...f, rank };
  });
}

/**
 * 年度考核 (目标考核) score out of 100: 60 × the year's on-time signature rate, 20 less 2 per red
 * and 0.5 per yellow warning (not below 0), 10 less 1 per 5 back-filled records, 10 less 0.5 per
 * day without sign-in. A unit with nothing assessable scores the full 60 for timeliness.
 */
export function scorecard(months: readonly UnitMonthFigures[][], year: number): { unitId: string; unitName: string; year: number; deliveries: number; onTimeSignatureRate: number | null; yellowWarnings: number; redWarnings: number; backFilledRecords: number; daysWithoutSignIn: number; score: number; provisional: boolean }[] {
  const byUnit = new Map<string, UnitMonthFigures[]>();
  for (const m of months) for (const f of m) byUnit.set(f.unitId, [...(byUnit.get(f.unitId) ?? []), f]);
  return [...byUnit.values()].map((fs) => {
    const sum = (k: keyof UnitMonthFigures) => fs.reduce((s, f) => s + (f[k] as number), 0);
    const onTime = sum('signedOnTime');
    const assessable = onTime + sum('signedLate') + sum('unsignedOverdue');
    const rate = assessable === 0 ? null : onTime / assessable;
    const red = sum('redWarnings');
    const yellow = sum('yellowWarnings');
    const late = sum('backFilledRecords');
    const absent = sum('daysWithoutSignIn');
    const score = 60 * (rate ?? 1) + Math.max(0, 20 - 2 * red - 0.5 * yellow) + Math.max(0, 10 - Math.floor(late / 5)) + Math.max(0, 10 - 0.5 * absent);
    return {
      unitId: fs[0]!.unitId,
      unitName: fs[0]!.unitName,
      year,
      deliveries: sum('deliveries'),
      onTimeSignatureRate: rate === null ? null : Math.round(rate * 10000) / 10000,
      yellowWarnings: yellow,
      redWarnings: red,
      backFilledRecords: late,
      daysWithoutSignIn: absent,
      score: Math.round(score * 100) / 100,
      provisional: fs.some((f) => f.provisional),
    };
  });
}
