import type { RecordedEvent, Subscription } from '../eventstore/port.ts';

const IDLE = Symbol('idle');

/**
 * Groups a subscription's events into batches: everything already at hand (up to `max`) goes in
 * one batch, and a batch is handed out as soon as the subscription would have to wait. So a busy
 * feed is applied in large transactions and a quiet one with no added delay.
 */
export async function* batches(subscription: Subscription, max: number): AsyncGenerator<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  let pending = iterator.next();
  for (;;) {
    const first = await pending;
    if (first.done) return;
    const batch = [first.value];
    pending = iterator.next();
    while (batch.length < max) {
      const next = await Promise.race([pending, new Promise<typeof IDLE>((ok) => setImmediate(() => ok(IDLE)))]);
      if (next === IDLE) break;
      if (next.done) {
        yield batch;
        return;
      }
      batch.push(next.value);
      pending = iterator.next();
    }
    yield batch;
  }
}
