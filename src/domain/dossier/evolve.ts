import type { DossierEvent } from '../../../schemas/events/dossier.ts';
import { archivalCodeTemplate } from '../../../archive-formats/archival-code/index.ts';
import { groupKeyOf, itemKeyOf, type Arrangement, type DossierState } from './state.ts';

export function evolveDossier(state: DossierState, event: DossierEvent): DossierState {
  const key = state.key ?? { fonds: event.data.fonds, year: event.data.year };
  switch (event.type) {
    case 'DossierItemArranged': {
      const d = event.data;
      const itemKey = itemKeyOf(d);
      const next: Arrangement = { ...state.arrangements.get(itemKey) };
      if (d.retention !== undefined) next.retention = d.retention;
      if (d.organisationCode !== undefined) next.organisationCode = d.organisationCode;
      if (d.archivistTitle !== undefined) next.archivistTitle = d.archivistTitle;
      if (d.pages !== undefined) next.pages = d.pages;
      if (d.remarks !== undefined) next.remarks = d.remarks;
      return {
        ...state,
        key,
        arrangements: new Map(state.arrangements).set(itemKey, next),
        moves: d.position === undefined ? state.moves : [...state.moves, { itemKey, position: d.position }],
      };
    }
    case 'DossierClosed': {
      const d = event.data;
      const template = state.template ?? d.archivalCodeTemplate;
      const usesOrganisation = archivalCodeTemplate(template.id, template.pattern).usesOrganisation;
      const frozen = new Map(state.frozen);
      const last = new Map(state.lastItemNo);
      for (const item of d.items) {
        frozen.set(itemKeyOf(item), item);
        const g = groupKeyOf(item.retention, item.organisationCode, usesOrganisation);
        last.set(g, Math.max(last.get(g) ?? 0, item.itemNo));
      }
      return { ...state, key, frozen, lastItemNo: last, batches: Math.max(state.batches, d.batch), template };
    }
    case 'DossierExportRequested':
      return { ...state, key, exports: new Map(state.exports).set(event.data.exportId, 'requested') };
    case 'DossierExported':
      return { ...state, key, exports: new Map(state.exports).set(event.data.exportId, 'exported') };
    case 'DossierExportFailed':
      return { ...state, key, exports: new Map(state.exports).set(event.data.exportId, 'failed') };
  }
}
