import type { z } from 'zod';
import type { Config } from '../../config/config.ts';
import { RecordRendering } from '../../../schemas/commands/rendering.ts';
import type { DocumentSealed } from '../../../schemas/events/document.ts';
import { renderingDecider } from '../../domain/rendering/index.ts';
import { streams } from '../../domain/streams.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import { sm3Hex } from '../../integrity/sm3.ts';
import { storeRendering } from '../../render/rendering-contents.ts';
import { fontMapFrom } from '../../render/font-map.ts';
import { loadRenderInput } from '../../render/load-input.ts';
import type { RenderWorker } from '../../render/render-worker.ts';
import { SYSTEM_ACTOR } from '../authorization.ts';
import { retryPolicy, type CommandDeps } from '../commands/deps.ts';
import { handleCommand } from '../handle-command.ts';
import type { Reactor } from './reactor-runner.ts';

/**
 * 版式文件: when a document is sealed, the ledger renders it (GB/T 9704, PDF/A) and records the
 * rendering's SM3 digest, page count and size on `rendering-<documentId>`, so the archive's 页数
 * and the exported file are the ledger's, and any later re-render can be compared with them. The
 * sealing commands are untouched: this reacts to their event. The commandId is derived from the
 * sealing event, the renderer version and the fonts, so a replay records nothing twice. The PDF's
 * bytes are kept in `rendering_contents` under that digest.
 */
export function renderingRecorder(deps: CommandDeps, config: Config, renderer: RenderWorker): Reactor {
  const fonts = fontMapFrom(config);
  return {
    name: 'rendering-recorder',
    handles: new Set(['DocumentSealed']),
    async handle(event: RecordedEvent) {
      const sealed = event.data as z.infer<typeof DocumentSealed.data>;
      const input = await loadRenderInput(deps.store, sealed.documentId, { upToRevision: event.revision });
      const r = await renderer.render(input, { fonts, settings: { timeZone: config.GONGWEN_TIMEZONE } });
      // The bytes first, then the record: an export takes the recorded file from here (src/export).
      await storeRendering(deps.pool, r);
      const data = RecordRendering.input.parse({
        documentId: sealed.documentId,
        issuerUnitId: sealed.issuerUnitId,
        contentDigest: sealed.contentDigest,
        sealedEventId: event.eventId,
        format: r.format,
        mediaType: 'application/pdf',
        sm3: r.sm3,
        digestAlgorithm: 'SM3',
        pageCount: r.pageCount,
        byteLength: r.byteLength,
        rendererVersion: r.rendererVersion,
        fontsDigest: r.fontsDigest,
        substitutions: r.substitutions.slice(0, 200),
      });
      await handleCommand(
        deps.store,
        { streamId: streams.rendering(sealed.documentId), decider: renderingDecider, context: () => ({ actor: SYSTEM_ACTOR, now: deps.now().toISOString() }) },
        {
          command: { type: 'RecordRendering', data },
          commandId: `render:${event.eventId}:${sm3Hex(`${r.rendererVersion}\n${r.fontsDigest}`).slice(0, 16)}`,
          actor: SYSTEM_ACTOR,
          correlationId: event.correlationId,
          causationId: event.eventId,
        },
        retryPolicy(deps),
      );
    },
  };
}
