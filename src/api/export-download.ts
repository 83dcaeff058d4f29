import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../app/ledger.ts';
import { packageFileName } from '../export/package-name.ts';
import { authenticate } from './authenticate.ts';

/**
 * GET /exports/:exportId/package (downloadPath in archive-resolvers.ts): the transfer package, streamed from disk, to the archivist who
 * asked for it (bearer token, as for GraphQL). Errors answer with the same codes as GraphQL.
 */
export function registerExportDownload(app: FastifyInstance, ledger: Ledger): void {
  app.get<{ Params: { exportId: string } }>('/exports/:exportId/package', async (request, reply) => {
    const auth = await authenticate(ledger.store, request.headers.authorization, new Date());
    if (!auth.ok) return reply.code(401).send({ code: 'UNAUTHENTICATED', message: auth.reason });
    const p = auth.principal;
    const e = await ledger.exports.get(request.params.exportId);
    if (!e || e.requestedBy !== p.userId) {
      return reply.code(e ? 403 : 404).send(
        e ? { code: 'NOT_AUTHORISED', message: '移交包只能由申请导出的档案员下载 (only the requester may download)' } : { code: 'NOT_FOUND', message: '没有该导出任务 (no such export)' },
      );
    }
    if (e.status !== 'exported' || !e.file) return reply.code(409).send({ code: 'INVALID_STATE', message: `导出任务尚未完成（${e.status}）(export not finished)` });
    const name = packageFileName(e.fonds, e.year, e.profile);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="package.zip"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('x-package-sha256', e.packageSha256 ?? '')
      .send(createReadStream(e.file));
  });
}
