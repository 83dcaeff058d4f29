import { canonicalJson } from '../../integrity/canonical-json.ts';
import { sm3Hex } from '../../integrity/sm3.ts';
import type { DocumentRecord } from './state.ts';

/**
 * What the seal covers: the document as issued. The digest is SM3 over the RFC 8785 (JCS)
 * canonical JSON of this object, so any verifier (gongwen verify, the exporter's EEP, a recipient)
 * that holds the events can rebuild it and compare. Absent optional values are written as null so
 * the object always has the same keys.
 *
 * Changing this shape changes every future digest: existing seals stay verifiable only if the old
 * shape is kept beside a new version (record the version with the digest when that day comes).
 */
export interface SealedContent {
  documentId: string;
  issuerUnitId: string;
  docNumber: string;
  title: string;
  docType: string;
  urgency: string;
  classification: string;
  body: string;
  attachments: { name: string; size: number; sm3: string }[];
  recipients: { main: string[]; cc: string[] };
  remarks: string | null;
  signOff: { signedOffBy: string; signedOffAt: string; opinion: string | null };
}

export const CONTENT_DIGEST_ALGORITHM = 'SM3';

export function sealedContent(state: DocumentRecord, number: { docNumber: string }): SealedContent {
  if (!state.signOff) throw new Error(`document ${state.documentId} has no sign-off: there is no sealed content without one`);
  const c = state.content;
  return {
    documentId: state.documentId,
    issuerUnitId: state.issuerUnitId,
    docNumber: number.docNumber,
    title: c.title,
    docType: c.docType,
    urgency: c.urgency,
    classification: c.classification,
    body: c.body,
    attachments: c.attachments.map((a) => ({ name: a.name, size: a.size, sm3: a.sm3 })),
    recipients: { main: [...c.mainRecipients], cc: [...c.ccRecipients] },
    remarks: c.remarks ?? null,
    signOff: {
      signedOffBy: state.signOff.signedOffBy,
      signedOffAt: state.signOff.signedOffAt,
      opinion: state.signOff.opinion ?? null,
    },
  };
}

export function canonicalSealedContent(content: SealedContent): string {
  return canonicalJson(content);
}

/** Lower-case hex SM3 of the canonical JSON (UTF-8). */
export const contentDigest = (content: SealedContent): string => sm3Hex(canonicalSealedContent(content));
