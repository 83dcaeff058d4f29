import type pg from 'pg';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { foldIssuing, issuingEventTypes, type IssuingEvent, type IssuingRow } from './fold.ts';
import { loadIssuing, writeIssuing } from './store.ts';

/**
 * 发文办理: every document a unit drafts, at the stage of its issuing, for the work lists — a
 * drafter's 起草中, the leaders' 待签发, the seal keepers' 待盖章, the clerks' 待核发 — and their
 * counts. Two round trips per batch: load the touched documents, fold in memory, upsert them.
 */
export const issuingProjection: Projection = {
  name: 'issuing',
  version: 1,
  handles: new Set(issuingEventTypes),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  indexSql: schemaFile(new URL('./indexes.sql', import.meta.url)),
  tables: ['issuing_documents'],
  apply: applyIssuing,
};

async function applyIssuing(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void> {
  const stored = await loadIssuing(tx, [...new Set(events.map((e) => (e.data as { documentId: string }).documentId))]);
  const changed = new Map<string, IssuingRow>();
  for (const e of events) {
    const event = { type: e.type, data: e.data } as IssuingEvent;
    const id = event.data.documentId;
    const next = foldIssuing(changed.get(id) ?? stored.get(id), event);
    if (next) changed.set(id, next);
  }
  await writeIssuing(tx, [...changed.values()]);
}
