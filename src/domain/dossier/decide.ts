import { archivalCodeTemplate, type ArchivalCodeTemplate } from '../../../archive-formats/archival-code/index.ts';
import type { DossierCommand } from '../../../schemas/commands/dossier.ts';
import type { DossierEvent } from '../../../schemas/events/dossier.ts';
import type { DecisionContext } from '../decider.ts';
import { refuse } from '../refusal.ts';
import { arrange, pagesOf, type FiledItem } from './arrangement.ts';
import { itemKeyOf, type DossierState } from './state.ts';

export interface DossierContext extends DecisionContext {
  /** The fonds of the acting archivist's unit (its 全宗号, or unit:<unitId>); null for the ledger itself. */
  actorFonds: string | null;
  /** The items filed into this fonds and year, as the catalogue holds them now. */
  filed: readonly FiledItem[];
  /** The 档号 form configured for this fonds (used when the first batch closes). */
  template: ArchivalCodeTemplate;
  fondsName: string;
  /** Whether the export profile asked for exists (RequestDossierExport). */
  profileExists?: (name: string) => boolean;
}

type Event<T extends DossierEvent['type']> = Extract<DossierEvent, { type: T }>;

const yearWord = (fonds: string, year: number) => `全宗 ${fonds} ${year} 年度`;

/**
 * The yearly dossier of one fonds: 整理 (arrangement) while open, 关卷 (closing, which freezes 档号
 * and 件号), supplementary batches for late filings, and the export packages of what is closed.
 */
export function decideDossier(command: DossierCommand, state: DossierState, ctx: DossierContext): DossierEvent[] {
  const { fonds, year } = command.data;
  if (command.type !== 'RecordDossierExport' && ctx.actor.role !== 'SYSTEM' && ctx.actorFonds !== fonds) {
    refuse('NOT_AUTHORISED', `只有本全宗的档案员可以办理${yearWord(fonds, year)}的归档文件 (archivists of fonds ${fonds} only)`, {
      fonds,
      actorFonds: ctx.actorFonds,
    });
  }
  switch (command.type) {
    case 'ArrangeDossierItem': {
      const d = command.data;
      const key = itemKeyOf(d);
      if (state.frozen.has(key)) {
        refuse('INVALID_STATE', `该件已于关卷时固定档号「${state.frozen.get(key)!.archivalCode}」，不能再调整 (item frozen by closing)`, { documentId: d.documentId, unitId: d.unitId });
      }
      const filed = ctx.filed.find((f) => itemKeyOf(f) === key);
      if (!filed) {
        return refuse('NOT_FOUND', `${yearWord(fonds, year)}没有单位 ${d.unitId} 归档的公文「${d.documentId}」(no such filed item)`, { documentId: d.documentId, unitId: d.unitId });
      }
      if (d.pages !== undefined && pagesOf(filed, d.pages) !== d.pages) {
        refuse(
          'VALIDATION_FAILED',
          `该件的版式文件（账本记录的 PDF）有 ${filed.renderedPages} 页，页数以版式文件为准，不能${d.pages === null ? '清空' : `登记为 ${d.pages} 页`} (pages contradict the recorded rendering)`,
          { field: 'pages', pages: d.pages, renderedPages: filed.renderedPages, documentId: d.documentId, unitId: d.unitId },
        );
      }
      const { commandId: _, ...fields } = d;
      return [{ type: 'DossierItemArranged', data: { ...fields, arrangedBy: ctx.actor.userId, arrangedAt: ctx.now } }];
    }
    case 'CloseDossier': {
      const template = state.template ? archivalCodeTemplate(state.template.id, state.template.pattern) : ctx.template;
      const items = arrange(state, year, ctx.filed, template);
      if (items.length === 0) {
        if (state.batches > 0) refuse('INVALID_STATE', `${yearWord(fonds, year)}已关卷，之后没有新归档的文件 (already closed, nothing filed since)`, { batches: state.batches });
        refuse('INVALID_STATE', `${yearWord(fonds, year)}没有已归档的文件，无卷可关 (nothing filed in that year)`);
      }
      const closed: Event<'DossierClosed'> = {
        type: 'DossierClosed',
        data: {
          fonds,
          year,
          fondsCode: fonds.startsWith('unit:') ? null : fonds,
          fondsName: ctx.fondsName,
          batch: state.batches + 1,
          archivalCodeTemplate: { id: template.id, pattern: template.pattern },
          items,
          closedBy: ctx.actor.userId,
          closedAt: ctx.now,
        },
      };
      return [closed];
    }
    case 'RequestDossierExport': {
      const d = command.data;
      if (state.batches === 0) {
        refuse('INVALID_STATE', `${yearWord(fonds, year)}尚未关卷，请先关卷（closeDossier，或命令行 gongwen close-dossier --year ${year} --fonds ${fonds}）(dossier not closed)`, { fonds, year });
      }
      if (ctx.profileExists && !ctx.profileExists(d.profile)) {
        refuse('NOT_FOUND', `没有名为「${d.profile}」的移交配置 (no such export profile)`, { profile: d.profile });
      }
      if (state.exports.has(d.exportId)) refuse('ALREADY_EXISTS', `导出任务「${d.exportId}」已存在 (export id taken)`, { exportId: d.exportId });
      return [{ type: 'DossierExportRequested', data: { fonds, year, exportId: d.exportId, profile: d.profile, requestedBy: ctx.actor.userId, requestedAt: ctx.now } }];
    }
    case 'RecordDossierExport': {
      const d = command.data;
      if (state.exports.get(d.exportId) !== 'requested') {
        refuse('INVALID_STATE', `导出任务「${d.exportId}」不在进行中 (export not pending)`, { exportId: d.exportId, status: state.exports.get(d.exportId) ?? 'none' });
      }
      if (!d.outcome.ok) return [{ type: 'DossierExportFailed', data: { fonds, year, exportId: d.exportId, reason: d.outcome.reason, failedAt: ctx.now } }];
      const { ok: _, ...o } = d.outcome;
      return [{ type: 'DossierExported', data: { fonds, year, exportId: d.exportId, ...o, exportedAt: ctx.now } }];
    }
  }
}
