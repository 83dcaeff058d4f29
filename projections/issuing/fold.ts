import { Urgencies } from '../../schemas/common.ts';
import type { DocumentEvent } from '../../schemas/events/document.ts';

/**
 * One document on its way out of the issuing unit, folded from its own stream. Pure: no I/O, no clock.
 *
 * Stages (whose work list a document is on):
 * - drafted 起草中: the drafter's draft, awaiting a leader's sign-off (待签发) — also after a revision
 *   voided an earlier sign-off (`signOffVoided`: the leader must sign again);
 * - signed_off 已签发: awaiting the seal keeper (待盖章);
 * - sealed 已盖章: awaiting the clerk's sending (待核发);
 * - sent, recalled, filed: no longer anyone's issuing work (the sent box follows them).
 */
export const IssuingStages = ['drafted', 'signed_off', 'sealed', 'sent', 'recalled', 'filed'] as const;
export type IssuingStage = (typeof IssuingStages)[number];

/** The stages that are someone's work. */
export const OpenStages = ['drafted', 'signed_off', 'sealed'] as const satisfies readonly IssuingStage[];

type Data<T extends DocumentEvent['type']> = Extract<DocumentEvent, { type: T }>['data'];

export interface IssuingRow {
  documentId: string;
  issuerUnitId: string;
  title: string;
  docType: Data<'DocumentDrafted'>['docType'];
  urgency: Data<'DocumentDrafted'>['urgency'];
  docNumber: string | null;
  stage: IssuingStage;
  stageSince: string;
  draftedBy: string;
  draftedAt: string;
  lastRevisedAt: string | null;
  signOffVoided: boolean;
  signedOffBy: string | null;
  signedOffAt: string | null;
  sealedBy: string | null;
  sealedAt: string | null;
  sealId: string | null;
  sentAt: string | null;
}

export const issuingEventTypes = ['DocumentDrafted', 'DraftRevised', 'DocumentSignedOff', 'DocumentSealed', 'DocumentSent', 'DocumentRecalled', 'DocumentFiled'] as const;
export type IssuingEvent = Extract<DocumentEvent, { type: (typeof issuingEventTypes)[number] }>;

/**
 * The row after the event. A stream whose DocumentDrafted the feed never showed (an event written
 * around the commands, which `verify` and the seal usage log report) is nobody's work: no row,
 * rather than a halted projection that would stop every unit's work lists.
 */
export function foldIssuing(row: IssuingRow | undefined, event: IssuingEvent): IssuingRow | undefined {
  if (event.type === 'DocumentDrafted') {
    const d = event.data;
    return {
      documentId: d.documentId,
      issuerUnitId: d.issuerUnitId,
      title: d.title,
      docType: d.docType,
      urgency: d.urgency,
      docNumber: null,
      stage: 'drafted',
      stageSince: d.draftedAt,
      draftedBy: d.draftedBy,
      draftedAt: d.draftedAt,
      lastRevisedAt: null,
      signOffVoided: false,
      signedOffBy: null,
      signedOffAt: null,
      sealedBy: null,
      sealedAt: null,
      sealId: null,
      sentAt: null,
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'DraftRevised': {
      const { changes, signOffVoided, revisedAt } = event.data;
      const next: IssuingRow = { ...row, lastRevisedAt: revisedAt };
      if (changes.title !== undefined) next.title = changes.title;
      if (changes.docType !== undefined) next.docType = changes.docType;
      if (changes.urgency !== undefined) next.urgency = changes.urgency;
      if (signOffVoided) Object.assign(next, { stage: 'drafted', stageSince: revisedAt, signOffVoided: true, signedOffBy: null, signedOffAt: null });
      return next;
    }
    case 'DocumentSignedOff':
      return { ...row, stage: 'signed_off', stageSince: event.data.signedOffAt, signOffVoided: false, signedOffBy: event.data.signedOffBy, signedOffAt: event.data.signedOffAt };
    case 'DocumentSealed':
      return { ...row, stage: 'sealed', stageSince: event.data.sealedAt, docNumber: event.data.docNumber, sealedBy: event.data.sealedBy, sealedAt: event.data.sealedAt, sealId: event.data.sealId };
    case 'DocumentSent':
      return { ...row, stage: 'sent', stageSince: event.data.sentAt, sentAt: event.data.sentAt };
    case 'DocumentRecalled':
      return { ...row, stage: 'recalled', stageSince: event.data.recalledAt };
    case 'DocumentFiled':
      return { ...row, stage: 'filed', stageSince: event.data.filedAt };
  }
}

export const urgencyRank = (urgency: IssuingRow['urgency']): number => Urgencies.indexOf(urgency);
/** The longest waiting first: the moment it entered its stage, ascending. */
export const stageRank = (stageSince: string): number => Date.parse(stageSince);
