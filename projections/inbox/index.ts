import type pg from 'pg';
import { deliveryEvents, type DeliveryEvent } from '../../schemas/events/delivery.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { unitScopesNamedBy } from '../shared/unit-scopes.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { countDeltas, writeCountDeltas } from './counts.ts';
import { foldInbox, inboxKey, type InboxRow } from './inbox-row.ts';
import { loadInboxRows, writeInboxRows } from './inbox-table.ts';

/**
 * 收文 inbox of every recipient unit: one row per delivered copy, with its status (待签收, 待办,
 * 已办, 已退回, ...), and the counts per status per unit and per assignee.
 *
 * A batch costs three or four round trips whatever its size: load the touched copies, fold the
 * batch in memory, write the copies back in one upsert, then add the count deltas (and drop
 * emptied counters).
 */
export const inboxProjection: Projection = {
  name: 'inbox',
  version: 1,
  handles: new Set(deliveryEvents.map((e) => e.type)),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  indexSql: schemaFile(new URL('./indexes.sql', import.meta.url)),
  tables: ['inbox_items', 'inbox_counts'],
  apply: applyInbox,
  scopesOf: inboxScopes,
};

/** A unit's inbox (list and counts) is its copies' rows: every delivery event names its recipient. */
export function inboxScopes(events: readonly RecordedEvent[]): ReadonlySet<string> | null {
  return unitScopesNamedBy('unitId', events);
}

async function applyInbox(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void> {
  const keys = new Map<string, { documentId: string; unitId: string }>();
  for (const e of events) {
    const { documentId, unitId } = e.data as { documentId: string; unitId: string };
    keys.set(inboxKey(documentId, unitId), { documentId, unitId });
  }
  const before = new Map<string, InboxRow>();
  for (const row of await loadInboxRows(tx, [...keys.values()])) before.set(inboxKey(row.documentId, row.unitId), row);

  const after = new Map<string, InboxRow>();
  for (const e of events) {
    const event = { type: e.type, data: e.data } as DeliveryEvent;
    const key = inboxKey(event.data.documentId, event.data.unitId);
    after.set(key, foldInbox(after.get(key) ?? before.get(key), event));
  }

  await writeInboxRows(tx, [...after.values()]);
  await writeCountDeltas(tx, countDeltas([...after].map(([key, row]) => ({ before: before.get(key), after: row }))));
}
