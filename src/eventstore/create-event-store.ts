import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { categoryOf, streams } from '../domain/streams.ts';
import type { EventRegistry } from '../../schemas/registry.ts';
import type { EventStore } from './port.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';

/**
 * The stream-name prefixes of the ledger (`document-`, `delivery-`, …), taken from the one place
 * stream names are spelled, so a new kind of stream is covered without a second list.
 */
export function ledgerStreamCategories(): string[] {
  const sample = (make: (...args: never[]) => string) => (make as (...args: unknown[]) => string)('x', 'x', 2000);
  return [...new Set(Object.values(streams).map((make) => `${categoryOf(sample(make))}-`))];
}

/**
 * The event store EVENT_STORE names: PostgreSQL on the ledger's pool, or EventStoreDB at
 * EVENTSTORE_URL — whose client (gRPC, ~25 MB resident) is loaded only when it is the one named.
 */
export async function createEventStore(config: Config, o: { pool: pg.Pool; registry: EventRegistry; macKey: Buffer; clock?: () => Date }): Promise<EventStore> {
  if (config.EVENT_STORE === 'eventstoredb') {
    const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store.ts');
    return new EventStoreDbEventStore({ url: config.EVENTSTORE_URL!, registry: o.registry, macKey: o.macKey, categories: ledgerStreamCategories(), ...(o.clock ? { clock: o.clock } : {}) });
  }
  return new PostgresEventStore({ pool: o.pool, registry: o.registry, macKey: o.macKey, ...(o.clock ? { clock: o.clock } : {}) });
}
