import { z } from 'zod';
import { Id, Sm3Hex, Timestamp } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';
import { PageCount } from './document.ts';

/**
 * Events of `rendering-<documentId>`: the fixed-layout file (版式文件) of a sealed document, as the
 * ledger rendered it when the document was sealed. Its own stream, beside the document's: the
 * document stream is the issuing unit's record and ends at 归档, while a rendering is the ledger's
 * work and may be appended after that (or again, when the renderer changes).
 *
 * The page count is the archive's 页数 and the digest is what an exported file must match: a
 * re-render with the same renderer and the same fonts (`fontsDigest`) gives the same bytes.
 */
export const RenderingFormat = z.enum(['PDF/A-2b'], { error: '版式格式须为 PDF/A-2b' });

export const DocumentRendered = defineEvent(
  'DocumentRendered',
  1,
  z.strictObject({
    documentId: Id,
    issuerUnitId: Id,
    /** The sealed content rendered (DocumentSealed.contentDigest) and the sealing event. */
    contentDigest: Sm3Hex,
    sealedEventId: z.uuid(),
    format: RenderingFormat,
    mediaType: z.literal('application/pdf'),
    sm3: Sm3Hex,
    digestAlgorithm: z.literal('SM3'),
    pageCount: PageCount,
    byteLength: z.number().int().positive(),
    rendererVersion: z.string().min(1).max(200),
    fontsDigest: Sm3Hex,
    /** Characters no configured font could draw, shown as 〓 (U+3013) on the page. */
    substitutions: z.array(z.strictObject({ codePoint: z.string().regex(/^U\+[0-9A-F]{4,6}$/), count: z.number().int().positive() })).max(200),
    renderedAt: Timestamp,
  }),
);

export const renderingEvents = [DocumentRendered] as const;
export type RenderingEvent = EventOf<(typeof renderingEvents)[number]>;
