import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { Refusal } from '../domain/refusal.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { languageOf, localise, transportError } from './error-format.ts';
import type { ErrorCode } from './errors.ts';

/**
 * The routes outside GraphQL (downloads of attachments, renderings and export packages, the
 * supervision tables, GraphiQL's assets) answer a refusal in the very shape a GraphQL error has —
 * `{ "errors": [{ "message", "extensions": { "code" } }] }` — so a client reads every failure of
 * the API one way. The message is localised as GraphQL's are (Accept-Language).
 *
 * The HTTP status says what a plain HTTP client needs (GraphQL answers a field's refusal with
 * 200 and the code; a download has no field to carry it): these are the codes that occur here.
 */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  NOT_AUTHORISED: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  ATTACHMENTS_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_ERROR: 500,
  DATABASE_UNAVAILABLE: 503,
  SERVER_BUSY: 503,
  QUERY_TIMEOUT: 503,
};

export const httpStatusOf = (code: string): number => HTTP_STATUS[code as ErrorCode] ?? 400;

export interface ApiErrorBody {
  errors: { message: string; extensions: { code: string; details?: Record<string, unknown> } }[];
}

export function errorBody(request: FastifyRequest, code: string, message: string, details?: Record<string, unknown>): ApiErrorBody {
  return { errors: [{ message: localise(message, languageOf(request.headers), code), extensions: { code, ...(details && { details }) } }] };
}

/** Sends a refusal of a non-GraphQL route: the one helper every such route answers through. */
export function sendApiError(request: FastifyRequest, reply: FastifyReply, code: string, message: string, details?: Record<string, unknown>): FastifyReply {
  return reply
    .code(httpStatusOf(code))
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorBody(request, code, message, details));
}

/** A refusal a route raises on purpose, with its code (its HTTP status follows from the code). */
export class HttpRefusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const INTERNAL = '系统内部错误，请稍后重试或联系管理员 (internal error)';

/** Any failure of a non-GraphQL route as (code, message): refusals keep their code; anything else is logged and answered INTERNAL_ERROR. */
export function classify(request: FastifyRequest, error: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (error instanceof HttpRefusal || error instanceof Refusal) return { code: error.code, message: error.message };
  if (error instanceof mercurius.ErrorWithProps) {
    return { code: String((error.extensions as { code?: unknown } | undefined)?.code ?? 'INTERNAL_ERROR'), message: error.message };
  }
  if (isDatabaseUnavailable(error)) return { code: 'DATABASE_UNAVAILABLE', message: '数据库暂时不可用，请稍后重试 (database unavailable; retry later)' };
  const transport = transportError(error as Error & { code?: string });
  if (transport) return transport;
  if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { code: 'ATTACHMENTS_TOO_LARGE', message: '请求体过大，超过服务器的上限 (request body too large)' };
  }
  request.log.error({ err: error }, 'request failed');
  return { code: 'INTERNAL_ERROR', message: INTERNAL };
}

/**
 * The app's own answers outside GraphQL in the same shape: a path no route serves (404) and the
 * failures fastify raises before a route runs (bad JSON, a body too large, a wrong content type).
 * /graphql keeps mercurius's error handler (error-format.ts), which answers in this shape too.
 */
export function registerHttpErrors(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    sendApiError(request, reply, 'NOT_FOUND', `没有这个地址：${request.method} ${request.url.split('?')[0]!.slice(0, 200)} (no such route)`);
  });
  app.setErrorHandler((error, request, reply) => {
    const { code, message, details } = classify(request, error);
    sendApiError(request, reply, code, message, details);
  });
}
