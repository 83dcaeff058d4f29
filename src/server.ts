import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerCors } from './api/cors.ts';
import { registerDownloads } from './api/downloads.ts';
import { uploadBodyLimit } from './api/upload-size.ts';
import { registerGraphql } from './api/graphql.ts';
import { registerGraphiql } from './api/graphiql.ts';
import { registerSupervisionCsv } from './api/supervision-csv.ts';
import { registerExportDownload } from './api/export-download.ts';
import { registerHttpErrors } from './api/http-errors.ts';
import type { Ledger } from './app/ledger.ts';
import { isDatabaseUnavailable } from './db/unavailable.ts';

/**
 * The HTTP server: GraphQL at /graphql (GraphiQL at /graphiql outside production) and /health,
 * which reports what an operator checks first: the database answers, how many events the ledger
 * holds, and how far the signed Merkle log is behind the events.
 */
export async function buildServer(ledger: Ledger, opts: { logLevel?: string; logStream?: { write(line: string): void } } = {}): Promise<FastifyInstance> {
  // A draft carries its attachments in base64 (4 bytes for every 3) plus the text of the document;
  // room for twice the limit, so the domain answers a moderate excess with exact sizes (upload-size.ts).
  const bodyLimit = uploadBodyLimit(ledger.config.GONGWEN_ATTACHMENT_LIMIT_BYTES);
  const { GONGWEN_TLS_CERT: cert, GONGWEN_TLS_KEY: key, GONGWEN_TLS_CLIENT_CA: ca } = ledger.config;
  const https = cert && key
    ? {
        cert: readFileSync(cert),
        key: readFileSync(key),
        // Client certificates are asked for but not required: bearer tokens still work, and a
        // certificate that does not verify simply does not log anyone in.
        ...(ca ? { ca: readFileSync(ca), requestCert: true, rejectUnauthorized: false } : {}),
      }
    : null;
  // requestTimeout: a client that has not sent its whole request in a minute is cut off (fastify's
  // default is no limit), so a slow upload holds its buffer that long at most (src/api/request-limits.ts).
  const app = Fastify({ logger: { level: opts.logLevel ?? 'info', ...(opts.logStream && { stream: opts.logStream }) }, bodyLimit, https, requestTimeout: 60_000 }) as unknown as FastifyInstance;
  // Before any route: every answer outside GraphQL (404s, fastify's own failures) in the API's error shape.
  registerHttpErrors(app);
  await registerCors(app, ledger.config.GONGWEN_CORS_ORIGINS);
  const graphql = await registerGraphql(app, ledger);
  await registerDownloads(app, ledger);
  if (ledger.config.GONGWEN_MODE !== 'production') await registerGraphiql(app);
  registerSupervisionCsv(app, ledger);
  registerExportDownload(app, ledger);
  app.get('/health', async (_req, reply) => {
    try {
      const status = await ledger.status();
      // readCache: the API's kept answers (hits and misses since start), for the bench and operators.
      return { status: 'ok', ...status, readCache: graphql.readCacheStats() };
    } catch (error) {
      // Degraded, not down: the HTTP server answers, and comes back by itself with the database.
      reply.code(503);
      return { status: 'degraded', database: isDatabaseUnavailable(error) ? 'unavailable' : 'error', error: (error as Error).message };
    }
  });
  return app;
}
