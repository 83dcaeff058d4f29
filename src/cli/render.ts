import { writeFile } from 'node:fs/promises';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { fold } from '../domain/decider.ts';
import { currentRendering, renderingDecider } from '../domain/rendering/index.ts';
import { Refusal } from '../domain/refusal.ts';
import { streams } from '../domain/streams.ts';
import { createEventStore } from '../eventstore/create-event-store.ts';
import type { EventStore } from '../eventstore/port.ts';
import { loadLedgerKey } from '../integrity/ledger-key.ts';
import { FontError, fontMapFrom, loadRenderInput, renderDocument, renderDocumentOfd } from '../render/index.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import type { RenderingEvent } from '../../schemas/events/rendering.ts';

/**
 * `gongwen render <documentId> --out file.pdf`: the sealed document as PDF/A per GB/T 9704,
 * rendered here with this machine's fonts, and compared with the rendering the ledger recorded.
 * `--format ofd`: the same layout as OFD (GB/T 33190), written without a comparison (not recorded).
 * Exit 0 written (and equal to the record, or none recorded yet), 1 refused or different, 2 usage.
 */
export async function renderCommand(config: Config, documentId: string | undefined, out: string | undefined, format = 'pdf'): Promise<number> {
  if (!documentId || !out || (format !== 'pdf' && format !== 'ofd')) {
    console.error('用法 (usage): gongwen render <documentId> [--format pdf|ofd] --out <file>');
    return 2;
  }
  const db = await openDatabase(config, { migrate: false });
  let store: EventStore | undefined;
  try {
    const key = await loadLedgerKey(config);
    // Wherever the events live (EVENT_STORE): PostgreSQL or EventStoreDB.
    store = await createEventStore(config, { pool: db.pool, registry: eventRegistry, macKey: key.macKey });
    const input = await loadRenderInput(store, documentId);
    if (format === 'ofd') {
      const ofd = await renderDocumentOfd(input, { fonts: fontMapFrom(config), settings: { timeZone: config.GONGWEN_TIMEZONE } });
      await writeFile(out, ofd.ofd);
      console.error(`已生成 OFD ${input.docNumber}「${input.title}」：${ofd.pageCount} 页，${ofd.byteLength} 字节，SM3 ${ofd.sm3} → ${out}`);
      // The ledger records the PDF/A rendering; the OFD is drawn from the same layout, not recorded.
      return 0;
    }
    const r = await renderDocument(input, { fonts: fontMapFrom(config), settings: { timeZone: config.GONGWEN_TIMEZONE } });
    await writeFile(out, r.pdf);
    console.error(`已生成 ${input.docNumber}「${input.title}」：${r.pageCount} 页，${r.byteLength} 字节，SM3 ${r.sm3} → ${out}`);
    if (r.substitutions.length > 0) {
      console.error(`注意：${r.substitutions.map((s) => `${s.codePoint}×${s.count}`).join('、')} 无可用字形，以〓代替 (characters replaced)`);
    }
    const recorded = currentRendering(fold(renderingDecider, (await store.readStream(streams.rendering(documentId))).events as unknown as RenderingEvent[]));
    if (!recorded) {
      console.error('账本中尚无该文的版式记录 (no rendering recorded yet)');
      return 0;
    }
    if (recorded.sm3 === r.sm3) {
      console.error('与账本记录的版式文件一致 (matches the recorded rendering)');
      return 0;
    }
    console.error(
      `与账本记录不一致 (differs from the recorded rendering): 记录 SM3 ${recorded.sm3}，${recorded.pageCount} 页，${recorded.rendererVersion}` +
        (recorded.fontsDigest !== r.fontsDigest ? '；字体不同 (different fonts)' : ''),
    );
    return 1;
  } catch (error) {
    if (error instanceof Refusal || error instanceof FontError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await store?.close();
    await db.close();
  }
}
