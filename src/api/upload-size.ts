import type { FastifyInstance } from 'fastify';
import { attachmentsTooLargeMessage } from '../domain/document/content-rules.ts';
import { languageOf, localise, type Language } from './error-format.ts';

/**
 * How large a GraphQL request body may be, and what an over-size one is answered (issue 11).
 *
 * The body limit leaves room for twice the attachment limit (in base64, 4 bytes for every 3) plus
 * the document's text, so an upload somewhat over the limit (a 4 MB PDF against 3 MB) reaches the
 * domain, whose check answers ATTACHMENTS_TOO_LARGE with the exact sizes. Only a body beyond that
 * is cut off by the HTTP layer — before it is read — and answered with the same code in the same
 * words, giving the least the attachments can amount to.
 */
const TEXT_ALLOWANCE = 1024 * 1024;

export const uploadBodyLimit = (attachmentLimitBytes: number) => Math.ceil((2 * attachmentLimitBytes * 4) / 3) + TEXT_ALLOWANCE;

/** The least the attachments of a body of this size amount to (the body less the text allowance, decoded from base64). */
export const attachmentBytesAtLeast = (bodyBytes: number) => Math.floor((Math.max(0, bodyBytes - TEXT_ALLOWANCE) * 3) / 4);

/** The GraphQL-shaped answer (HTTP 413) to a body over the limit, in the caller's language as every error is. */
export function oversizedUploadBody(bodyBytes: number, attachmentLimitBytes: number, bodyLimit: number, language: Language) {
  const atLeast = attachmentBytesAtLeast(bodyBytes);
  return {
    data: null,
    errors: [
      {
        message: localise(`请求过大（${bodyBytes.toLocaleString('en-US')} 字节，上限 ${bodyLimit.toLocaleString('en-US')} 字节）：${attachmentsTooLargeMessage(atLeast, attachmentLimitBytes, { atLeast: true })}`, language),
        extensions: { code: 'ATTACHMENTS_TOO_LARGE', details: { requestBytes: bodyBytes, bodyLimitBytes: bodyLimit, totalBytesAtLeast: atLeast, limitBytes: attachmentLimitBytes } },
      },
    ],
  };
}

/** Refuses a /graphql request whose declared length is over the body limit before a byte of it is read. */
export function refuseOversizedUploads(app: FastifyInstance, opts: { attachmentLimitBytes: number; bodyLimit: number; path?: string }): void {
  const path = opts.path ?? '/graphql';
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== path || request.method !== 'POST') return;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > opts.bodyLimit)) return;
    // The client is still sending: answer and close, rather than drain megabytes nobody reads.
    reply.header('connection', 'close');
    return reply.code(413).send(oversizedUploadBody(declared, opts.attachmentLimitBytes, opts.bodyLimit, languageOf(request.headers)));
  });
}

/** A body fastify cut off while reading it (sent without a declared length): its error, if that is what failed. */
export const isBodyTooLarge = (error: unknown): boolean =>
  (error as { code?: string; originalError?: { code?: string } })?.originalError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ||
  (error as { code?: string })?.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
