import { streams } from '../domain/streams.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { NumberingEvent } from '../../schemas/events/numbering.ts';
import { encodeCursor, pageWindow, type Connection, type KeyColumn, type PageArgs } from '../../projections/shared/keyset.ts';

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
  /** The numbers of the page, a Relay page either way; the register lists 1…lastNumber, so totalCount is lastNumber. */
  page: Connection<NumberRegisterEntry>;
}

const reasonTexts: Record<string, string> = {
  SIGN_OFF_VOIDED: '预留文号后稿件被修改，原签发作废，文号释放待重新使用',
  PREFIX_CHANGED: '预留文号后稿件改用其他机关代字，文号释放待重新使用',
};

const NUMBER_KEY: readonly KeyColumn[] = [{ sql: 'number', type: 'int' }];

export async function numberRegister(store: EventStore, query: { unitId: string; prefix: string; year: number } & PageArgs): Promise<NumberRegisterPage> {
  const { unitId, prefix, year } = query;
  // A cursor is a number of this one register: handed to another register it is refused.
  const scope = `number-register ${JSON.stringify([unitId, prefix, year])}`;
  const w = pageWindow(scope, NUMBER_KEY, query);
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
  // Every number from 1 to lastNumber is listed, so a page is a range of numbers between the cursors.
  const low = w.after ? Math.max(1, Number(w.after[0]) + 1) : 1;
  const high = w.before ? Math.min(lastNumber, Number(w.before[0]) - 1) : lastNumber;
  const from = w.backward ? Math.max(low, high - w.size + 1) : low;
  const to = w.backward ? high : Math.min(high, low + w.size - 1);
  const entries: NumberRegisterEntry[] = [];
  for (let n = from; n <= to; n++) {
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
  const cursors = entries.map((e) => encodeCursor(scope, [e.number]));
  // Beyond the page's far end within the cursors' bounds; beyond the cursor the page was read from, any number at all.
  const more = w.backward ? from > low : to < high;
  const other = w.backward ? w.before !== null && Number(w.before[0]) <= lastNumber : w.after !== null && Number(w.after[0]) >= 1 && lastNumber >= 1;
  return {
    unitId,
    prefix,
    year,
    lastNumber,
    page: {
      items: entries,
      cursors,
      startCursor: cursors[0] ?? null,
      endCursor: cursors.at(-1) ?? null,
      hasNextPage: w.backward ? other : more,
      hasPreviousPage: w.backward ? more : other,
      totalCount: async () => lastNumber,
    },
  };
}
