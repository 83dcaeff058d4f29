import { START, streamNameFilter, type EventStoreDBClient, type ResolvedEvent } from '@eventstore/db-client';
import type { RecordedEvent, Subscription } from '../port.ts';
import type { EsdbPosition } from './feed-position.ts';

export interface AllSubscriptionOptions {
  client: EventStoreDBClient;
  /** Stream-name prefixes the server filters $all by. */
  prefixes: readonly string[];
  /** Continue after this position (null: from the beginning of $all). */
  from: EsdbPosition | null;
  resubscribeDelayMs: number;
  /** Largest page handed out by pages(). */
  batchSize: number;
  convert: (resolved: ResolvedEvent) => RecordedEvent;
  onClose: (s: AllSubscription) => void;
}

const after = (a: EsdbPosition, b: EsdbPosition) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/**
 * A catch-up subscription to $all (history, then live) that survives the server going away: when
 * the gRPC stream fails or ends, it subscribes again after the last event it handed out, so the
 * reader sees every event once, in order, whatever happened in between. An event that fails its
 * checks (schema, hash, MAC) ends the iteration with that error: it is never skipped.
 */
export class AllSubscription implements Subscription {
  readonly #o: AllSubscriptionOptions;
  #last: EsdbPosition | null;
  #closed = false;
  #current: ReturnType<EventStoreDBClient['subscribeToAll']> | null = null;
  #wake: (() => void) | null = null;
  /** How many times the subscription was opened (1 + reconnects), for operators and tests. */
  opened = 0;

  constructor(options: AllSubscriptionOptions) {
    this.#o = options;
    this.#last = options.from;
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return (async function* (events: AsyncGenerator<{ event: RecordedEvent }>) {
      for await (const { event } of events) yield event;
    })(this.#events());
  }

  /** Pages of what the server sent together (the client has more buffered), at most `batchSize`. */
  async *pages(): AsyncGenerator<RecordedEvent[], void, undefined> {
    let page: RecordedEvent[] = [];
    for await (const { event, more } of this.#events()) {
      page.push(event);
      if (!more || page.length >= this.#o.batchSize) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
  }

  async *#events(): AsyncGenerator<{ event: RecordedEvent; more: boolean }> {
    while (!this.#closed) {
      const sub = this.#o.client.subscribeToAll({
        fromPosition: this.#last ?? START,
        filter: streamNameFilter({ prefixes: [...this.#o.prefixes] }),
      });
      this.#current = sub;
      this.opened++;
      const iterator = sub[Symbol.asyncIterator]();
      try {
        for (;;) {
          let step: IteratorResult<ResolvedEvent>;
          try {
            step = await iterator.next();
          } catch {
            break; // dropped: open again after the last event handed out
          }
          if (step.done || this.#closed) break;
          const raw = step.value.event;
          if (!raw?.position) continue;
          // The server continues after the position given; this guards against a repeat anyway.
          if (this.#last && !after(raw.position, this.#last)) continue;
          const event = this.#o.convert(step.value);
          this.#last = raw.position;
          yield { event, more: sub.readableLength > 0 };
        }
      } finally {
        this.#current = null;
        await sub.unsubscribe().catch(() => {});
      }
      if (!this.#closed) await this.#pause();
    }
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#o.resubscribeDelayMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    const current = this.#current;
    if (current) {
      await current.unsubscribe().catch(() => {});
      current.destroy();
    }
    this.#o.onClose(this);
  }
}
