import type pg from 'pg';
import type { z } from 'zod';
import type { DossierClosed, FrozenItem } from '../../schemas/events/dossier.ts';
import type { DocumentSealed } from '../../schemas/events/document.ts';
import type { DocumentRendered } from '../../schemas/events/rendering.ts';
import type { SealIssued } from '../../schemas/events/seal.ts';
import { fold } from '../domain/decider.ts';
import { documentDecider, sealedContent, type DocumentEvent, type DocumentRecord } from '../domain/document/index.ts';
import type { SealedContent } from '../domain/document/sealed-content.ts';
import { Refusal } from '../domain/refusal.ts';
import { streams } from '../domain/streams.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { loadRenderInput } from '../render/load-input.ts';
import type { RenderInput } from '../render/render-input.ts';
import { storedRendering } from '../render/rendering-contents.ts';
import type { SealRecord } from '../seal/seal-record.ts';
import type { SealHistoryEntry } from '../seal/verify-sealed-document.ts';

/**
 * What an export reads from the ledger: the dossier's frozen batches (DossierClosed) and, for each
 * item, its document's own events as they stood when its batch closed. Everything is bounded by
 * the closing event's global position, so a later reading, receipt, seal revocation, rename, 档号
 * template change or rebuild never changes what a re-export writes.
 */

export type ClosedBatch = z.infer<typeof DossierClosed.data> & { globalPosition: number };

export interface FrozenDossier {
  fonds: string;
  year: number;
  fondsCode: string | null;
  fondsName: string;
  template: { id: string; pattern: string };
  batches: ClosedBatch[];
  /** The close of the last batch: the package's time. */
  closedAt: string;
  items: number;
}

export async function loadFrozenDossier(store: EventStore, fonds: string, year: number): Promise<FrozenDossier> {
  const read = await store.readStream(streams.dossier(fonds, year));
  const batches = read.events
    .filter((e) => e.type === 'DossierClosed')
    .map((e) => ({ ...(e.data as z.infer<typeof DossierClosed.data>), globalPosition: e.globalPosition }));
  if (batches.length === 0) {
    throw new Refusal('INVALID_STATE', `全宗 ${fonds} ${year} 年度尚未关卷，请先关卷：gongwen close-dossier --year ${year} --fonds ${fonds}（或 closeDossier）(dossier not closed)`, { fonds, year });
  }
  const first = batches[0]!;
  const last = batches.at(-1)!;
  return {
    fonds,
    year,
    fondsCode: first.fondsCode,
    fondsName: first.fondsName,
    template: first.archivalCodeTemplate,
    batches,
    closedAt: last.closedAt,
    items: batches.reduce((n, b) => n + b.items.length, 0),
  };
}

export interface Person {
  id: string;
  kind: '个人' | '单位';
  name: string;
  /** A person's unit. */
  unitId?: string;
}

export interface ItemRecord {
  dossier: FrozenDossier;
  batch: number;
  item: FrozenItem;
  /** 电子文件号: the document's id, and for a recipient's copy the receiving unit too. */
  fileNo: string;
  document: DocumentRecord;
  content: SealedContent | null;
  sealing: z.infer<typeof DocumentSealed.data> | null;
  sealRecord: SealRecord | null;
  sealHistory: SealHistoryEntry[];
  /** The document's events (its stream and every delivery), in ledger order, up to the close. */
  events: RecordedEvent[];
  attachments: { name: string; mediaType: string; sm3: string; bytes: Uint8Array }[];
  /** The fixed-layout rendering of record (版式文件) of the last sealing, when one was recorded before the close. */
  rendering: { recorded: Rendered; pdf: Buffer } | null;
  recipients: { main: string[]; cc: string[] };
  people: Map<string, Person>;
}

export type Rendered = z.infer<typeof DocumentRendered.data>;

/** Renders a sealed document afresh (src/render is deterministic): the same input, fonts and renderer give the same bytes. */
export type RenderAgain = (input: RenderInput) => Promise<{ pdf: Buffer; sm3: string }>;

/** Reads item after item, with caches for what many items share (seals, people, units). */
export class DossierReader {
  private readonly names = new Map<string, Person>();
  private readonly seals = new Map<string, RecordedEvent[]>();

  constructor(
    private readonly store: EventStore,
    private readonly pool: pg.Pool,
    private readonly renderAgain: RenderAgain,
  ) {}

  /**
   * The items in package order: batch by batch, each in its frozen order. One item is read ahead,
   * so its database round trips overlap the signing and zipping of the one before; memory holds
   * two items at most.
   */
  async *items(dossier: FrozenDossier): AsyncGenerator<ItemRecord> {
    const all = dossier.batches.flatMap((batch) => batch.items.map((item) => ({ batch, item })));
    const read = (i: number) => {
      const reading = this.item(dossier, all[i]!.batch, all[i]!.item);
      // Awaited below; should the consumer stop first, its failure is nobody's to hear.
      reading.catch(() => {});
      return reading;
    };
    let ahead = all.length > 0 ? read(0) : undefined;
    for (let i = 0; ahead; i++) {
      const current = ahead;
      ahead = i + 1 < all.length ? read(i + 1) : undefined;
      yield await current;
    }
  }

  async item(dossier: FrozenDossier, batch: ClosedBatch, item: FrozenItem): Promise<ItemRecord> {
    const bound = (e: RecordedEvent) => e.globalPosition < batch.globalPosition;
    const docEvents = (await this.store.readStream(streams.document(item.documentId))).events.filter(bound);
    const document = fold(documentDecider, docEvents as unknown as DocumentEvent[]);
    if (document.status === 'none') throw new Error(`frozen item ${item.documentId} has no document stream`);
    const recipients = document.sending?.recipients ?? [];
    const deliveries = await Promise.all(recipients.map((r) => this.store.readStream(streams.delivery(item.documentId, r.unitId))));
    const events = [...docEvents, ...deliveries.flatMap((d) => d.events.filter(bound))].sort((a, b) => a.globalPosition - b.globalPosition);

    const sealedEvent = docEvents.filter((e) => e.type === 'DocumentSealed').at(-1);
    const sealing = (sealedEvent?.data as z.infer<typeof DocumentSealed.data> | undefined) ?? null;
    const content = document.number && document.signOff ? sealedContent(document, document.number) : null;
    let sealRecord: SealRecord | null = null;
    let sealHistory: SealHistoryEntry[] = [];
    if (sealing) {
      const sealEvents = (await this.sealEvents(sealing.sealId)).filter(bound);
      const issued = sealEvents.find((e) => e.type === 'SealIssued');
      sealRecord = issued ? (issued.data as z.infer<typeof SealIssued.data>).sealRecord : null;
      sealHistory = sealEvents.flatMap((e): SealHistoryEntry[] => {
        const status = HISTORY[e.type];
        const reason = (e.data as { reason?: string }).reason;
        return status ? [{ status, at: e.recordedAt, ...(reason !== undefined && { reason }) }] : [];
      });
    }
    const attachments = await this.attachmentBytes(document.content.attachments);
    const rendering = sealedEvent ? await this.rendering(item.documentId, sealedEvent, bound) : null;

    const people = new Map<string, Person>();
    for (const e of events) {
      if (e.actor.role !== 'SYSTEM') people.set(e.actor.userId, await this.person(e.actor.userId, e.actor.unitId));
      people.set(e.actor.unitId, await this.unit(e.actor.unitId));
    }
    people.set(document.issuerUnitId, await this.unit(document.issuerUnitId));
    for (const r of recipients) people.set(r.unitId, await this.unit(r.unitId));
    return {
      dossier,
      batch: batch.batch,
      item,
      fileNo: item.side === 'sent' ? item.documentId : `${item.documentId}.${item.unitId}`,
      document,
      content,
      sealing,
      sealRecord,
      sealHistory,
      events,
      attachments,
      rendering,
      recipients: {
        main: recipients.filter((r) => r.kind === 'main').map((r) => r.unitId),
        cc: recipients.filter((r) => r.kind === 'cc').map((r) => r.unitId),
      },
      people,
    };
  }

  /**
   * The rendering recorded for the sealing (the latest one before the close), as the very file the
   * ledger recorded: its stored bytes, or failing those a fresh rendering, which must have the
   * recorded SM3. A rendering that cannot be reproduced refuses the export rather than hand the
   * archive a file the ledger never recorded.
   */
  private async rendering(documentId: string, sealed: RecordedEvent, bound: (e: RecordedEvent) => boolean): Promise<ItemRecord['rendering']> {
    const recorded = (await this.store.readStream(streams.rendering(documentId))).events
      .filter((e) => bound(e) && e.type === 'DocumentRendered' && (e.data as Rendered).sealedEventId === sealed.eventId)
      .map((e) => e.data as Rendered);
    const latest = recorded.at(-1);
    if (!latest) return null;
    const stored = await storedRendering(this.pool, latest.sm3);
    if (stored) return { recorded: latest, pdf: stored };
    const again = await this.renderAgain(await loadRenderInput(this.store, documentId, { upToRevision: sealed.revision }));
    if (again.sm3 === latest.sm3) return { recorded: latest, pdf: again.pdf };
    throw new Refusal(
      'INVALID_STATE',
      `公文「${documentId}」的版式文件未在内容库中，重新生成的文件（SM3 ${again.sm3}）与账本记录的（SM3 ${latest.sm3}，${latest.rendererVersion}）不一致，` +
        `不能把账本未记录的文件移交：请用记录时的渲染器和字体配置（GONGWEN_FONT_*）导出 (rendering does not match the recorded DocumentRendered)`,
      { documentId, recordedSm3: latest.sm3, renderedSm3: again.sm3, rendererVersion: latest.rendererVersion, fontsDigest: latest.fontsDigest },
    );
  }

  private async sealEvents(sealId: string): Promise<RecordedEvent[]> {
    let events = this.seals.get(sealId);
    if (!events) {
      events = (await this.store.readStream(streams.seal(sealId))).events;
      if (this.seals.size > 1000) this.seals.clear();
      this.seals.set(sealId, events);
    }
    return events;
  }

  private async attachmentBytes(list: readonly { name: string; mediaType: string; sm3: string }[]): Promise<ItemRecord['attachments']> {
    if (list.length === 0) return [];
    const { rows } = await this.pool.query<{ sm3: string; bytes: Buffer }>('SELECT sm3, bytes FROM attachment_contents WHERE sm3 = ANY($1::text[])', [list.map((a) => a.sm3)]);
    const bytes = new Map(rows.map((r) => [r.sm3, r.bytes]));
    return list.map((a) => {
      const b = bytes.get(a.sm3);
      if (!b) throw new Error(`附件「${a.name}」的内容（SM3 ${a.sm3}）不在内容库中，无法导出 (attachment bytes missing)`);
      return { name: a.name, mediaType: a.mediaType, sm3: a.sm3, bytes: b };
    });
  }

  // Names as the directory streams give them (the first registration; a person's name rarely
  // changes and the events record ids): cached across items, bounded in count.
  private async person(userId: string, unitId: string): Promise<Person> {
    const cached = this.names.get(`user:${userId}`);
    if (cached) return cached;
    const read = await this.store.readStream(streams.user(userId));
    const registered = read.events.find((e) => e.type === 'UserRegistered')?.data as { name?: string } | undefined;
    const p: Person = { id: userId, kind: '个人', name: registered?.name ?? userId, unitId };
    return this.remember(`user:${userId}`, p);
  }

  private async unit(unitId: string): Promise<Person> {
    const cached = this.names.get(`unit:${unitId}`);
    if (cached) return cached;
    const read = await this.store.readStream(streams.unit(unitId));
    const registered = read.events.find((e) => e.type === 'UnitRegistered')?.data as { name?: string } | undefined;
    return this.remember(`unit:${unitId}`, { id: unitId, kind: '单位', name: registered?.name ?? unitId });
  }

  private remember(key: string, p: Person): Person {
    if (this.names.size > 20_000) this.names.clear();
    this.names.set(key, p);
    return p;
  }
}

const HISTORY: Record<string, SealHistoryEntry['status']> = { SealIssued: 'issued', SealReplaced: 'replaced', SealRevoked: 'revoked', SealDestroyed: 'destroyed' };
