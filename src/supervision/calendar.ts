import { createRequire } from 'node:module';

/**
 * The working-day calendar (工作日): weekends, the State Council's public holidays and the make-up
 * working days (调休) of every published year, and the office hours of a working day. Deadlines,
 * warnings, statistics and the seal usage log's WEEKEND / OFF_HOURS flags all reckon with it.
 *
 * The holiday data comes from the `chinese-days` package (maintained, one entry per holiday and
 * per 调休 day, checked in test/unit/supervision-calendar.test.ts against the State Council's
 * notices). A year the data does not cover (the State Council publishes each year's schedule in
 * the November before) is reckoned with weekends only and every deadline touching it is marked
 * provisional.
 *
 * Times are instants (ms since the epoch); days are Beijing calendar days (YYYY-MM-DD). Beijing
 * keeps UTC+8 without daylight saving, so the offset is fixed.
 */

const require = createRequire(import.meta.url);
const HOLIDAY_PACKAGE = 'chinese-days';
const holidayData = require(`${HOLIDAY_PACKAGE}/dist/chinese-days.json`) as { holidays: Record<string, string>; workdays: Record<string, string> };
const holidayPackageVersion = (require(`${HOLIDAY_PACKAGE}/package.json`) as { version: string }).version;

export const BEIJING_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;
const MINUTE_MS = 60_000;

/** One span of office hours, in minutes since local midnight: [start, end). */
export interface OfficeSpan {
  start: number;
  end: number;
}

export const DEFAULT_OFFICE_HOURS = '08:30-12:00,14:30-17:30';

/**
 * Parses `08:30-12:00,14:30-17:30`: ordered, non-overlapping spans within one day. Throws a message
 * naming what is wrong, for the configuration check.
 */
export function parseOfficeHours(text: string): OfficeSpan[] {
  const spans = text.split(',').map((part) => {
    const m = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*$/.exec(part);
    if (!m) throw new Error(`办公时间「${part}」须形如 08:30-12:00 (office hours: HH:MM-HH:MM, comma separated)`);
    const span = { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]) };
    if (span.end > 24 * 60 || span.end <= span.start) throw new Error(`办公时间「${part}」的结束须晚于开始 (office hours: end after start)`);
    return span;
  });
  spans.forEach((s, i) => {
    if (i > 0 && s.start < spans[i - 1]!.end) throw new Error(`办公时间须按时间先后排列且不重叠 (office hours must be ordered and disjoint): ${text}`);
  });
  return spans;
}

const formatMinutes = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The Beijing calendar day of an instant. */
export const beijingDay = (ms: number): string => new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
/** The instant of a Beijing wall-clock minute on a Beijing day. */
export const beijingTime = (day: string, minuteOfDay: number): number => Date.parse(`${day}T00:00:00.000Z`) - BEIJING_OFFSET_MS + minuteOfDay * MINUTE_MS;
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup-workday';

export class WorkingCalendar {
  readonly spans: readonly OfficeSpan[];
  /** Working minutes in one working day (6.5 h by default). */
  readonly dayMinutes: number;
  /** Names the holiday data and the office hours: recorded with every deadline computed with it. */
  readonly version: string;
  private readonly publishedYears: ReadonlySet<number>;

  constructor(officeHours: string = DEFAULT_OFFICE_HOURS) {
    this.spans = parseOfficeHours(officeHours);
    this.dayMinutes = this.spans.reduce((sum, s) => sum + s.end - s.start, 0);
    this.publishedYears = new Set(Object.keys(holidayData.holidays).map((d) => Number(d.slice(0, 4))));
    this.version = `${HOLIDAY_PACKAGE}@${holidayPackageVersion};${this.spans.map((s) => `${formatMinutes(s.start)}-${formatMinutes(s.end)}`).join(',')}`;
  }

  /** Whether the State Council's schedule for the year is in the data. */
  isPublished(year: number): boolean {
    return this.publishedYears.has(year);
  }

  /** Whether a computation between these instants relied on an unpublished year. */
  isProvisional(fromMs: number, toMs: number): boolean {
    for (let y = Number(beijingDay(fromMs).slice(0, 4)); y <= Number(beijingDay(toMs).slice(0, 4)); y++) if (!this.isPublished(y)) return true;
    return false;
  }

  dayKind(day: string): DayKind {
    if (holidayData.holidays[day] !== undefined) return 'holiday';
    if (holidayData.workdays[day] !== undefined) return 'makeup-workday';
    const dow = new Date(`${day}T00:00:00.000Z`).getUTCDay();
    return dow === 0 || dow === 6 ? 'weekend' : 'workday';
  }

  isWorkingDay(day: string): boolean {
    const kind = this.dayKind(day);
    return kind === 'workday' || kind === 'makeup-workday';
  }

  /** The holiday's name (国庆节, 春节 …) or the holiday a 调休 day makes up for. */
  holidayName(day: string): string | null {
    const entry = holidayData.holidays[day] ?? holidayData.workdays[day];
    return entry ? (entry.split(',')[1] ?? null) : null;
  }

  /** Whether an instant falls on a non-working day (weekend not made up, or a public holiday). */
  isNonWorkingTime(ms: number): boolean {
    return !this.isWorkingDay(beijingDay(ms));
  }

  /** Whether an instant lies outside the office day (before the first opening or after the last closing). */
  isOutsideOfficeDay(ms: number): boolean {
    const minute = (ms - beijingTime(beijingDay(ms), 0)) / MINUTE_MS;
    return minute < this.spans[0]!.start || minute > this.spans.at(-1)!.end;
  }

  /** Whether the office is open at an instant (a working day, inside a span). */
  isOfficeTime(ms: number): boolean {
    const day = beijingDay(ms);
    if (!this.isWorkingDay(day)) return false;
    const minute = (ms - beijingTime(day, 0)) / MINUTE_MS;
    return this.spans.some((s) => minute >= s.start && minute < s.end);
  }

  /** The office spans of the day of `fromMs` onward, as instants, day by day. */
  private *openings(fromMs: number): Generator<{ start: number; end: number }> {
    for (let day = beijingDay(fromMs), guard = 0; guard < 3660; day = addDays(day, 1), guard++) {
      if (!this.isWorkingDay(day)) continue;
      for (const s of this.spans) {
        const start = beijingTime(day, s.start);
        const end = beijingTime(day, s.end);
        if (end > fromMs) yield { start: Math.max(start, fromMs), end };
      }
    }
    throw new Error('no working time within ten years');
  }

  /** The instant when `workingMs` of office time have passed after `fromMs` (0 → the next opening, or `fromMs` if open). */
  addWorkingTime(fromMs: number, workingMs: number): number {
    let left = workingMs;
    for (const o of this.openings(fromMs)) {
      if (left <= o.end - o.start) return o.start + left;
      left -= o.end - o.start;
    }
    throw new Error('unreachable');
  }

  /** The instant `workingMs` of office time before `toMs` (the latest such instant). */
  subtractWorkingTime(toMs: number, workingMs: number): number {
    let left = workingMs;
    for (let day = beijingDay(toMs), guard = 0; guard < 3660; day = addDays(day, -1), guard++) {
      if (!this.isWorkingDay(day)) continue;
      for (const s of [...this.spans].reverse()) {
        const start = beijingTime(day, s.start);
        const end = Math.min(beijingTime(day, s.end), toMs);
        if (end <= start) continue;
        if (left <= end - start) return end - left;
        left -= end - start;
      }
    }
    throw new Error('no working time within ten years');
  }

  /** `days` working days (each one office day's worth of working time) after `fromMs`. */
  addWorkingDays(fromMs: number, days: number): number {
    return this.addWorkingTime(fromMs, days * this.dayMinutes * MINUTE_MS);
  }

  /** Office time between two instants (0 when `toMs` ≤ `fromMs`). */
  workingMsBetween(fromMs: number, toMs: number): number {
    if (toMs <= fromMs) return 0;
    let total = 0;
    for (const o of this.openings(fromMs)) {
      if (o.start >= toMs) break;
      total += Math.min(o.end, toMs) - o.start;
    }
    return total;
  }

  /** The working days of a Beijing month (YYYY-MM), in order. */
  workingDaysOfMonth(month: string): string[] {
    const days: string[] = [];
    for (let d = `${month}-01`; d.startsWith(month); d = addDays(d, 1)) if (this.isWorkingDay(d)) days.push(d);
    return days;
  }
}

let standard: WorkingCalendar | undefined;
/** The calendar with the default office hours (what the seal usage log flags against). */
export const standardCalendar = (): WorkingCalendar => (standard ??= new WorkingCalendar());
