import type { z } from 'zod';
import type { UnitRegistered, UnitRenamed, UserRegistered } from '../../schemas/events/directory.ts';
import type { DocumentSealed } from '../../schemas/events/document.ts';
import type { SealIssued } from '../../schemas/events/seal.ts';
import { fold } from '../domain/decider.ts';
import { documentDecider, sealedContent, type DocumentEvent } from '../domain/document/index.ts';
import { Refusal } from '../domain/refusal.ts';
import { streams } from '../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import type { RenderInput } from './render-input.ts';

type Sealed = z.infer<typeof DocumentSealed.data>;

/** The streams a rendering is built from: the document's, its seal's, and the directory's. */
export interface RenderSources {
  document: readonly RecordedEvent[];
  seal: readonly RecordedEvent[];
  /** unit-<id> streams of the issuer and every recipient. */
  units: ReadonlyMap<string, readonly RecordedEvent[]>;
  /** user-<id> stream of the leader who signed off (签发人). */
  signer: readonly RecordedEvent[];
}

/**
 * The input of the rendering of a sealed document, from its events alone: the content as sealed
 * (the document stream folded up to its last DocumentSealed), the units' names as they were when
 * it was sealed (a later rename does not change an issued document), the 签发人's name, and the
 * picture of the seal record the sealing was made under.
 */
export function renderInputFromEvents(sources: RenderSources): RenderInput {
  const sealedAt = sources.document.findLastIndex((e) => e.type === 'DocumentSealed');
  const documentId = (sources.document[0]?.data as { documentId?: string } | undefined)?.documentId ?? '?';
  if (sealedAt < 0) throw new Refusal('INVALID_STATE', `公文「${documentId}」尚未盖章，没有可印制的版式文件 (document not sealed)`, { documentId });
  const sealedEvent = sources.document[sealedAt]!;
  const sealing = sealedEvent.data as Sealed;
  const state = fold(documentDecider, sources.document.slice(0, sealedAt + 1) as unknown as DocumentEvent[]);
  if (state.status === 'none' || !state.number || !state.signOff) throw new Error(`document ${documentId}: sealed without number or sign-off`);
  const content = sealedContent(state, state.number);

  const nameAt = (unitId: string): string => {
    let name = unitId;
    for (const e of sources.units.get(unitId) ?? []) {
      if (e.recordedAt > sealedEvent.recordedAt) break;
      if (e.type === 'UnitRegistered') name = (e.data as z.infer<typeof UnitRegistered.data>).name;
      if (e.type === 'UnitRenamed') name = (e.data as z.infer<typeof UnitRenamed.data>).name;
    }
    return name;
  };
  const signer = sources.signer.find((e) => e.type === 'UserRegistered')?.data as z.infer<typeof UserRegistered.data> | undefined;
  const issued = sources.seal.find((e) => e.type === 'SealIssued')?.data as z.infer<typeof SealIssued.data> | undefined;
  const picture = issued?.sealRecord.sealInfo.picture;

  return {
    documentId: content.documentId,
    contentDigest: sealing.contentDigest,
    issuerName: nameAt(content.issuerUnitId),
    docNumber: content.docNumber,
    docType: content.docType,
    urgency: content.urgency,
    title: content.title,
    body: content.body,
    attachments: content.attachments.map((a) => a.name),
    mainRecipients: content.recipients.main.map(nameAt),
    ccRecipients: content.recipients.cc.map(nameAt),
    remarks: content.remarks,
    signerName: signer?.name ?? null,
    documentDate: content.signOff.signedOffAt,
    printedAt: sealing.sealedAt,
    seal: picture ? { svg: Buffer.from(picture.data, 'base64').toString('utf8'), widthMm: picture.width, heightMm: picture.height } : null,
  };
}

/**
 * Reads the streams of renderInputFromEvents from the store; `upToRevision` renders the document as
 * of one of its events (the sealing a reaction is about).
 */
export async function loadRenderInput(store: EventStore, documentId: string, opts: { upToRevision?: number } = {}): Promise<RenderInput> {
  const all = (await store.readStream(streams.document(documentId))).events;
  const document = opts.upToRevision === undefined ? all : all.filter((e) => e.revision <= opts.upToRevision!);
  if (document.length === 0) throw new Refusal('NOT_FOUND', `公文「${documentId}」不存在 (no such document)`, { documentId });
  const sealed = document.findLast((e) => e.type === 'DocumentSealed')?.data as Sealed | undefined;
  const state = fold(documentDecider, document as unknown as DocumentEvent[]);
  if (!sealed || state.status === 'none') {
    throw new Refusal('INVALID_STATE', `公文「${documentId}」尚未盖章，没有可印制的版式文件 (document not sealed)`, { documentId });
  }
  const unitIds = [...new Set([state.issuerUnitId, ...state.content.mainRecipients, ...state.content.ccRecipients])];
  const units = new Map(await Promise.all(unitIds.map(async (id) => [id, (await store.readStream(streams.unit(id))).events] as const)));
  const seal = (await store.readStream(streams.seal(sealed.sealId))).events;
  const signer = state.signOff ? (await store.readStream(streams.user(state.signOff.signedOffBy))).events : [];
  return renderInputFromEvents({ document, seal, units, signer });
}
