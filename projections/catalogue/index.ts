import { DAT22_2015, resolveArchivalCodeTemplate, type ArchivalCodeTemplate } from '../../archive-formats/archival-code/index.ts';
import { schemaFile, type Projection } from '../../src/projections/projection.ts';
import { CATALOGUE_EVENTS, numberItems, resolveBatch, touchedKeys, type CatalogueConfig } from './fold.ts';
import { loadCounters, loadDocuments, loadUnits, writeBatch } from './store.ts';

/**
 * catalogue: the archivists' view — every filed item of every fonds (全宗) with its 年度, 保管期限,
 * 件号 and 档号, and the columns of the 归档文件目录. Both ends file: the issuer its sent document,
 * each recipient its incoming copy into its own fonds.
 */

// 2: 页数 from the recorded rendering (DocumentRendered).
const BASE_VERSION = 2;
const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface CatalogueOptions {
  /** GONGWEN_TIMEZONE: dates and years are reckoned there. */
  timeZone?: string;
  /** A template, or its configuration spec (see archive-formats/archival-code). Default DA/T 22-2015. */
  archivalCode?: ArchivalCodeTemplate | string;
}

/**
 * The time zone and the 档号 template decide the stored 年度, 件号 and 档号, so they are part of
 * the projection's version: changing either makes the runner rebuild the catalogue instead of
 * leaving rows made under the old rule beside new ones.
 */
function versionFor(config: CatalogueConfig): number {
  if (config.timeZone === DEFAULT_TIME_ZONE && config.template.pattern === DAT22_2015.pattern) return BASE_VERSION;
  let h = 0x811c9dc5;
  for (const ch of `${config.timeZone}\n${config.template.pattern}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return BASE_VERSION + 1000 * (1 + (h % 1_000_000));
}

export function createCatalogueProjection(opts: CatalogueOptions = {}): Projection {
  const template = typeof opts.archivalCode === 'string' ? resolveArchivalCodeTemplate(opts.archivalCode) : (opts.archivalCode ?? DAT22_2015);
  const config: CatalogueConfig = { timeZone: opts.timeZone ?? DEFAULT_TIME_ZONE, template };
  // Fail at start-up on an unknown zone rather than on the first filing.
  new Intl.DateTimeFormat('en', { timeZone: config.timeZone });
  return {
    name: 'catalogue',
    version: versionFor(config),
    handles: new Set(CATALOGUE_EVENTS),
    schemaSql: schemaFile(new URL('./schema.sql', import.meta.url)),
    tables: ['catalogue_items', 'catalogue_groups', 'catalogue_documents', 'catalogue_units'],
    async apply(tx, events) {
      const keys = touchedKeys(events);
      const units = await loadUnits(tx, keys.unitIds);
      const documents = await loadDocuments(tx, keys.documentIds);
      const resolved = resolveBatch(events, units, documents, config);
      const counters = await loadCounters(tx, resolved.pending);
      const items = numberItems(resolved.pending, counters, config.template);
      await writeBatch(
        tx,
        [...resolved.units].map((id) => units.get(id)!),
        [...resolved.documents].map((id) => documents.get(id)!),
        items,
        counters,
        resolved.rendered,
      );
    },
  };
}

export const catalogueProjection: Projection = createCatalogueProjection();
