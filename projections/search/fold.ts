import type { z } from 'zod';
import type { UnitRegistered, UnitRenamed } from '../../schemas/events/directory.ts';
import type { DocumentDrafted, DocumentNumbered, DocumentRecalled, DocumentSent, DocumentSignedOff, DraftRevised } from '../../schemas/events/document.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { canonical, documentVector, lexemeVector, runsOf, type Weight } from './segment.ts';

/**
 * The search projection's fold, free of I/O. It needs no document rows loaded: every event sets
 * whole fields (a revision names the fields it changes), each field is indexed on its own, so the
 * batch's changes are merged per document and written as patches. Only the issuers' names are read.
 */

type Data<D extends { data: z.ZodType }> = z.infer<D['data']>;

export const SEARCH_EVENTS = ['UnitRegistered', 'UnitRenamed', 'DocumentDrafted', 'DraftRevised', 'DocumentSignedOff', 'DocumentNumbered', 'DocumentSent', 'DocumentRecalled'] as const;

export type SearchStatus = 'drafted' | 'sealed' | 'sent' | 'recalled';

export interface SearchUnit {
  unitId: string;
  /** Current name first, then the earlier ones, newest first. */
  names: string[];
}

/** The fields of a document a batch changed (absent = unchanged). */
export interface DocumentPatch {
  documentId: string;
  /** Drafted in this batch: the patch carries every field and becomes a new row. */
  isNew: boolean;
  issuerUnitId?: string;
  recipientUnitIds?: string[];
  status?: SearchStatus;
  title?: string;
  docNumber?: string;
  docType?: string;
  body?: string;
  sentAt?: string;
  urgency?: string;
  classification?: string;
  draftedAt?: string;
  /** 成文日期: the sign-off's time; `signOffVoided` clears it (a revision after the sign-off). */
  signedOffAt?: string;
  signOffVoided?: boolean;
}

/** One field's index: its canonical text and its tsvector (text form). */
export interface FieldIndex {
  match: string;
  tsv: string;
}

/** A body's index: its canonical text and its lexemes (space-separated, for array_to_tsvector). */
export interface BodyIndex {
  match: string;
  lexemes: string;
  complete: boolean;
}

export function indexField(text: string, weight: Weight): FieldIndex {
  const runs = runsOf(text);
  return { match: canonical(runs), tsv: documentVector([{ runs, weight }]).tsvector };
}

export function indexBody(text: string): BodyIndex {
  const runs = runsOf(text);
  const v = lexemeVector(runs);
  return { match: canonical(runs), lexemes: v.lexemes, complete: v.complete };
}

/** Every name the unit has borne, each its own run of positions; joined by line feeds, which no pattern contains. */
export function indexIssuer(names: readonly string[]): FieldIndex {
  const runs = names.map(runsOf);
  return { match: runs.map(canonical).join('\n'), tsv: documentVector(runs.map((r) => ({ runs: r, weight: 'B' as const }))).tsvector };
}

/** Unit ids whose names the batch needs: units it registers or renames, issuers of documents it drafts. */
export function unitsToLoad(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    const d = e.data as { unitId?: string; issuerUnitId?: string };
    if (e.type === 'UnitRegistered' || e.type === 'UnitRenamed') ids.add(d.unitId!);
    else if (e.type === 'DocumentDrafted') ids.add(d.issuerUnitId!);
  }
  return [...ids];
}

export interface FoldResult {
  /** Units registered or renamed (to write back). */
  units: Set<string>;
  /** Renamed units: every document they issued takes their new names. */
  renamed: Set<string>;
  patches: Map<string, DocumentPatch>;
}

/** Applies the batch's events in feed order to `units` (in place) and to per-document patches. */
export function foldBatch(events: readonly RecordedEvent[], units: Map<string, SearchUnit>): FoldResult {
  const out: FoldResult = { units: new Set(), renamed: new Set(), patches: new Map() };
  const patch = (documentId: string): DocumentPatch => {
    let p = out.patches.get(documentId);
    if (!p) out.patches.set(documentId, (p = { documentId, isNew: false }));
    return p;
  };
  for (const e of events) {
    switch (e.type) {
      case 'UnitRegistered': {
        const d = e.data as Data<typeof UnitRegistered>;
        units.set(d.unitId, { unitId: d.unitId, names: [d.name] });
        out.units.add(d.unitId);
        break;
      }
      case 'UnitRenamed': {
        const d = e.data as Data<typeof UnitRenamed>;
        const u = units.get(d.unitId) ?? { unitId: d.unitId, names: [d.previousName] };
        u.names = [d.name, ...u.names.filter((n) => n !== d.name)];
        units.set(d.unitId, u);
        out.units.add(d.unitId);
        out.renamed.add(d.unitId);
        break;
      }
      case 'DocumentDrafted': {
        const d = e.data as Data<typeof DocumentDrafted>;
        out.patches.set(d.documentId, {
          documentId: d.documentId,
          isNew: true,
          issuerUnitId: d.issuerUnitId,
          recipientUnitIds: [],
          status: 'drafted',
          title: d.title,
          docType: d.docType,
          body: d.body,
          urgency: d.urgency,
          classification: d.classification,
          draftedAt: d.draftedAt,
        });
        break;
      }
      case 'DraftRevised': {
        const d = e.data as Data<typeof DraftRevised>;
        const p = patch(d.documentId);
        if (d.changes.title !== undefined) p.title = d.changes.title;
        if (d.changes.body !== undefined) p.body = d.changes.body;
        if (d.changes.docType !== undefined) p.docType = d.changes.docType;
        if (d.changes.urgency !== undefined) p.urgency = d.changes.urgency;
        if (d.changes.classification !== undefined) p.classification = d.changes.classification;
        if (d.signOffVoided) {
          delete p.signedOffAt;
          p.signOffVoided = true;
        }
        break;
      }
      case 'DocumentSignedOff': {
        const d = e.data as Data<typeof DocumentSignedOff>;
        const p = patch(d.documentId);
        p.signedOffAt = d.signedOffAt;
        delete p.signOffVoided;
        break;
      }
      case 'DocumentNumbered': {
        const d = e.data as Data<typeof DocumentNumbered>;
        const p = patch(d.documentId);
        p.docNumber = d.docNumber;
        p.status = 'sealed';
        break;
      }
      case 'DocumentSent': {
        // A unit sees the documents it issued or was sent; the sent event names them all.
        const d = e.data as Data<typeof DocumentSent>;
        const p = patch(d.documentId);
        p.title = d.title;
        p.docNumber = d.docNumber;
        p.docType = d.docType;
        p.urgency = d.urgency;
        p.recipientUnitIds = [...new Set(d.recipients.map((r) => r.unitId))];
        p.status = 'sent';
        p.sentAt = d.sentAt;
        break;
      }
      case 'DocumentRecalled': {
        // Recalled before anyone signed for it: withdrawn from the recipients, searchable by the issuer only.
        const d = e.data as Data<typeof DocumentRecalled>;
        const p = patch(d.documentId);
        p.recipientUnitIds = [];
        p.status = 'recalled';
        break;
      }
    }
  }
  return out;
}
