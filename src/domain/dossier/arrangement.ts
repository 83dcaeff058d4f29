import type { ArchivalCodeTemplate, RetentionCode } from '../../../archive-formats/archival-code/index.ts';
import type { FrozenItem } from '../../../schemas/events/dossier.ts';
import { groupKeyOf, itemKeyOf, type DossierState } from './state.ts';

/** A filed item as the catalogue holds it before closing (its provisional place and fields). */
export interface FiledItem {
  documentId: string;
  unitId: string;
  side: 'sent' | 'incoming';
  fondsCode: string | null;
  retention: RetentionCode;
  organisationCode: string | null;
  title: string;
  docNumber: string;
  responsible: string;
  date: string;
  classification: string;
  pages: number | null;
  /** 页数 of the document's recorded fixed-layout rendering (DocumentRendered), when one is recorded. */
  renderedPages?: number | null;
  remarks: string;
  filedAt: string;
}

/**
 * 页数 of an item — the one rule. A document whose fixed-layout rendering (版式文件) is recorded
 * has that file's pages: the archive receives that very file as the 主文档, and its metadata must
 * say what the file holds (DA/T 70-2018 真实性: file properties = metadata; check-package compares
 * them). Otherwise the archivist's count, else the one given at filing. An archivist's 页数 set
 * before the rendering was recorded gives way to it at closing.
 */
export function pagesOf(filed: FiledItem, arrangedPages: number | null | undefined): number | null {
  if (filed.renderedPages !== undefined && filed.renderedPages !== null) return filed.renderedPages;
  return arrangedPages !== undefined ? arrangedPages : filed.pages;
}

const RANK: Readonly<Record<RetentionCode, number>> = { Y: 1, D30: 2, D10: 3 };

/**
 * The final arrangement of the items not yet frozen: the archivist's changes applied, grouped by
 * retention (and organisation when the template numbers by it), in filing order within each group
 * except where the archivist moved an item, then numbered on from each group's last frozen 件号.
 * Pure: the same state and items always give the same numbers.
 */
export function arrange(state: DossierState, year: number, filed: readonly FiledItem[], template: ArchivalCodeTemplate): FrozenItem[] {
  const open = filed
    .filter((f) => !state.frozen.has(itemKeyOf(f)))
    .map((f) => {
      const a = state.arrangements.get(itemKeyOf(f)) ?? {};
      const archivistTitle = a.archivistTitle ?? null;
      return {
        filed: f,
        retention: a.retention ?? f.retention,
        organisationCode: a.organisationCode !== undefined ? a.organisationCode : f.organisationCode,
        title: archivistTitle ?? f.title,
        archivistTitle: archivistTitle !== null,
        pages: pagesOf(f, a.pages),
        remarks: a.remarks !== undefined ? (a.remarks ?? '') : f.remarks,
      };
    });
  type Open = (typeof open)[number];
  const groups = new Map<string, Open[]>();
  // Filing order: the time of filing, then the ids, so that equal times still give one order.
  open.sort((x, y) => x.filed.filedAt.localeCompare(y.filed.filedAt) || itemKeyOf(x.filed).localeCompare(itemKeyOf(y.filed)));
  for (const o of open) {
    const g = groupKeyOf(o.retention, o.organisationCode, template.usesOrganisation);
    const list = groups.get(g) ?? [];
    list.push(o);
    groups.set(g, list);
  }
  for (const move of state.moves) {
    for (const list of groups.values()) {
      const at = list.findIndex((o) => itemKeyOf(o.filed) === move.itemKey);
      if (at < 0) continue;
      const [o] = list.splice(at, 1);
      list.splice(Math.min(move.position - 1, list.length), 0, o!);
    }
  }
  const order = [...groups.entries()].sort(([a, la], [b, lb]) => RANK[la[0]!.retention] - RANK[lb[0]!.retention] || a.localeCompare(b));
  const out: FrozenItem[] = [];
  for (const [g, list] of order) {
    let n = state.lastItemNo.get(g) ?? 0;
    for (const o of list) {
      n += 1;
      out.push({
        documentId: o.filed.documentId,
        unitId: o.filed.unitId,
        side: o.filed.side,
        retention: o.retention,
        organisationCode: o.organisationCode,
        itemNo: n,
        archivalCode: template.format({
          fondsCode: o.filed.fondsCode,
          year,
          retention: o.retention,
          organisation: template.usesOrganisation ? o.organisationCode : null,
          itemNo: n,
        }),
        title: o.title,
        archivistTitle: o.archivistTitle,
        docNumber: o.filed.docNumber,
        responsible: o.filed.responsible,
        date: o.filed.date,
        classification: o.filed.classification,
        pages: o.pages,
        remarks: o.remarks,
        filedAt: o.filed.filedAt,
      });
    }
  }
  return out;
}
