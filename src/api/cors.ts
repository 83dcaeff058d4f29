import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin access for browser frontends served from another origin (issue 11): only the
 * origins listed in GONGWEN_CORS_ORIGINS (exact scheme://host[:port]) get CORS headers; any other
 * origin gets none, so the browser keeps its page from reading the answer. Tokens travel in the
 * Authorization header, never in cookies, so credentials mode stays off.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[] | undefined): Promise<void> {
  if (!origins?.length) return;
  await app.register(cors, {
    origin: [...origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'accept', 'accept-language'],
    // What a frontend reads off a download: its file name, type and the ledger's digests.
    exposedHeaders: ['content-disposition', 'x-content-sm3', 'x-recorded-sm3', 'x-matches-record', 'x-page-count', 'retry-after'],
    credentials: false,
    maxAge: 600,
  });
}
