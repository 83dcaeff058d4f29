import type { z } from 'zod';
import type { ArchivalCodeTemplate, RetentionCode } from '../../archive-formats/archival-code/index.ts';
import type { IncomingFiled } from '../../schemas/events/delivery.ts';
import type { UnitRegistered, UnitRenamed } from '../../schemas/events/directory.ts';
import type { DocumentFiled, DocumentSent, DocumentSignedOff } from '../../schemas/events/document.ts';
import type { DocumentRendered } from '../../schemas/events/rendering.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { localDate } from './dates.ts';

/**
 * The catalogue's fold, free of I/O: given the rows a batch touches, it applies the batch's events
 * in feed order (phase 1 resolves every filing to its fonds, year, retention and organisation;
 * phase 2 gives each its 件号 once the groups' counters are loaded).
 */

type Data<D extends { data: z.ZodType }> = z.infer<D['data']>;

export interface CatalogueConfig {
  /** The ledger's time zone: the 日期 column and the 年度 are calendar dates there. */
  timeZone: string;
  template: ArchivalCodeTemplate;
}

export interface UnitRow {
  unitId: string;
  name: string;
  fondsCode: string | null;
  organisationCode: string | null;
}

export interface DocumentRow {
  documentId: string;
  issuerUnitId: string;
  signedOffAt: string | null;
  title: string | null;
  docNumber: string | null;
  issuerName: string | null;
  /** Pages of the document's latest recorded rendering (版式文件), or null when none is recorded. */
  renderedPages: number | null;
}

export type Side = 'sent' | 'incoming';

export interface ItemRow {
  documentId: string;
  /** The unit that filed the item (issuer for `sent`, recipient for `incoming`). */
  unitId: string;
  side: Side;
  fondsKey: string;
  fondsCode: string | null;
  year: number;
  retention: RetentionCode;
  retentionRank: number;
  organisationCode: string | null;
  /** The organisation the 件号 run belongs to: the organisation, or '' when the template numbers without it. */
  groupOrg: string;
  itemNo: number;
  archivalCode: string;
  docNumber: string | null;
  responsible: string;
  title: string;
  /** yyyymmdd */
  documentDate: string;
  classification: string;
  pages: number | null;
  remarks: string | null;
  recalled: boolean;
  filedBy: string;
  filedAt: string;
}

export type PendingItem = Omit<ItemRow, 'itemNo' | 'archivalCode'>;

/** 永久 first, then 定期30年, then 定期10年: the order archives list their catalogues in. */
export const RETENTION_RANK: Readonly<Record<RetentionCode, number>> = { Y: 1, D30: 2, D10: 3 };

/** A unit without a 全宗号 still has its fonds; it is keyed by the unit so that it never mixes with a coded one. */
export const fondsKeyOf = (fondsCode: string | null, unitId: string): string => fondsCode ?? `unit:${unitId}`;

export const groupKeyOf = (i: Pick<PendingItem, 'fondsKey' | 'year' | 'retention' | 'groupOrg'>): string =>
  JSON.stringify([i.fondsKey, i.year, i.retention, i.groupOrg]);

export const CATALOGUE_EVENTS = ['UnitRegistered', 'UnitRenamed', 'DocumentSignedOff', 'DocumentSent', 'DocumentFiled', 'IncomingFiled', 'DocumentRendered'] as const;

/** The rows a batch needs loaded before it can be folded. */
export function touchedKeys(events: readonly RecordedEvent[]): { unitIds: string[]; documentIds: string[] } {
  const units = new Set<string>();
  const documents = new Set<string>();
  for (const e of events) {
    const d = e.data as { unitId?: string; issuerUnitId?: string; documentId?: string };
    if (d.unitId) units.add(d.unitId);
    if (d.issuerUnitId) units.add(d.issuerUnitId);
    if (d.documentId) documents.add(d.documentId);
  }
  return { unitIds: [...units], documentIds: [...documents] };
}

export interface ResolvedBatch {
  units: Set<string>;
  documents: Set<string>;
  pending: PendingItem[];
  /** Documents whose rendering was recorded in the batch: their filed rows take its page count. */
  rendered: Map<string, number>;
}

/*
 * 年度 rule. DA/T 22-2015 arranges items by the year the document was formed (形成年度), and the
 * catalogue's 日期 column is the 成文日期. Taking the 年度 from that same date, on the issuing side
 * and on every receiving side, keeps the year in the 档号 consistent with the row's 日期 (a check
 * of 四性检测) and gives a document one 年度 in every fonds that holds it, so the issuer's and the
 * recipients' catalogues can be matched. The date of receipt would put a late-December document
 * into different years at the two ends; the 文号's year is the year of sealing, not of forming.
 */

/**
 * Phase 1. Updates `units` and `documents` in place (the caller writes back the ones named in the
 * result) and returns the batch's filings in feed order, resolved but not yet numbered.
 */
export function resolveBatch(
  events: readonly RecordedEvent[],
  units: Map<string, UnitRow>,
  documents: Map<string, DocumentRow>,
  config: CatalogueConfig,
): ResolvedBatch {
  const out: ResolvedBatch = { units: new Set(), documents: new Set(), pending: [], rendered: new Map() };
  const unit = (unitId: string, why: string): UnitRow => {
    const u = units.get(unitId);
    if (!u) throw new Error(`catalogue: ${why} names unit ${unitId}, which was never registered`);
    return u;
  };
  const document = (documentId: string, issuerUnitId: string): DocumentRow => {
    let d = documents.get(documentId);
    if (!d) {
      d = { documentId, issuerUnitId, signedOffAt: null, title: null, docNumber: null, issuerName: null, renderedPages: null };
      documents.set(documentId, d);
    }
    out.documents.add(documentId);
    return d;
  };
  const groupOrg = (organisationCode: string | null) => (config.template.usesOrganisation ? (organisationCode ?? '') : '');

  for (const e of events) {
    switch (e.type) {
      case 'UnitRegistered': {
        const d = e.data as Data<typeof UnitRegistered>;
        units.set(d.unitId, { unitId: d.unitId, name: d.name, fondsCode: d.fondsCode ?? null, organisationCode: d.organisationCode ?? null });
        out.units.add(d.unitId);
        break;
      }
      case 'UnitRenamed': {
        const d = e.data as Data<typeof UnitRenamed>;
        unit(d.unitId, e.type).name = d.name;
        out.units.add(d.unitId);
        break;
      }
      case 'DocumentSignedOff': {
        // A revision voids a sign-off and a new one follows; the last before sealing is the 成文日期.
        const d = e.data as Data<typeof DocumentSignedOff>;
        document(d.documentId, d.issuerUnitId).signedOffAt = d.signedOffAt;
        break;
      }
      case 'DocumentSent': {
        // 责任者 is the issuer as named on the document when it went out, not as renamed later.
        const d = e.data as Data<typeof DocumentSent>;
        const doc = document(d.documentId, d.issuerUnitId);
        doc.title = d.title;
        doc.docNumber = d.docNumber;
        doc.issuerName = unit(d.issuerUnitId, e.type).name;
        break;
      }
      case 'DocumentFiled': {
        const d = e.data as Data<typeof DocumentFiled>;
        const issuer = unit(d.issuerUnitId, e.type);
        const fondsCode = d.fondsCode ?? issuer.fondsCode;
        const organisationCode = d.organisationCode ?? issuer.organisationCode;
        const date = localDate(d.documentDate, config.timeZone);
        out.pending.push({
          documentId: d.documentId,
          unitId: d.issuerUnitId,
          side: 'sent',
          fondsKey: fondsKeyOf(fondsCode, d.issuerUnitId),
          fondsCode,
          // 年度 = year of the 成文日期 on both sides (the 年度 rule above), not DocumentFiled.year,
          // which is the year of the 发文字号 and differs when sign-off and sealing straddle New Year.
          year: date.year,
          retention: d.retention,
          retentionRank: RETENTION_RANK[d.retention],
          organisationCode,
          groupOrg: groupOrg(organisationCode),
          docNumber: d.docNumber,
          responsible: documents.get(d.documentId)?.issuerName ?? issuer.name,
          title: d.title,
          documentDate: date.yyyymmdd,
          classification: d.classification,
          // 页数 is the archived file's: the recorded rendering's when there is one (its page count
          // is measured, the filer's is typed in), else what the filing said.
          pages: documents.get(d.documentId)?.renderedPages ?? d.pages ?? null,
          remarks: d.remarks ?? null,
          recalled: d.recalled,
          filedBy: d.filedBy,
          filedAt: d.filedAt,
        });
        break;
      }
      case 'IncomingFiled': {
        const d = e.data as Data<typeof IncomingFiled>;
        const recipient = unit(d.unitId, e.type);
        const doc = documents.get(d.documentId);
        if (!doc?.signedOffAt || doc.title === null) {
          throw new Error(`catalogue: incoming filing of ${d.documentId} by ${d.unitId} before the document's sign-off and sending were seen`);
        }
        // The recipient files into its own fonds; IncomingFiled can override only the organisation.
        const organisationCode = d.organisationCode ?? recipient.organisationCode;
        const date = localDate(doc.signedOffAt, config.timeZone);
        out.pending.push({
          documentId: d.documentId,
          unitId: d.unitId,
          side: 'incoming',
          fondsKey: fondsKeyOf(recipient.fondsCode, d.unitId),
          fondsCode: recipient.fondsCode,
          year: date.year,
          retention: d.retention,
          retentionRank: RETENTION_RANK[d.retention],
          organisationCode,
          groupOrg: groupOrg(organisationCode),
          docNumber: doc.docNumber,
          responsible: doc.issuerName ?? unit(doc.issuerUnitId, e.type).name,
          title: doc.title,
          documentDate: date.yyyymmdd,
          // Only 非密 documents ever enter the ledger (RecordedClassification), incoming ones included.
          classification: '非密',
          pages: doc.renderedPages,
          remarks: d.remarks ?? null,
          recalled: false,
          filedBy: d.filedBy,
          filedAt: d.filedAt,
        });
        break;
      }
      case 'DocumentRendered': {
        // Rendered at sealing, so usually before any filing; a rendering recorded later (a new
        // renderer, or the recorder catching up) updates the rows already filed.
        const d = e.data as Data<typeof DocumentRendered>;
        document(d.documentId, d.issuerUnitId).renderedPages = d.pageCount;
        out.rendered.set(d.documentId, d.pageCount);
        break;
      }
    }
  }
  return out;
}

/**
 * Phase 2. Gives each pending item, in feed order, the next 件号 of its group. `counters` maps
 * groupKeyOf(...) to the last 件号 given (absent = none yet) and is updated in place.
 */
export function numberItems(pending: readonly PendingItem[], counters: Map<string, number>, template: ArchivalCodeTemplate): ItemRow[] {
  return pending.map((p) => {
    const key = groupKeyOf(p);
    const itemNo = (counters.get(key) ?? 0) + 1;
    counters.set(key, itemNo);
    const archivalCode = template.format({
      fondsCode: p.fondsCode,
      year: p.year,
      retention: p.retention,
      organisation: template.usesOrganisation ? p.organisationCode : null,
      itemNo,
    });
    return { ...p, itemNo, archivalCode };
  });
}
