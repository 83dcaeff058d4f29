import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../app/ledger.ts';
import { packageFileName } from '../export/package-name.ts';
import { authenticate } from './authenticate.ts';
import { sendApiError } from './http-errors.ts';

/**
 * GET /exports/:exportId/package (downloadPath in archive-resolvers.ts): the transfer package, streamed from disk, to the archivist who
 * asked for it (bearer token, as for GraphQL). Refusals answer in GraphQL's error shape (http-errors.ts).
 */
export function registerExportDownload(app: FastifyInstance, ledger: Ledger): void {
  app.get<{ Params: { exportId: string } }>('/exports/:exportId/package', async (request, reply) => {
    const auth = await authenticate(ledger.store, request.headers.authorization, new Date());
    if (!auth.ok) return sendApiError(request, reply, 'UNAUTHENTICATED', auth.reason);
    const p = auth.principal;
    const e = await ledger.exports.get(request.params.exportId);
    if (!e) return sendApiError(request, reply, 'NOT_FOUND', '没有该导出任务 (no such export)');
    if (e.requestedBy !== p.userId) return sendApiError(request, reply, 'NOT_AUTHORISED', '移交包只能由申请导出的档案员下载 (only the requester may download)');
    if (e.status !== 'exported' || !e.file) return sendApiError(request, reply, 'INVALID_STATE', `导出任务尚未完成（${e.status}）(export not finished)`);
    const name = packageFileName(e.fonds, e.year, e.profile);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="package.zip"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('x-package-sha256', e.packageSha256 ?? '')
      .send(createReadStream(e.file));
  });
}
