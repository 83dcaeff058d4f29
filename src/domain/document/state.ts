import type { DocumentEvent } from '../../../schemas/events/document.ts';

/**
 * What the document decider knows of one document, folded from its stream. `none` is a stream that
 * does not exist yet; every other status is a document that was drafted.
 *
 *   drafted ⇄ signedOff → sealed (numbered at the same time) → sent → (recalled) → filed
 *
 * A revision of a signed-off draft goes back to drafted (the sign-off is void).
 */
export type DocumentStatus = 'drafted' | 'signedOff' | 'sealed' | 'sent' | 'recalled' | 'filed';

type EventData<T extends DocumentEvent['type']> = Extract<DocumentEvent, { type: T }>['data'];

/** The content a revision may change. */
export type DocumentContent = Omit<EventData<'DocumentDrafted'>, 'documentId' | 'issuerUnitId' | 'draftedBy' | 'draftedAt'>;

export interface SignOff {
  signedOffBy: string;
  signedOffAt: string;
  opinion?: string;
}

/** A 发文字号 with its parts, as reserved on `numbering-<unitId>.<prefix>.<year>`. */
export interface ReservedNumber {
  prefix: string;
  year: number;
  number: number;
  docNumber: string;
}

export interface Sealing {
  sealId: string;
  sealedBy: string;
  sealedAt: string;
  contentDigest: string;
}

export interface Recipient {
  unitId: string;
  kind: 'main' | 'cc';
}

export interface Sending {
  recipients: Recipient[];
  sentBy: string;
  sentAt: string;
}

export interface Recall {
  reason: string;
  recalledBy: string;
  recalledAt: string;
}

export interface Filing {
  retention: EventData<'DocumentFiled'>['retention'];
  filedBy: string;
  filedAt: string;
}

export interface DocumentRecord {
  status: DocumentStatus;
  documentId: string;
  issuerUnitId: string;
  draftedBy: string;
  draftedAt: string;
  content: DocumentContent;
  signOff?: SignOff;
  number?: ReservedNumber;
  sealing?: Sealing;
  sending?: Sending;
  recall?: Recall;
  filing?: Filing;
}

export type DocumentState = { status: 'none' } | DocumentRecord;

export const initialDocumentState = (): DocumentState => ({ status: 'none' });

export const documentExists = (state: DocumentState): state is DocumentRecord => state.status !== 'none';
