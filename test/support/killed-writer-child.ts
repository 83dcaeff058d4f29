// A writer that is killed mid-flight by test/integration/killed-writer.test.ts. It appends
// multi-event batches to a few streams in tight concurrent loops and reports each commit on
// stdout ("appended <stream> <revision>"), so the parent knows appends are landing when it
// sends SIGKILL. Nothing here cleans up: dying without warning is the point.
import { createPool } from '../../src/db/database.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { testRegistry } from './test-registry.ts';

const url = process.env.KILLED_WRITER_DATABASE_URL;
const macKeyHex = process.env.KILLED_WRITER_MAC_KEY;
const prefix = process.env.KILLED_WRITER_PREFIX ?? 'killed';
const streamCount = Number(process.env.KILLED_WRITER_STREAMS ?? 4);
if (!url || !macKeyHex) throw new Error('KILLED_WRITER_DATABASE_URL and KILLED_WRITER_MAC_KEY are required');

const pool = createPool(url, { max: streamCount });
pool.on('error', () => {});
const store = new PostgresEventStore({ pool, registry: testRegistry, macKey: Buffer.from(macKeyHex, 'hex') });
const actor = { userId: 'writer', unitId: 'unit-w', role: 'SYSTEM' as const };

async function writeForever(streamId: string, seed: number): Promise<never> {
  const current = await store.readStream(streamId);
  let revision = current.revision;
  for (let i = 0; ; i++) {
    const size = 2 + ((seed + i) % 4);
    const events = Array.from({ length: size }, (_, k) => ({ type: 'TestEvent', data: { n: i * 10 + k, text: `${streamId} batch ${i}` } }));
    const result = await store.append(streamId, events, {
      expectedRevision: revision === null ? 'no_stream' : revision,
      commandId: `${streamId}-${process.pid}-${i}`,
      commandHash: `batch-${i}`,
      actor,
    });
    revision = result.revision;
    process.stdout.write(`appended ${streamId} ${revision}\n`);
  }
}

await Promise.all(Array.from({ length: streamCount }, (_, s) => writeForever(`${prefix}-${s}`, s)));
