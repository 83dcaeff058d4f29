import type { FeedPage, FeedPosition, RecordedEvent, Subscription } from '../port.ts';

export interface FeedSubscriptionDeps {
  readPage(from: FeedPosition | null, limit: number): Promise<FeedPage>;
  /** Longest wait between two reads when no wake-up comes (a notified commit may not be visible yet). */
  pollIntervalMs: number;
  batchSize: number;
  onClose(subscription: FeedSubscription): void;
}

/**
 * Follows the global feed. It only ever continues strictly after the last event it handed out,
 * so wake-ups (notifications, local appends, the poll timer) can come in any number and order
 * without losing or repeating an event: they only decide when the next read happens.
 */
export class FeedSubscription implements Subscription {
  #position: FeedPosition | null;
  #closed = false;
  /** Set by every wake-up; a wake-up during a read makes the loop read again instead of sleeping. */
  #woken = false;
  #sleeper: (() => void) | null = null;
  #consumed: 'events' | 'pages' | null = null;
  #events: AsyncGenerator<RecordedEvent, void, undefined> | null = null;

  constructor(
    private readonly deps: FeedSubscriptionDeps,
    from: FeedPosition | null,
  ) {
    this.#position = from;
  }

  /** The position of the last event handed out (or the starting position). */
  get position(): FeedPosition | null {
    return this.#position;
  }

  wake(): void {
    this.#woken = true;
    const sleeper = this.#sleeper;
    this.#sleeper = null;
    sleeper?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (!this.#events) {
      this.#consume('events');
      this.#events = this.#run();
    }
    return this.#events;
  }

  /**
   * The same feed a read at a time: each non-empty page as one array, as soon as it is read. For
   * consumers that work in batches anyway (the projection runner): no per-event hand-over, and
   * the batch is whatever had accumulated since the last read. A subscription is consumed either
   * by events or by pages, once.
   */
  pages(): AsyncGenerator<RecordedEvent[], void, undefined> {
    this.#consume('pages');
    return this.#readPages();
  }

  #consume(how: 'events' | 'pages'): void {
    if (this.#consumed) throw new Error(`this subscription is already consumed (by ${this.#consumed})`);
    this.#consumed = how;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.wake();
    this.deps.onClose(this);
  }

  async *#run(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      while (!this.#closed) {
        this.#woken = false;
        const page = await this.deps.readPage(this.#position, this.deps.batchSize);
        for (const event of page.events) {
          if (this.#closed) return;
          this.#position = event.position;
          yield event;
        }
        if (page.events.length > 0 || this.#woken) continue;
        await this.#sleep();
      }
    } finally {
      await this.close();
    }
  }

  async *#readPages(): AsyncGenerator<RecordedEvent[], void, undefined> {
    try {
      while (!this.#closed) {
        this.#woken = false;
        const page = await this.deps.readPage(this.#position, this.deps.batchSize);
        if (this.#closed) return;
        if (page.events.length > 0) {
          this.#position = page.position;
          yield page.events;
          continue;
        }
        if (this.#woken) continue;
        await this.#sleep();
      }
    } finally {
      await this.close();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleeper = null;
        resolve();
      }, this.deps.pollIntervalMs);
      this.#sleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
