import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedSubscription, HIDDEN_COMMIT_RETRY_MS } from '../../src/eventstore/postgres/feed-subscription.ts';
import { encodeFeedPosition } from '../../src/eventstore/postgres/feed-position.ts';
import type { FeedPage, FeedPosition, RecordedEvent } from '../../src/eventstore/port.ts';

/**
 * A commit this process made can be hidden from the feed for a few milliseconds, behind an older
 * transaction still open; that transaction's end wakes no one. The subscriber reads again shortly
 * while such a commit is known and unseen, instead of sleeping for the poll interval — and only then.
 */

const event = (n: number) => ({ eventId: `e${n}`, type: 'T', position: encodeFeedPosition('100', n) }) as unknown as RecordedEvent;

/** A feed whose `visible` events are shown; every read is counted. */
function feed(visible: RecordedEvent[]) {
  const reads: number[] = [];
  const started = Date.now();
  const readPage = async (from: FeedPosition | null): Promise<FeedPage> => {
    reads.push(Date.now() - started);
    const after = from === null ? visible : visible.slice(visible.findIndex((e) => e.position === from) + 1);
    return { events: after, position: after.at(-1)?.position ?? from };
  };
  const subscription = new FeedSubscription({ readPage, pollIntervalMs: 60_000, batchSize: 100, onClose: () => {} }, null);
  return { reads, subscription };
}

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

test('a known commit hidden at the first read is handed out within milliseconds, not at the poll', async () => {
  const visible: RecordedEvent[] = [];
  const { subscription } = feed(visible);
  const it = subscription[Symbol.asyncIterator]();
  const next = it.next();
  await pause(5); // the first read found nothing; the subscriber sleeps
  // The append has committed, but an older transaction still hides it for 15 ms.
  subscription.wake(event(1).position);
  setTimeout(() => visible.push(event(1)), 15);
  const started = Date.now();
  const got = await Promise.race([next, pause(2_000).then(() => null)]);
  assert.ok(got && !got.done, 'handed out before the poll interval');
  assert.equal(got.value.eventId, 'e1');
  assert.ok(Date.now() - started < 500, `within ${Date.now() - started} ms`);
  await subscription.close();
});

test('a wake-up without a position (another process’s NOTIFY), or for a commit already shown, makes one read, no re-reads', async () => {
  const visible = [event(1)];
  const { reads, subscription } = feed(visible);
  const it = subscription[Symbol.asyncIterator]();
  assert.equal((await it.next()).value.eventId, 'e1');
  const pending = it.next();
  await pause(20);
  const before = reads.length;
  subscription.wake(); // NOTIFY: nothing known to wait for
  await pause(20);
  subscription.wake(event(1).position); // shown already
  await pause(HIDDEN_COMMIT_RETRY_MS.reduce((a, b) => a + b, 0) + 50);
  assert.equal(reads.length - before, 2, `reads after the two wake-ups: ${reads.slice(before).join(', ')} ms`);
  await subscription.close();
  await pending;
});

test('the quick re-reads for a commit that stays hidden stop after the last pause; the poll interval takes over', async () => {
  const { reads, subscription } = feed([]);
  const it = subscription[Symbol.asyncIterator]();
  const pending = it.next();
  await pause(5);
  const before = reads.length;
  subscription.wake(event(7).position);
  await pause(HIDDEN_COMMIT_RETRY_MS.reduce((a, b) => a + b, 0) + 300);
  assert.equal(reads.length - before, 1 + HIDDEN_COMMIT_RETRY_MS.length);
  await subscription.close();
  await pending;
});
