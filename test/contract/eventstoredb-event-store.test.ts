import { randomBytes } from 'node:crypto';
import { EventStoreDbEventStore } from '../../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import { EventStoreDbTestDouble } from '../support/eventstoredb-test-double.ts';
import { testRegistry } from '../support/test-registry.ts';
import { eventStoreContract } from './event-store.contract.ts';

/**
 * The same contract as the PostgreSQL store, on the EventStoreDB adapter: against the wire-level
 * test double in `npm test`, against a real server with `EVENTSTORE_URL=esdb://… npm run
 * test:eventstoredb` (the test streams are new each run, so a shared server is fine).
 */
const realServer = process.env.EVENTSTORE_URL;

eventStoreContract(realServer ? `EventStoreDbEventStore on ${realServer}` : 'EventStoreDbEventStore on the gRPC test double', async () => {
  const double = realServer ? null : await new EventStoreDbTestDouble().start();
  const macKey = randomBytes(32);
  const store = new EventStoreDbEventStore({ url: realServer ?? double!.url, registry: testRegistry, macKey, categories: ['test-'] });
  return {
    store,
    macKey,
    teardown: async () => {
      await store.close();
      await double?.stop();
    },
  };
});
