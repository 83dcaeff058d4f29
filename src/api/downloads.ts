import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../app/ledger.ts';
import { loadState } from '../app/commands/deps.ts';
import { currentRendering, renderingDecider } from '../domain/rendering/index.ts';
import { streams } from '../domain/streams.ts';
import { fontMapFrom } from '../render/font-map.ts';
import { loadRenderInput } from '../render/load-input.ts';
import { authenticate } from './authenticate.ts';
import { clientCertificate } from './graphql.ts';
import { classify, HttpRefusal, sendApiError } from './http-errors.ts';
import { readableDocument } from './read-access.ts';

/**
 * Downloads over plain HTTP, for anyone who may read the document (read-access.ts decides):
 *
 *   GET /documents/:documentId/rendering.pdf        the 公文 as PDF/A (GB/T 9704 layout)
 *       ?format=ofd                                  the same layout as OFD (GB/T 33190-2016)
 *   GET /documents/:documentId/attachments/:sm3     one attachment's stored bytes
 *
 * The file name is the document's title (the attachment's own name), sent as RFC 6266/5987
 * `filename*` for the Chinese and an ASCII `filename` fallback. The rendering is made afresh
 * (it is deterministic) and its SM3 is sent beside the one the ledger recorded at sealing, so a
 * client sees at once whether the file matches the ledger's record.
 *
 * Failures answer as GraphQL errors do, `{ errors: [{ message, extensions: { code } }] }` (http-errors.ts).
 */
export async function registerDownloads(app: FastifyInstance, ledger: Ledger): Promise<void> {
  const { store, securityLog } = ledger;
  const fonts = fontMapFrom(ledger.config);

  async function reader(request: FastifyRequest) {
    const auth = await authenticate(store, request.headers.authorization, new Date(), clientCertificate(request, ledger));
    if (!auth.ok) {
      if (auth.presented) await securityLog.recordFailedLogin(auth.claimedUserId, auth.reason, request.ip).catch(() => {});
      throw new HttpRefusal('UNAUTHENTICATED', auth.reason);
    }
    return auth.principal;
  }

  async function readable(request: FastifyRequest<{ Params: { documentId: string } }>) {
    const principal = await reader(request);
    const doc = await readableDocument(store, principal, request.params.documentId);
    if (!doc) throw new HttpRefusal('NOT_FOUND', `公文「${request.params.documentId}」不存在或无权查看 (no such document)`);
    return doc;
  }

  app.get<{ Params: { documentId: string }; Querystring: { format?: string } }>('/documents/:documentId/rendering.pdf', async (request, reply) =>
    answer(reply, request, async () => {
      const doc = await readable(request);
      const format = request.query.format ?? 'pdf';
      if (format !== 'pdf' && format !== 'ofd') {
        throw new HttpRefusal('VALIDATION_FAILED', `版式格式只能是 pdf 或 ofd (format must be pdf or ofd, got ${JSON.stringify(format).slice(0, 40)})`);
      }
      const input = await loadRenderInput(store, doc.documentId);
      const options = { fonts, settings: { timeZone: ledger.config.GONGWEN_TIMEZONE } };
      if (format === 'ofd') {
        // Made on request from the same layout; the ledger records the PDF/A, so there is no record to compare.
        const ofd = await ledger.renderer.renderOfd(input, options);
        reply
          .header('content-type', 'application/ofd')
          .header('content-disposition', contentDisposition(`${input.title}.ofd`))
          .header('x-content-sm3', ofd.sm3)
          .header('x-page-count', String(ofd.pageCount));
        return ofd.ofd;
      }
      const rendering = await ledger.renderer.render(input, options);
      const { state } = await loadState(store, renderingDecider, streams.rendering(doc.documentId));
      const recorded = currentRendering(state);
      reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', contentDisposition(`${input.title}.pdf`))
        .header('x-content-sm3', rendering.sm3)
        .header('x-page-count', String(rendering.pageCount));
      if (recorded) {
        reply.header('x-recorded-sm3', recorded.sm3).header('x-matches-record', String(recorded.sm3 === rendering.sm3));
      }
      return rendering.pdf;
    }),
  );

  app.get<{ Params: { documentId: string; sm3: string } }>('/documents/:documentId/attachments/:sm3', async (request, reply) =>
    answer(reply, request, async () => {
      const doc = await readable(request);
      const attachment = doc.content.attachments.find((a) => a.sm3 === request.params.sm3.toLowerCase());
      if (!attachment) throw new HttpRefusal('NOT_FOUND', `公文「${doc.content.title}」没有摘要为 ${request.params.sm3} 的附件 (no such attachment)`);
      const { rows } = await ledger.db.pool.query<{ media_type: string; bytes: Buffer }>('SELECT media_type, bytes FROM attachment_contents WHERE sm3 = $1', [attachment.sm3]);
      const stored = rows[0];
      if (!stored) throw new HttpRefusal('NOT_FOUND', `附件「${attachment.name}」的内容未保存在本账本中 (attachment bytes not stored)`);
      reply
        .header('content-type', stored.media_type)
        .header('content-disposition', contentDisposition(attachment.name))
        .header('x-content-sm3', attachment.sm3);
      return stored.bytes;
    }),
  );
}

/** Runs a download; every failure becomes a typed error in the API's shape, never a 500 with internals. */
async function answer(reply: FastifyReply, request: FastifyRequest, work: () => Promise<Buffer>): Promise<Buffer | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    const { code, message, details } = classify(request, error);
    return sendApiError(request, reply, code, message, details);
  }
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 with RFC 5987 encoding): the fallback
 * keeps ASCII letters, digits and a few safe marks, every other character becomes "_".
 */
export function contentDisposition(fileName: string): string {
  const clean = fileName.replace(/[\u0000-\u001f\u007f"\\/]/g, '_');
  const fallback = clean.replace(/[^A-Za-z0-9 ._()\-]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
