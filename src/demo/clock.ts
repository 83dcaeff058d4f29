/**
 * The demo plays the last few weeks of a city's document traffic, so the ledger it writes into is
 * created with this clock instead of the wall clock (createLedger(config, db, { now: clock.now })):
 * the commands take their time from it and the store records it as recordedAt. That is honest only
 * because the whole run is a simulation of the past, written into an empty database; it is never a
 * way to back-date real records.
 *
 * Two promises keep it from lying about the present: it only moves forward, and it never passes the
 * real present (every reading is capped at the wall clock), so nothing is dated in the future and a
 * server started afterwards continues from where the simulation ended.
 */
export class SimulatedClock {
  #t: number;

  constructor(
    start: Date,
    /** How far each reading moves the clock on, so that no two records share a timestamp. */
    private readonly tickMs = 700,
    private readonly wall: () => number = Date.now,
  ) {
    this.#t = Math.min(start.getTime(), wall());
  }

  /** For createLedger's `now`: each call is a little later than the one before, never past the present. */
  readonly now = (): Date => {
    this.#t = Math.max(this.#t, Math.min(this.#t + this.tickMs, this.wall()));
    return new Date(this.#t);
  };

  /** Moves to `at` (or to the present, if `at` is later); never backwards. */
  advanceTo(at: Date): void {
    this.#t = Math.max(this.#t, Math.min(at.getTime(), this.wall()));
  }

  /** The simulation is over: from here on the ledger's clock and the wall clock agree. */
  catchUp(): void {
    this.advanceTo(new Date(this.wall()));
  }

  /** The current simulated time, without moving the clock. */
  peek(): Date {
    return new Date(this.#t);
  }
}

/**
 * The city keeps China Standard Time (UTC+8, no daylight saving): office hours and calendar days
 * are reckoned there, whatever zone the machine running the demo is in.
 */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The calendar day in China of an instant, as YYYY-MM-DD. */
export const chinaDay = (at: Date): string => new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/** The instant of a China wall-clock time on a China calendar day. */
export function chinaTime(day: string, hour: number, minute = 0): Date {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - CHINA_OFFSET_MS + (hour * 60 + minute) * 60_000);
}

export const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);

const isWeekend = (day: string): boolean => {
  const dow = new Date(`${day}T00:00:00.000Z`).getUTCDay();
  return dow === 0 || dow === 6;
};

/**
 * The office days of the simulation, oldest first: the last `workingDays` weekdays before today,
 * and today itself whatever day it is (特急 items reach the duty office at weekends too).
 * Public holidays are not modelled: the demo does not ship a holiday calendar.
 */
export function officeDays(today: string, workingDays: number): string[] {
  const days: string[] = [];
  for (let d = addDays(today, -1); days.length < workingDays; d = addDays(d, -1)) {
    if (!isWeekend(d)) days.unshift(d);
  }
  return [...days, today];
}
