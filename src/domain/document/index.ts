import type { DocumentCommand } from '../../../schemas/commands/document.ts';
import type { DocumentEvent } from '../../../schemas/events/document.ts';
import type { Decider } from '../decider.ts';
import type { DocumentContext } from './context.ts';
import { decideDocument } from './decide.ts';
import { evolveDocument } from './evolve.ts';
import { initialDocumentState, type DocumentState } from './state.ts';

/** The DOCUMENT aggregate, stream `document-<documentId>`. */
export const documentDecider: Decider<DocumentState, DocumentCommand, DocumentEvent, DocumentContext> = {
  initialState: initialDocumentState,
  evolve: evolveDocument,
  decide: decideDocument,
};

export type { DocumentCommand, DocumentCommandOf, DocumentCommandType } from '../../../schemas/commands/document.ts';
export type { DocumentEvent, DocumentEventType } from '../../../schemas/events/document.ts';
export * from './context.ts';
export * from './state.ts';
export { checkSealable, decideDocument, decideDraft, decideRevise, decideSignOff, decideSeal, decideSend, decideRecall, decideFile } from './decide.ts';
export { evolveDocument } from './evolve.ts';
export { formatDocNumber, parseDocNumber, isDocNumber, normalizeDocNumber, type DocNumberParts } from './doc-number.ts';
export { sealedContent, contentDigest, canonicalSealedContent, CONTENT_DIGEST_ALGORITHM, type SealedContent } from './sealed-content.ts';
export type { RecipientProblem } from './content-rules.ts';
