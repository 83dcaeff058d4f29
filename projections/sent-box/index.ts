import type pg from 'pg';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { unitScopesNamedBy } from '../shared/unit-scopes.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { foldSent, sentBoxEventTypes, summarise, type SentBoxEvent, type SentEntry } from './sent-row.ts';
import { clearRecipients, loadEntries, writeDocuments, writeRecipients } from './sent-table.ts';

/**
 * 发文 sent box of every issuing unit: one row per sent document with its receipt counts, and one
 * row per (document, recipient) with that copy's status and receipt (回执).
 *
 * A batch costs four round trips whatever its size: load the touched documents with all their
 * recipients (the counters are recomputed from them, so they can never drift), fold in memory,
 * upsert the documents, upsert only the recipient rows that changed.
 */
export const sentBoxProjection: Projection = {
  name: 'sent-box',
  version: 1,
  handles: new Set(sentBoxEventTypes),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  indexSql: schemaFile(new URL('./indexes.sql', import.meta.url)),
  tables: ['sent_box_documents', 'sent_box_recipients'],
  apply: applySentBox,
  scopesOf: sentBoxScopes,
};

/**
 * A unit's sent box is the rows of the documents it issued. Document events and a delivery name
 * the issuer; the later delivery events (a receipt, a return, handling) name only the recipient,
 * so from the events alone those are unknown (null). `apply` knows better: it loads the documents.
 */
export function sentBoxScopes(events: readonly RecordedEvent[]): ReadonlySet<string> | null {
  return unitScopesNamedBy('issuerUnitId', events);
}

/** Returns the issuers of the documents it wrote (sentBoxScopes' scopes, known for every event here). */
async function applySentBox(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<ReadonlySet<string>> {
  const documentIds = [...new Set(events.map((e) => (e.data as { documentId: string }).documentId))];
  const stored = await loadEntries(tx, documentIds);

  const entries = new Map<string, SentEntry>();
  /** documentId → the units whose rows changed; null when the whole list was (re)written. */
  const changed = new Map<string, Set<string> | null>();
  const resent: string[] = [];
  for (const e of events) {
    const event = { type: e.type, data: e.data } as SentBoxEvent;
    const id = event.data.documentId;
    const previous = entries.get(id) ?? stored.get(id);
    const next = foldSent(previous, event);
    entries.set(id, next.entry);
    if (next.changed === '*') {
      if (stored.has(id) && !resent.includes(id)) resent.push(id);
      changed.set(id, null);
    } else if (next.changed !== null) {
      const units = changed.get(id);
      if (units) units.add(next.changed);
      else if (units === undefined) changed.set(id, new Set([next.changed]));
    }
  }

  await writeDocuments(tx, [...entries.values()].map(summarise));
  await clearRecipients(tx, resent);
  await writeRecipients(
    tx,
    [...changed].flatMap(([id, units]) => entries.get(id)!.recipients.filter((r) => units === null || units.has(r.unitId))),
  );
  return new Set([...entries.values()].map((e) => `unit:${e.document.issuerUnitId}`));
}
