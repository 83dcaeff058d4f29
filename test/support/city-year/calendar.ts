/**
 * The working calendar of 2025 in China Standard Time (UTC+8, no daylight saving), as published by
 * the State Council (国务院办公厅关于2025年部分节假日安排的通知): public holidays are not working
 * days, and the make-up days (调休) on weekends are. Times are milliseconds since the epoch.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CST = 8 * HOUR;

const holidays = new Set([
  '2025-01-01',
  ...range('2025-01-28', '2025-02-04'),
  ...range('2025-04-04', '2025-04-06'),
  ...range('2025-05-01', '2025-05-05'),
  ...range('2025-05-31', '2025-06-02'),
  ...range('2025-10-01', '2025-10-08'),
]);
const makeUpWorkdays = new Set(['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11']);

function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The calendar day in China of an instant. */
export const chinaDay = (ms: number): string => new Date(ms + CST).toISOString().slice(0, 10);

/** The instant of a China wall-clock time on a day ('2025-03-09', 9.5 = 09:30). */
export const chinaTime = (day: string, hours: number): number => Date.parse(`${day}T00:00:00Z`) - CST + Math.round(hours * HOUR);

export const nextDay = (day: string, n = 1): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

export function isWorkingDay(day: string): boolean {
  if (makeUpWorkdays.has(day)) return true;
  if (holidays.has(day)) return false;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The n-th working day after `day` (n = 0: `day` itself if it is one, else the next one). */
export function addWorkingDays(day: string, n: number): string {
  let d = day;
  while (!isWorkingDay(d)) d = nextDay(d);
  for (let i = 0; i < n; i++) {
    d = nextDay(d);
    while (!isWorkingDay(d)) d = nextDay(d);
  }
  return d;
}

export function workingDaysOf(year: number): string[] {
  return range(`${year}-01-01`, `${year}-12-31`).filter(isWorkingDay);
}

/** Office hours: 08:30–12:00 and 14:00–17:30. */
const OPEN = 8.5;
const CLOSE = 17.5;

/** China wall-clock hours of an instant (9.5 = 09:30). */
export const chinaHours = (ms: number): number => (((ms + CST) % DAY) + DAY) % DAY / HOUR;

/**
 * `hours` of office time after `ms`: what a clerk means by "in two hours" — evenings, weekends and
 * holidays do not count, and something done after hours moves on from the next morning.
 */
export function addOfficeHours(ms: number, hours: number): number {
  let day = chinaDay(ms);
  let at = chinaHours(ms);
  if (!isWorkingDay(day) || at >= CLOSE) {
    day = addWorkingDays(nextDay(day), 0);
    at = OPEN;
  } else if (at < OPEN) at = OPEN;
  let left = hours;
  for (;;) {
    const room = CLOSE - at;
    if (left <= room) return chinaTime(day, at + left);
    left -= room;
    day = addWorkingDays(nextDay(day), 0);
    at = OPEN;
  }
}

export const MINUTE = 60_000;
export { HOUR, DAY };
