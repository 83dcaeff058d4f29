import { EventStoreDbTestDouble } from './eventstoredb-test-double.ts';

/**
 * Runs the EventStoreDB TEST DOUBLE (in memory, gone when this process ends) on a port, for trying
 * `gongwen demo` / `gongwen serve` with EVENT_STORE=eventstoredb without a real server:
 *
 *   npx tsx test/support/eventstoredb-test-double-main.ts [port]     (default 2113)
 */
const port = Number(process.argv[2] ?? 2113);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: npx tsx test/support/eventstoredb-test-double-main.ts [port]');
  process.exit(2);
}
const double = await new EventStoreDbTestDouble().start(port);
console.log(`EventStoreDB test double (in memory, not a real server) listening: EVENTSTORE_URL=${double.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void double.stop().then(() => process.exit(0)));
}
