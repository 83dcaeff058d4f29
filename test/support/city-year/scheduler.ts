import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs the simulated year fast and still deterministically.
 *
 * Each document at its issuer is a lane, and so is each recipient's copy of it (with the reply the
 * recipient drafts): a lane's flows run in simulated-time order, one step at a time, on the lane's
 * own clock. Lanes touch disjoint streams, so they run concurrently (commits share the server's
 * group commit, which is what makes this fast), except where order would leak from one lane into
 * another:
 * - the directory (roles, seals, names) changes only between windows, while no lane runs, so every
 *   lane sees the same directory at the same simulated time; windows also end every Monday, so
 *   no lane runs more than a week of simulated time ahead of another;
 * - document numbers are taken in turns: a lane that reaches a sealing yields a turn request and
 *   waits; when every lane is waiting or done with the window, the turns are granted unit by unit
 *   in (simulated time, lane) order, and the lanes go on.
 * Nothing else is shared, so the events' payloads depend on the seed only.
 */

/** A flow yields the simulated instant it wants to act next, or asks for its unit's numbering turn. */
export type Step = number | { numberingTurn: string };
export type Flow = AsyncGenerator<Step, void, void>;

interface LaneContext {
  t: number;
  lane: Lane | null;
}

/**
 * The simulated clock. Inside a lane's step it is that lane's clock (AsyncLocalStorage follows the
 * step through every await into the ledger's own calls of now()); outside, the global one.
 */
export class CityClock {
  readonly #als = new AsyncLocalStorage<LaneContext>();
  readonly #global: LaneContext = { t: 0, lane: null };

  constructor(start: number) {
    this.#global.t = start;
  }

  /** For createTestLedger({ now }) and createLedger(…, { now }). */
  readonly now = (): Date => new Date(this.#context().t);

  set(at: number | Date): void {
    this.#context().t = typeof at === 'number' ? at : at.getTime();
  }

  /** The lane whose step is running (null outside lanes). */
  lane(): Lane | null {
    return this.#context().lane;
  }

  run<T>(lane: Lane, at: number, fn: () => Promise<T>): Promise<T> {
    const context = { t: at, lane };
    return this.#als.run(context, async () => {
      try {
        return await fn();
      } finally {
        lane.now = Math.max(lane.now, context.t);
      }
    });
  }

  #context(): LaneContext {
    return this.#als.getStore() ?? this.#global;
  }
}

/** Time-ordered queue; ties keep the order in which they were scheduled. */
class Agenda<T> {
  #heap: { at: number; seq: number; item: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  peekAt(): number {
    return this.#heap[0]?.at ?? Infinity;
  }

  push(at: number, item: T): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, item });
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): { at: number; item: T } | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top && { at: top.at, item: top.item };
  }

  #less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

export class Lane {
  readonly agenda = new Agenda<Flow>();
  now = 0;
  /** A flow waiting for its unit's numbering turn. */
  waiting: { unitId: string; flow: Flow } | null = null;
  #commands = 0;
  #ids = 0;

  constructor(
    /** Prefix of this lane's commandIds and derived ids: unique, and independent of other lanes. */
    readonly key: string,
    private readonly scheduler: LaneScheduler | null = null,
  ) {}

  /** A lane that starts from this one (a recipient's copy of a sent document). */
  fork(suffix: string, at: number, flow: Flow): Lane {
    if (!this.scheduler) throw new Error(`lane ${this.key} cannot start other lanes`);
    const lane = this.scheduler.lane(`${this.key}${suffix}`);
    lane.now = this.now;
    lane.spawn(at, flow);
    return lane;
  }

  spawn(at: number, flow: Flow): void {
    this.agenda.push(at, flow);
  }

  nextCommandId(): string {
    return `${this.key}-c${++this.#commands}`;
  }

  nextId(kind: string): string {
    return `${this.key}-${kind}${++this.#ids}`;
  }
}

export class LaneScheduler {
  readonly lanes: Lane[] = [];

  constructor(private readonly clock: CityClock) {}

  lane(key: string): Lane {
    const lane = new Lane(key, this);
    this.lanes.push(lane);
    return lane;
  }

  /**
   * Runs every lane up to `end` (exclusive): rounds of "all lanes run until they wait for a turn
   * or have nothing before `end`", then the turns, until no lane has anything left before `end`.
   */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      // Lanes started during a round run in the next one.
      const ready = this.lanes.filter((l) => !l.waiting && l.agenda.peekAt() < end);
      await Promise.all(ready.map((l) => this.#runLane(l, end)));
      const waiting = this.lanes.filter((l) => l.waiting);
      if (waiting.length === 0) {
        if (ready.length === 0) return;
        continue;
      }
      const byUnit = new Map<string, Lane[]>();
      for (const l of waiting) byUnit.set(l.waiting!.unitId, [...(byUnit.get(l.waiting!.unitId) ?? []), l]);
      await Promise.all(
        [...byUnit.values()].map(async (lanes) => {
          lanes.sort((a, b) => a.now - b.now || (a.key < b.key ? -1 : 1));
          for (const l of lanes) {
            const { flow } = l.waiting!;
            l.waiting = null;
            await this.#step(l, flow, l.now);
          }
        }),
      );
    }
  }

  nextAt(): number {
    return Math.min(...this.lanes.map((l) => l.agenda.peekAt()));
  }

  async #runLane(lane: Lane, end: number): Promise<void> {
    while (!lane.waiting && lane.agenda.peekAt() < end) {
      const { at, item } = lane.agenda.pop()!;
      await this.#step(lane, item, Math.max(at, lane.now));
    }
  }

  async #step(lane: Lane, flow: Flow, at: number): Promise<void> {
    const next = await this.clock.run(lane, at, () => flow.next());
    if (next.done) return;
    if (typeof next.value === 'number') lane.agenda.push(next.value, flow);
    else lane.waiting = { unitId: next.value.numberingTurn, flow };
  }
}
