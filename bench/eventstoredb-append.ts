/**
 * Appends per second through the EventStoreDB adapter against the gRPC test double
 * (test/support/eventstoredb-test-double.ts), the same workload as bench/append.ts's ledger
 * appends (BENCH_WRITERS writers, 5 events per new stream, BENCH_SECONDS). For orientation only:
 * the double keeps its log in memory in this very process, so the figure measures the adapter
 * (two writes and a read-back per command, SM3 hashing, MACs, the gRPC client and wire format),
 * not an EventStoreDB cluster's disk or replication.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { EventStoreDbEventStore } from '../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../src/integrity/ledger-key.ts';
import { EventStoreDbTestDouble } from '../test/support/eventstoredb-test-double.ts';
import { forSeconds } from './server.ts';

const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });

export async function benchEventStoreDbAppend() {
  const double = await new EventStoreDbTestDouble().start();
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new EventStoreDbEventStore({ url: double.url, registry, macKey: key.macKey, categories: ['bench-'] });
  const actor = { userId: 'bench', unitId: 'bench', role: 'CLERK' as const };
  try {
    const perSecond = await forSeconds(WRITERS, SECONDS, async () => {
      const events = Array.from({ length: EVENTS_PER_STREAM }, (_, n) => ({ type: 'BenchEvent', data: payload(n) }));
      await store.append(`bench-${randomUUID()}`, events, { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
    });
    return {
      against: 'gRPC test double (in-process, in-memory): adapter cost, not a cluster figure',
      writers: WRITERS,
      eventsPerStream: EVENTS_PER_STREAM,
      seconds: SECONDS,
      appendTransactionsPerSecond: Math.round(perSecond),
      eventsPerSecond: Math.round(perSecond * EVENTS_PER_STREAM),
    };
  } finally {
    await store.close();
    await double.stop();
  }
}
