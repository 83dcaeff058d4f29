import type { DocumentEvent } from '../../../schemas/events/document.ts';
import type { DocumentContent, DocumentRecord, DocumentState } from './state.ts';

/**
 * Folds one event into the document's state. A stream that does not begin with DocumentDrafted, or
 * that has events after it was filed, was not written by this decider: that is reported, not
 * papered over, because the ledger's record of a document must not be silently reinterpreted.
 */
export function evolveDocument(state: DocumentState, event: DocumentEvent): DocumentState {
  if (event.type === 'DocumentDrafted') {
    if (state.status !== 'none') throw corrupt(event, 'drafted twice');
    const { documentId, issuerUnitId, draftedBy, draftedAt, ...content } = event.data;
    return { status: 'drafted', documentId, issuerUnitId, draftedBy, draftedAt, content };
  }
  if (state.status === 'none') throw corrupt(event, 'event before DocumentDrafted');
  if (state.status === 'filed') throw corrupt(event, 'event after DocumentFiled');
  switch (event.type) {
    case 'DraftRevised': {
      const content: DocumentContent = { ...state.content };
      for (const [key, value] of Object.entries(event.data.changes)) {
        if (value === undefined) continue;
        if (value === null) delete (content as Record<string, unknown>)[key];
        else (content as Record<string, unknown>)[key] = value;
      }
      const next: DocumentRecord = { ...state, content };
      // Any revision after sign-off voids it (the event says so in signOffVoided for readers).
      if (state.status === 'signedOff') {
        next.status = 'drafted';
        delete next.signOff;
      }
      return next;
    }
    case 'DocumentSignedOff': {
      const { signedOffBy, signedOffAt, opinion } = event.data;
      return { ...state, status: 'signedOff', signOff: opinion === undefined ? { signedOffBy, signedOffAt } : { signedOffBy, signedOffAt, opinion } };
    }
    case 'DocumentNumbered': {
      const { prefix, year, number, docNumber } = event.data;
      return { ...state, number: { prefix, year, number, docNumber } };
    }
    case 'DocumentSealed': {
      const { sealId, sealedBy, sealedAt, contentDigest } = event.data;
      return { ...state, status: 'sealed', sealing: { sealId, sealedBy, sealedAt, contentDigest } };
    }
    case 'DocumentSent': {
      const { recipients, sentBy, sentAt } = event.data;
      return { ...state, status: 'sent', sending: { recipients, sentBy, sentAt } };
    }
    case 'DocumentRecalled': {
      const { reason, recalledBy, recalledAt } = event.data;
      return { ...state, status: 'recalled', recall: { reason, recalledBy, recalledAt } };
    }
    case 'DocumentFiled': {
      const { retention, filedBy, filedAt } = event.data;
      return { ...state, status: 'filed', filing: { retention, filedBy, filedAt } };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown document event ${JSON.stringify(unknown)}`);
    }
  }
}

function corrupt(event: DocumentEvent, why: string): Error {
  return new Error(`document stream of ${event.data.documentId} is inconsistent: ${event.type} (${why})`);
}
