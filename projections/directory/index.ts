import type pg from 'pg';
import { directoryEvents } from '../../schemas/events/directory.ts';
import { sealEvents } from '../../schemas/events/seal.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { foldDirectory, touchedKeys } from './fold.ts';
import { loadDirectoryState, saveDirectoryState } from './store.ts';

/**
 * Load the rows the batch touches (one query per table), fold the batch in memory in feed order,
 * write the changed rows back (one upsert per table) and the seal uses (one insert).
 */
async function apply(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void> {
  const state = await loadDirectoryState(tx, touchedKeys(events), events.some((e) => e.type === 'DocumentSealed'));
  foldDirectory(state, events);
  await saveDirectoryState(tx, state);
}

/** Units, users and their credentials, seals, and the seal usage log with its anomalies. */
export const directoryProjection: Projection = {
  name: 'directory',
  // 3: WEEKEND / OFF_HOURS on the working-day calendar (holidays, 调休, office hours).
  version: 3,
  handles: new Set([...directoryEvents.map((d) => d.type), ...sealEvents.map((d) => d.type), 'DocumentSealed']),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  tables: ['directory_units', 'directory_users', 'directory_credentials', 'directory_seals', 'directory_seal_usage'],
  apply,
};
