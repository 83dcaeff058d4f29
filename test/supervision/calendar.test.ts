import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beijingTime, parseOfficeHours, WorkingCalendar } from '../../src/supervision/calendar.ts';

const cal = new WorkingCalendar();
/** A Beijing wall-clock time as an instant. */
const bj = (day: string, hhmm: string) => beijingTime(day, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)));
const iso = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

test('holidays and 调休 days agree with the State Council notices (checked by hand)', () => {
  // 国务院办公厅关于2025年部分节假日安排的通知: 国庆节、中秋节 10月1日至8日放假，9月28日（周日）、10月11日（周六）上班.
  for (let d = 1; d <= 8; d++) assert.equal(cal.isWorkingDay(`2025-10-0${d}`), false, `2025-10-0${d} is a holiday`);
  assert.equal(cal.dayKind('2025-09-28'), 'makeup-workday');
  assert.equal(cal.dayKind('2025-10-11'), 'makeup-workday');
  assert.equal(cal.isWorkingDay('2025-10-09'), true);
  // 2025 春节 1月28日至2月4日，1月26日（周日）、2月8日（周六）上班; 劳动节 5月1日至5日，4月27日（周日）上班.
  assert.equal(cal.isWorkingDay('2025-01-26'), true);
  assert.equal(cal.isWorkingDay('2025-02-04'), false);
  assert.equal(cal.isWorkingDay('2025-02-08'), true);
  assert.equal(cal.isWorkingDay('2025-04-27'), true);
  assert.equal(cal.isWorkingDay('2025-05-05'), false);
  // 2024 春节 2月10日至17日，2月4日（周日）、2月18日（周日）上班.
  assert.equal(cal.isWorkingDay('2024-02-04'), true);
  assert.equal(cal.isWorkingDay('2024-02-16'), false);
  assert.equal(cal.isWorkingDay('2024-02-18'), true);
  // 2020 春节 extended to 2月2日 (国办发明电〔2020〕1号): 2月1日 (Saturday, first a 调休 day) became a holiday.
  assert.equal(cal.isWorkingDay('2020-02-01'), false);
  assert.equal(cal.isWorkingDay('2020-02-03'), true);
  // 2026 元旦 1月1日至3日，1月4日（周日）上班; 国庆节 10月1日至7日，9月20日（周日）、10月10日（周六）上班.
  assert.equal(cal.isWorkingDay('2026-01-02'), false);
  assert.equal(cal.isWorkingDay('2026-01-04'), true);
  assert.equal(cal.isWorkingDay('2026-09-20'), true);
  assert.equal(cal.isWorkingDay('2026-10-10'), true);
  assert.equal(cal.holidayName('2026-10-10'), '国庆节');
  // An ordinary weekend and weekday.
  assert.equal(cal.dayKind('2025-11-15'), 'weekend');
  assert.equal(cal.dayKind('2025-11-17'), 'workday');
});

test('every year from 2020 to 2026 is published; a year without a schedule is provisional', () => {
  for (let y = 2020; y <= 2026; y++) assert.equal(cal.isPublished(y), true, `${y}`);
  assert.equal(cal.isPublished(2027), false);
  assert.equal(cal.isProvisional(bj('2026-12-30', '10:00'), bj('2026-12-31', '10:00')), false);
  assert.equal(cal.isProvisional(bj('2026-12-31', '10:00'), bj('2027-01-04', '10:00')), true);
  assert.match(cal.version, /^chinese-days@\d+\.\d+\.\d+;08:30-12:00,14:30-17:30$/);
});

test('working time skips lunch, nights, weekends and holidays, and counts 调休 Saturdays', () => {
  // 2 working hours from Monday 11:00: 11:00-12:00, then 14:30-15:30.
  assert.equal(iso(cal.addWorkingTime(bj('2025-11-17', '11:00'), 2 * 3600_000)), '2025-11-17 15:30');
  // From Friday 17:00, 4 working hours: 0.5 h Friday, 3.5 h Monday morning and afternoon → Monday 12:00.
  assert.equal(iso(cal.addWorkingTime(bj('2025-11-14', '17:00'), 4 * 3600_000)), '2025-11-17 12:00');
  // One working day from Tuesday 10:00 is Wednesday 10:00.
  assert.equal(iso(cal.addWorkingDays(bj('2025-11-18', '10:00'), 1)), '2025-11-19 10:00');
  // One working day from Friday 26 September 2025 at 10:00 is the 调休 Sunday 28 September at 10:00.
  assert.equal(iso(cal.addWorkingDays(bj('2025-09-26', '10:00'), 1)), '2025-09-28 10:00');
  // From Tuesday 30 September 2025, one working day lands after the National Day holiday: 9 October.
  assert.equal(iso(cal.addWorkingDays(bj('2025-09-30', '10:00'), 1)), '2025-10-09 10:00');
  // Received at night: the clock starts at the next opening.
  assert.equal(iso(cal.addWorkingTime(bj('2025-11-17', '21:00'), 3600_000)), '2025-11-18 09:30');
  // And back: office time between two instants.
  assert.equal(cal.workingMsBetween(bj('2025-11-14', '17:00'), bj('2025-11-17', '12:00')), 4 * 3600_000);
  assert.equal(cal.workingMsBetween(bj('2025-09-30', '17:00'), bj('2025-10-09', '08:30')), 0.5 * 3600_000);
  assert.equal(cal.workingMsBetween(bj('2025-11-17', '12:30'), bj('2025-11-17', '14:00')), 0);
  assert.deepEqual(cal.workingDaysOfMonth('2025-10').slice(0, 3), ['2025-10-09', '2025-10-10', '2025-10-11']);
  // 9, 10, 11 (调休), then three full weeks: 18.
  assert.equal(cal.workingDaysOfMonth('2025-10').length, 18);
});

test('office hours are configurable, and bad ones are refused with a reason', () => {
  const c = new WorkingCalendar('09:00-17:00');
  assert.equal(c.dayMinutes, 480);
  assert.equal(iso(c.addWorkingDays(bj('2025-11-17', '16:00'), 1)), '2025-11-18 16:00');
  assert.equal(c.isOfficeTime(bj('2025-11-17', '12:30')), true);
  assert.equal(cal.isOfficeTime(bj('2025-11-17', '12:30')), false);
  assert.throws(() => parseOfficeHours('8:30-12:00'), /HH:MM/);
  assert.throws(() => parseOfficeHours('12:00-08:30'), /end after start/);
  assert.throws(() => parseOfficeHours('08:30-12:00,11:00-17:00'), /disjoint/);
});

test('working time counted backwards: the reminder moment before a deadline', () => {
  // One working hour before Monday 09:00 is Friday 17:00; before Monday 15:00 it is 12:00 (lunch skipped) → 14:30 − 0.5 h = 11:30.
  assert.equal(iso(cal.subtractWorkingTime(bj('2025-11-17', '09:00'), 3600_000)), '2025-11-14 17:00');
  assert.equal(iso(cal.subtractWorkingTime(bj('2025-11-17', '15:00'), 3600_000)), '2025-11-17 11:30');
  // Across the National Day holiday: one hour before 9 October 09:00 is 30 September 17:00.
  assert.equal(iso(cal.subtractWorkingTime(bj('2025-10-09', '09:00'), 3600_000)), '2025-09-30 17:00');
});
