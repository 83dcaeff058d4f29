import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerGraphql } from './api/graphql.ts';
import { registerExportDownload } from './api/export-download.ts';
import type { Ledger } from './app/ledger.ts';

/**
 * The HTTP server: GraphQL at /graphql (GraphiQL at /graphiql outside production) and /health,
 * which reports what an operator checks first: the database answers, how many events the ledger
 * holds, and how far the signed Merkle log is behind the events.
 */
export async function buildServer(ledger: Ledger, opts: { logLevel?: string } = {}): Promise<FastifyInstance> {
  // A draft carries its attachments in base64 (4 bytes for every 3) plus the text of the document.
  const bodyLimit = Math.ceil((ledger.config.GONGWEN_ATTACHMENT_LIMIT_BYTES * 4) / 3) + 1024 * 1024;
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
  const app = Fastify({ logger: { level: opts.logLevel ?? 'info' }, bodyLimit, https }) as unknown as FastifyInstance;
  await registerGraphql(app, ledger);
  registerExportDownload(app, ledger);
  app.get('/health', async (_req, reply) => {
    try {
      const status = await ledger.status();
      return { status: 'ok', ...status };
    } catch (error) {
      reply.code(503);
      return { status: 'unavailable', error: (error as Error).message };
    }
  });
  return app;
}
