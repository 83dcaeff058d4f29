import { streams } from '../domain/streams.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { NumberingEvent } from '../../schemas/events/numbering.ts';
import { Refusal } from '../domain/refusal.ts';

/**
 * 发文登记簿: every number of one 机关代字 and year, in order, from `numbering-<unit>.<prefix>.<year>`.
 * A number is ISSUED (its document was sealed with it), RESERVED (held by a document awaiting its
 * seal), or RELEASED (given back, with the reason, until the next sealing of the stream takes it).
 * Numbers are only ever taken lowest-free-first, so 1…lastNumber are all listed: no silent gap.
 */
export type NumberStatus = 'ISSUED' | 'RESERVED' | 'RELEASED';

export interface NumberRegisterEntry {
  number: number;
  docNumber: string;
  status: NumberStatus;
  /** The document that holds (or, when RELEASED, gave back) the number. */
  documentId: string;
  reason: string | null;
  reasonText: string | null;
  /** When the number took its present status (recorded time of its event). */
  at: string;
}

export interface NumberRegisterPage {
  unitId: string;
  prefix: string;
  year: number;
  lastNumber: number;
  entries: NumberRegisterEntry[];
  hasNextPage: boolean;
}

const reasonTexts: Record<string, string> = {
  SIGN_OFF_VOIDED: '预留文号后稿件被修改，原签发作废，文号释放待重新使用',
  PREFIX_CHANGED: '预留文号后稿件改用其他机关代字，文号释放待重新使用',
};

export const MAX_REGISTER_PAGE = 500;

export async function numberRegister(
  store: EventStore,
  query: { unitId: string; prefix: string; year: number; first: number; after?: number | null },
): Promise<NumberRegisterPage> {
  const { unitId, prefix, year } = query;
  if (!Number.isSafeInteger(query.first) || query.first < 1 || query.first > MAX_REGISTER_PAGE) {
    throw new Refusal('VALIDATION_FAILED', `每页条数须在 1 到 ${MAX_REGISTER_PAGE} 之间 (first out of range)`, { first: query.first });
  }
  const read = await store.readStream(streams.numbering(unitId, prefix, year));
  const byNumber = new Map<number, NumberRegisterEntry>();
  for (const e of read.events as unknown as (NumberingEvent & { recordedAt: string })[]) {
    const { number, docNumber, documentId } = e.data;
    const reason = e.type === 'DocumentNumberReleased' ? e.data.reason : null;
    byNumber.set(number, {
      number,
      docNumber,
      status: reason ? 'RELEASED' : 'RESERVED',
      documentId,
      reason,
      reasonText: reason ? (reasonTexts[reason] ?? reason) : null,
      at: e.recordedAt,
    });
  }
  const lastNumber = Math.max(0, ...byNumber.keys());
  const after = query.after ?? 0;
  const entries: NumberRegisterEntry[] = [];
  for (let n = after + 1; n <= lastNumber && entries.length < query.first; n++) {
    const entry = byNumber.get(n);
    if (!entry) throw new Error(`numbering stream ${read.streamId} skips number ${n}`);
    entries.push(entry);
  }
  // Which of the held numbers their documents were sealed with (DocumentNumbered is final).
  const held = entries.filter((e) => e.status === 'RESERVED');
  // Read from each document's own stream through the port, so the register is the same whichever
  // store holds the events (PostgreSQL or EventStoreDB); a page holds at most 500 of them.
  await Promise.all(
    held.map(async (entry) => {
      const doc = await store.readStream(streams.document(entry.documentId));
      const numbered = doc.events.find((e) => e.type === 'DocumentNumbered' && (e.data as { docNumber?: string }).docNumber === entry.docNumber);
      if (numbered) Object.assign(entry, { status: 'ISSUED', at: numbered.recordedAt });
    }),
  );
  return { unitId, prefix, year, lastNumber, entries, hasNextPage: entries.length > 0 && entries.at(-1)!.number < lastNumber };
}
