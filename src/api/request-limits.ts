import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse, validate, NoSchemaIntrospectionCustomRule, type DocumentNode, type GraphQLSchema } from 'graphql';
import { apiError, type ErrorCode } from './errors.ts';
import { languageOf, localise } from './error-format.ts';

/**
 * The bounds every GraphQL request lives within, so that no client — logged in or not — can hold
 * the server's time or memory: the one place they are set. The query cost (what a document may
 * ask for) is estimated by query-cost.ts from the schema's declarations against QUERY_COST_LIMIT.
 */
export const limits = {
  /** Estimated cost of one operation (query-cost.ts); about 100 bytes of answer per unit. */
  queryCost: 250_000,
  /** Fields nested in one another (query-depth.ts); GraphiQL's introspection query needs 10. */
  queryDepth: 10,
  /** A document sent without a valid login: enough for GraphiQL's introspection query (≈ 2 KB, 190 tokens). */
  anonymousDocumentBytes: 4 * 1024,
  anonymousDocumentTokens: 500,
  /** A logged-in user's document (the variables, attachments included, are not part of it). */
  documentBytes: 64 * 1024,
  documentTokens: 6_000,
  /** From the request's arrival to its answer; a request still running then is answered QUERY_TIMEOUT. */
  requestMs: 30_000,
  /** Request bodies being received at once, in total (each is also bounded by the body limit). */
  bodyBytesInFlight: 64 * 1024 * 1024,
  /** GraphQL requests being worked on at once; more are answered SERVER_BUSY at once. */
  requestsInFlight: 64,
} as const;

/** The largest answer the server sends (a sealed package with its attachments must fit). */
export const responseByteLimit = (bodyLimit: number) => Math.max(16 * 1024 * 1024, 2 * bodyLimit);

const tooLarge = (what: string, max: number) =>
  apiError('QUERY_TOO_LARGE', `查询文档过大（${what}超过 ${max}），请精简查询；未登录时上限更低 (query document too large)`, { limit: max });

/**
 * Before anything parses or validates a document: its size, then its token count (graphql's own
 * parser stops counting at the limit). An anonymous caller gets much lower bounds, since it may
 * do nothing but introspect. Returns the parsed document (or throws QUERY_TOO_LARGE).
 */
export function checkDocument(source: string, loggedIn: boolean): DocumentNode {
  const bytes = loggedIn ? limits.documentBytes : limits.anonymousDocumentBytes;
  const tokens = loggedIn ? limits.documentTokens : limits.anonymousDocumentTokens;
  if (Buffer.byteLength(source, 'utf8') > bytes) throw tooLarge('字节数', bytes);
  try {
    return parse(source, { maxTokens: tokens });
  } catch (error) {
    if (/Document contains more th/.test((error as Error).message)) throw tooLarge('词法单元数', tokens);
    // Answered here rather than by mercurius, which would then try the text as a JSON syntax tree.
    throw apiError('VALIDATION_FAILED', `查询语法错误：${(error as Error).message} (GraphQL syntax error)`);
  }
}

/** Introspection needs a login unless the configuration opens it (development does by default). */
export function checkIntrospection(schema: GraphQLSchema, document: DocumentNode, loggedIn: boolean, open: boolean): void {
  if (open || loggedIn) return;
  if (validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0) {
    throw apiError('UNAUTHENTICATED', '请先登录再查看接口结构 (introspection requires a login in this deployment)');
  }
}

/**
 * Fastify-level bounds of /graphql: how many requests and how many body bytes are in flight at
 * once, how long a request may take, and how large its answer may be.
 */
export function boundRequests(
  app: FastifyInstance,
  opts: { bodyLimit: number; path?: string; requestMs?: number; requestsInFlight?: number; bodyBytesInFlight?: number; responseBytes?: number },
): void {
  const path = opts.path ?? '/graphql';
  const maxResponse = opts.responseBytes ?? responseByteLimit(opts.bodyLimit);
  const { requestMs = limits.requestMs, requestsInFlight = limits.requestsInFlight, bodyBytesInFlight = limits.bodyBytesInFlight } = opts;
  let requests = 0;
  let bodyBytes = 0;
  /**
   * A request holds its slot until both its work has ended (its answer reached onSend, or its time
   * ran out) and its connection is done with it (the response's 'close', which Node emits after the
   * answer is written and also when the client hangs up). fastify's onResponse alone is not enough:
   * a client that hangs up after sending its body (autocannon at the end of a run, a browser tab
   * closed) gets no 'finish', and onRequestAbort only fires while the body is still arriving — each
   * such request kept its slot for ever, and after `requestsInFlight` of them the server answered
   * SERVER_BUSY to everyone until it was restarted.
   */
  interface Held { bytes: number; workDone: boolean; closed: boolean; timer?: NodeJS.Timeout }
  const held = new WeakMap<FastifyRequest, Held>();

  const settle = (request: FastifyRequest, change: Partial<Pick<Held, 'workDone' | 'closed'>>) => {
    const h = held.get(request);
    if (!h) return;
    Object.assign(h, change);
    if (!h.workDone || !h.closed) return;
    held.delete(request);
    requests--;
    bodyBytes -= h.bytes;
    clearTimeout(h.timer);
  };

  app.addHook('onRequest', async (request, reply) => {
    // A WebSocket upgrade (subscriptions) lives on as a connection, not a request: not counted.
    if (request.routeOptions.url !== path || request.headers.upgrade) return;
    const declared = Number(request.headers['content-length'] ?? 0);
    // A body of unknown length may grow to the body limit: it is counted as such.
    const bytes = request.method === 'POST' ? (Number.isFinite(declared) && declared > 0 ? Math.min(declared, opts.bodyLimit) : opts.bodyLimit) : 0;
    if (requests >= requestsInFlight || bodyBytes + bytes > bodyBytesInFlight) {
      return busy(request, reply);
    }
    requests++;
    bodyBytes += bytes;
    const h: Held = { bytes, workDone: false, closed: false };
    held.set(request, h);
    reply.raw.once('close', () => settle(request, { closed: true }));
    h.timer = setTimeout(() => {
      // Past its time the request no longer counts, whether or not its work is still going.
      settle(request, { workDone: true });
      if (reply.sent || reply.raw.destroyed) return;
      reply.code(503).header('retry-after', '5').send(errorBody(request, 'QUERY_TIMEOUT', `请求处理超过 ${requestMs / 1000} 秒，已中止；请缩小查询范围后重试 (request timed out)`));
    }, requestMs);
  });
  // The body never arrived: no work will be done for it.
  app.addHook('onRequestAbort', async (request) => settle(request, { workDone: true }));

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== path) return payload;
    settle(request, { workDone: true });
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : 0;
    if (size <= maxResponse) return payload;
    reply.code(200);
    return JSON.stringify(errorBody(request, 'RESPONSE_TOO_LARGE', `查询结果过大（${size} 字节，上限 ${maxResponse}），请分页或减少字段 (response too large)`));
  });
}

function busy(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(503).header('retry-after', '2').send(errorBody(request, 'SERVER_BUSY', '服务器繁忙，请稍后重试 (server busy, retry later)'));
}

/** The API's error shape (error-format.ts), for the answers fastify sends before GraphQL runs. */
const errorBody = (request: FastifyRequest, code: ErrorCode, message: string) => ({
  data: null,
  errors: [{ message: localise(message, languageOf(request.headers), code), extensions: { code } }],
});
