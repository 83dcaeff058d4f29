/**
 * Appends per second through the EventStoreDB adapter against the gRPC test double
 * (test/support/eventstoredb-test-double.ts), the same workload as bench/append.ts's ledger
 * appends (BENCH_WRITERS writers, 5 events per new stream, BENCH_SECONDS), and the same with one
 * event per command (the usual command). For orientation only: the double keeps its log in memory,
 * so the figure measures the adapter (the plan write, the events write and — for several events —
 * a read-back per command, SM3 hashing, MACs, the gRPC client and wire format), not an
 * EventStoreDB cluster's disk or replication. The double runs in its own process, as a server
 * does: in this process its gRPC work took the CPU of the very event loop being measured.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineEvent } from '../schemas/define.ts';
import { createEventRegistry } from '../schemas/registry.ts';
import { EventStoreDbEventStore } from '../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../src/integrity/ledger-key.ts';
import { forSeconds } from './server.ts';

// BENCH_WRITERS may list several counts for bench/append.ts (`1,8,32`): this section takes the largest.
const WRITERS = Math.max(...(process.env.BENCH_WRITERS ?? '8').split(',').map(Number));
const EVENTS_PER_STREAM = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const BenchEvent = defineEvent('BenchEvent', 1, z.object({ n: z.number().int(), title: z.string(), body: z.string() }));
const registry = createEventRegistry([BenchEvent]);
const payload = (n: number) => ({ n, title: '关于做好电子公文交换工作的通知', body: '各县区人民政府，市直各单位：'.repeat(10) });

const doubleMain = fileURLToPath(new URL('../test/support/eventstoredb-test-double-main.ts', import.meta.url));

/** The test double in a child process on a free port: its URL, and how to stop it. */
async function startDouble(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', doubleMain, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const url = /EVENTSTORE_URL=(\S+)/.exec(line)?.[1];
    if (url) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM');
          if (child.exitCode === null) await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('the EventStoreDB test double did not start');
}

export async function benchEventStoreDbAppend() {
  const double = await startDouble();
  const key = ledgerKeyFromPrivateKey(generateSm2PrivateKey());
  const store = new EventStoreDbEventStore({ url: double.url, registry, macKey: key.macKey, categories: ['bench-'] });
  const actor = { userId: 'bench', unitId: 'bench', role: 'CLERK' as const };
  const run = (eventsPerCommand: number) =>
    forSeconds(WRITERS, SECONDS, async () => {
      const events = Array.from({ length: eventsPerCommand }, (_, n) => ({ type: 'BenchEvent', data: payload(n) }));
      await store.append(`bench-${randomUUID()}`, events, { expectedRevision: 'no_stream', commandId: randomUUID(), actor });
    });
  try {
    const perSecond = await run(EVENTS_PER_STREAM);
    const oneEventPerSecond = await run(1);
    return {
      against: 'gRPC test double (own process, in-memory): adapter cost, not a cluster figure',
      writers: WRITERS,
      eventsPerStream: EVENTS_PER_STREAM,
      seconds: SECONDS,
      appendTransactionsPerSecond: Math.round(perSecond),
      eventsPerSecond: Math.round(perSecond * EVENTS_PER_STREAM),
      oneEventAppendsPerSecond: Math.round(oneEventPerSecond),
    };
  } finally {
    await store.close();
    await double.stop();
  }
}
