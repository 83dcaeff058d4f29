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
  readonly #iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly deps: FeedSubscriptionDeps,
    from: FeedPosition | null,
  ) {
    this.#position = from;
    this.#iterator = this.#run();
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
    return this.#iterator;
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
