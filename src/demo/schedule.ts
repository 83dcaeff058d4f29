import type { SimulatedClock } from './clock.ts';
import { chinaTime } from './clock.ts';

/**
 * The office day in slots (China time): everything the demo does happens at one of these, so a
 * story reads like a diary ("day 3, mid-morning: the leader signs off").
 */
export const SLOT_TIMES: readonly (readonly [number, number])[] = [
  [8, 40],
  [9, 25],
  [10, 15],
  [11, 10],
  [14, 35],
  [15, 20],
  [16, 10],
  [17, 5],
];
export const SLOTS_PER_DAY = SLOT_TIMES.length;

/** A point of the simulation: office day `day` (0 = the first), slot `slot` of that day. */
export const slotOf = (day: number, slot: number): number => day * SLOTS_PER_DAY + slot;

/**
 * Runs many stories (one document's life at its issuer, one recipient's handling of it …) side by
 * side on the simulated clock. A story is an async function that says when its next step happens
 * (`await schedule.at(slot)`); the schedule moves the clock slot by slot, lets every story due in a
 * slot run until it waits for a later one, and then settles the ledger's process managers, so what
 * was sent in one slot is in the recipients' inboxes by the next.
 *
 * A step planned after the last slot (today) simply never happens: that document is still under
 * way at the present, as it would be in a real inbox.
 */
export class Schedule {
  #current = -1;
  #running = 0;
  #waiting = new Map<number, (() => void)[]>();
  #idle: (() => void) | undefined;
  #failures: { story: string; error: unknown }[] = [];
  #settleNeeded = false;

  constructor(
    private readonly clock: SimulatedClock,
    /** The office days (China calendar, YYYY-MM-DD), oldest first; the last is today. */
    readonly days: readonly string[],
    private readonly settle: () => Promise<void>,
  ) {}

  get lastSlot(): number {
    return slotOf(this.days.length - 1, SLOTS_PER_DAY - 1);
  }

  /** The office day of a slot, as YYYY-MM-DD. */
  dayOf(slot: number): string {
    return this.days[Math.min(Math.floor(slot / SLOTS_PER_DAY), this.days.length - 1)]!;
  }

  /** Starts a story; it runs when the schedule reaches its first `at`. */
  story(name: string, body: () => Promise<void>): void {
    this.#running++;
    body()
      .catch((error: unknown) => {
        this.#failures.push({ story: name, error });
      })
      .finally(() => {
        this.#running--;
        this.#checkIdle();
      });
  }

  /** Waits until the simulation reaches `slot` (at once if it already has). */
  at(slot: number): Promise<void> {
    if (slot <= this.#current) return Promise.resolve();
    this.#running--;
    return new Promise<void>((resolve) => {
      const list = this.#waiting.get(slot) ?? [];
      list.push(() => {
        this.#running++;
        resolve();
      });
      this.#waiting.set(slot, list);
      this.#checkIdle();
    });
  }

  /** A document was sent: its deliveries must exist before the next slot begins. */
  sent(): void {
    this.#settleNeeded = true;
  }

  async play(onSlot?: (slot: number) => void): Promise<void> {
    await this.#whenIdle();
    this.#throwFailures();
    for (let slot = 0; slot <= this.lastSlot; slot++) {
      const [hour, minute] = SLOT_TIMES[slot % SLOTS_PER_DAY]!;
      this.clock.advanceTo(chinaTime(this.dayOf(slot), hour, minute));
      this.#current = slot;
      const due = this.#waiting.get(slot) ?? [];
      this.#waiting.delete(slot);
      for (const resume of due) resume();
      await this.#whenIdle();
      this.#throwFailures();
      if (this.#settleNeeded) {
        this.#settleNeeded = false;
        await this.settle();
      }
      onSlot?.(slot);
    }
    // Earlier slots nobody waits for any more: stories that asked for a past slot resumed at once.
    this.#waiting.clear();
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  #checkIdle(): void {
    if (this.#running === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  #throwFailures(): void {
    if (this.#failures.length === 0) return;
    const [first] = this.#failures;
    const error = first!.error instanceof Error ? first!.error : new Error(String(first!.error));
    throw new Error(`演示数据生成失败 (demo story “${first!.story}” failed${this.#failures.length > 1 ? `, and ${this.#failures.length - 1} more` : ''}): ${error.message}`, {
      cause: error,
    });
  }
}
