import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { foldBatch, SEARCH_EVENTS, unitsToLoad } from './fold.ts';
import { loadUnits, writeBatch } from './store.ts';

/**
 * search: full-text search over documents' titles, 发文字号, issuers and bodies, with Chinese
 * segmentation done by the application (segment.ts) and stored as weighted tsvectors. Each row
 * also records who may see the document (the issuer and the units it was sent to).
 */
export const searchProjection: Projection = {
  name: 'search',
  // 2: urgency, classification, 成文日期 and the sort date, for searchDocuments' filters and orders.
  version: 2,
  handles: new Set(SEARCH_EVENTS),
  schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
  indexSql: schemaFile(new URL('./indexes.sql', import.meta.url)),
  tables: ['search_bodies', 'search_documents', 'search_units'],
  async apply(tx, events) {
    const units = await loadUnits(tx, unitsToLoad(events));
    const folded = foldBatch(events, units);
    await writeBatch(tx, units, folded.units, folded.renamed, folded.patches.values());
  },
};
