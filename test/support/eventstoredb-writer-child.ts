// A writer killed by test/contract/eventstoredb-crash.test.ts between the adapter's two writes:
// it appends one command (two events) through the EventStoreDB adapter and would print "done";
// the parent's test double SIGKILLs it while the second write (the events) is in flight.
import { EventStoreDbEventStore } from '../../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import { testRegistry } from './test-registry.ts';

const [url, streamId, commandId, macKeyHex] = process.argv.slice(2);
if (!url || !streamId || !commandId || !macKeyHex) throw new Error('usage: eventstoredb-writer-child <url> <stream> <commandId> <macKeyHex>');
const store = new EventStoreDbEventStore({ url, registry: testRegistry, macKey: Buffer.from(macKeyHex, 'hex'), categories: ['test-'] });
await store.append(streamId, [{ type: 'TestEvent', data: { n: 1, text: 'child' } }, { type: 'TestEvent', data: { n: 2, text: 'child' } }], {
  expectedRevision: 'no_stream',
  commandId,
  commandHash: 'fingerprint-child',
  actor: { userId: 'writer', unitId: 'unit-w', role: 'SYSTEM' },
});
console.log('done');
await store.close();
