import Fastify, { type FastifyInstance } from 'fastify';
import type { Ledger } from './app/ledger.ts';

/**
 * The HTTP server. Today: health only; the GraphQL API mounts here (schemas/graphql, mercurius).
 * Health reports what an operator checks first: the database answers, how many events the ledger
 * holds, and how far the signed Merkle log is behind the events.
 */
export async function buildServer(ledger: Ledger, opts: { logLevel?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: opts.logLevel ?? 'info' } });
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
