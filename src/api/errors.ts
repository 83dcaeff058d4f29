import mercurius from 'mercurius';
import type { FastifyBaseLogger } from 'fastify';
import { Refusal } from '../domain/refusal.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';

/** A GraphQL error with a stable `extensions.code` and a message for the clerk. */
export const apiError = (code: string, message: string, details?: Record<string, unknown>) =>
  new mercurius.ErrorWithProps(message, { code, ...(details && Object.keys(details).length ? { details } : {}) }, 200);

/**
 * Every failure leaves a resolver as a typed error: refusals keep their code, anything unexpected
 * is logged in full and answered with INTERNAL_ERROR, never with internals or an HTTP 500.
 */
export async function guarded<T>(log: FastifyBaseLogger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Refusal) throw apiError(error.code, error.message, jsonSafe(error.details));
    if (error instanceof mercurius.ErrorWithProps) throw error;
    if (isDatabaseUnavailable(error)) throw databaseUnavailable();
    log.error({ err: error }, 'unexpected error in a resolver');
    throw apiError('INTERNAL_ERROR', '系统内部错误，操作未完成，请稍后重试或联系管理员 (internal error; nothing was changed)');
  }
}

// zod issues and the like may hold values that do not serialise; the client needs only the data.
const jsonSafe = (details: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(details)) as Record<string, unknown>;

/** The database is restarting or unreachable: retryable (with the same commandId), not a failure of the request. */
export const databaseUnavailable = () =>
  apiError('DATABASE_UNAVAILABLE', '数据库暂时不可用，请稍后用同一 commandId 重试 (database unavailable; retry later with the same commandId)', { retryable: true });
