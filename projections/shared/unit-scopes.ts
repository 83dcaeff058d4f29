import type { RecordedEvent } from '../../src/eventstore/port.ts';

/**
 * The read cache's scopes (`unit:<id>`) of a batch whose rows are each one unit's, named by `field`
 * of every event's data (Projection.scopesOf); null — not known, the whole projection changed — as
 * soon as one event does not name it.
 */
export function unitScopesNamedBy(field: string, events: readonly RecordedEvent[]): ReadonlySet<string> | null {
  const scopes = new Set<string>();
  for (const e of events) {
    const unitId = (e.data as Record<string, unknown> | null)?.[field];
    if (typeof unitId !== 'string') return null;
    scopes.add(`unit:${unitId}`);
  }
  return scopes;
}
