import type pg from 'pg';
import type { SealIssued } from '../../schemas/events/seal.ts';
import { fold } from '../domain/decider.ts';
import { documentDecider, sealedContent, type DocumentEvent } from '../domain/document/index.ts';
import { Refusal } from '../domain/refusal.ts';
import { streams } from '../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import type { SealEvidence, SealHistoryEntry, Sealing } from '../seal/verify-sealed-document.ts';
import type { z } from 'zod';

/**
 * The evidence for verifying a document's seal, read from the ledger's own streams: the content as
 * the document's events now give it (so an edited DraftRevised, or a revision appended after the
 * sealing, shows as CONTENT_CHANGED), the last DocumentSealed, the seal's record and history with
 * the ledger's recording times, and the attachments' stored bytes.
 */
export async function loadSealEvidence(
  store: EventStore,
  pool: pg.Pool,
  documentId: string,
): Promise<SealEvidence & { attachments: StoredAttachment[]; sealedEvent: RecordedEvent }> {
  const read = await store.readStream(streams.document(documentId));
  const state = fold(documentDecider, read.events as unknown as DocumentEvent[]);
  if (state.status === 'none') throw new Refusal('NOT_FOUND', `公文「${documentId}」不存在 (no such document)`, { documentId });
  const sealedEvent = read.events.filter((e) => e.type === 'DocumentSealed').at(-1);
  if (!sealedEvent || !state.number || !state.signOff) {
    throw new Refusal('INVALID_STATE', `公文「${state.content.title}」尚未盖章，无印章可验 (document not sealed)`, { documentId });
  }
  const sealing = sealedEvent.data as Sealing;
  const content = sealedContent(state, state.number);

  const sealRead = await store.readStream(streams.seal(sealing.sealId));
  const issued = sealRead.events.find((e) => e.type === 'SealIssued');
  if (!issued) throw new Refusal('NOT_FOUND', `盖章所用的印章「${sealing.sealId}」在印章登记中不存在 (seal not registered)`, { sealId: sealing.sealId });
  const sealRecord = (issued.data as z.infer<typeof SealIssued.data>).sealRecord;
  const sealHistory: SealHistoryEntry[] = sealRead.events.flatMap((e): SealHistoryEntry[] => {
    const reason = (e.data as { reason?: string }).reason;
    const status = historyStatus[e.type];
    return status ? [{ status, at: e.recordedAt, ...(reason !== undefined && { reason }) }] : [];
  });

  const stored = await storedAttachments(pool, content.attachments.map((a) => a.sm3));
  return {
    sealedEvent,
    content,
    sealing,
    sealRecord,
    sealHistory,
    attachmentBytes: new Map([...stored].map(([sm3, s]) => [sm3, s.bytes])),
    attachments: content.attachments.flatMap((a) => {
      const s = stored.get(a.sm3);
      return s ? [{ sm3: a.sm3, name: a.name, ...s }] : [];
    }),
  };
}

const historyStatus: Record<string, SealHistoryEntry['status']> = {
  SealIssued: 'issued',
  SealReplaced: 'replaced',
  SealRevoked: 'revoked',
  SealDestroyed: 'destroyed',
};

export interface StoredAttachment {
  sm3: string;
  name: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** The stored bytes by SM3; an attachment whose bytes are not stored is simply absent. */
async function storedAttachments(pool: pg.Pool, digests: string[]): Promise<Map<string, Pick<StoredAttachment, 'mediaType' | 'bytes'>>> {
  if (digests.length === 0) return new Map();
  const { rows } = await pool.query<{ sm3: string; media_type: string; bytes: Buffer }>(
    `SELECT sm3, media_type, bytes FROM attachment_contents WHERE sm3 = ANY($1::text[])`,
    [digests],
  );
  return new Map(rows.map((r) => [r.sm3, { mediaType: r.media_type, bytes: r.bytes }]));
}
