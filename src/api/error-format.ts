import type { IncomingHttpHeaders } from 'node:http';
import mercurius from 'mercurius';
import type { GraphQLError } from 'graphql';
import { errorCodes, type ErrorCode } from './errors.ts';

/**
 * How every error leaves the API: `{ data, errors: [{ message, extensions: { code } }] }`, one
 * shape for resolvers' refusals, invalid documents, the limits and the transport's own failures
 * (bad JSON, a body too large, a wrong content type), with the HTTP status the code's entry in
 * errors.ts gives a request refused as a whole, and the message in the caller's language.
 */

/**
 * Messages are written once, as `中文 (english)`: the Chinese by default, the part in the
 * closing parentheses for a caller who prefers English. A message without an English part is
 * served as it is; graphql's own (English) validation messages get a Chinese lead-in.
 */
const BILINGUAL = /^([\s\S]*?[^\s(])\s*\(([^()\u3400-\u9fff\uff08\uff09]+)\)\s*$/;
const HAN = /[\u3400-\u9fff]/;

export type Language = 'zh' | 'en';

export function languageOf(headers: IncomingHttpHeaders): Language {
  const header = headers['accept-language'];
  if (typeof header !== 'string') return 'zh';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag: tag!.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((l) => l.q > 0 && (l.tag.startsWith('en') || l.tag.startsWith('zh')))
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.tag.startsWith('en') ? 'en' : 'zh';
}

export function localise(message: string, language: Language, code?: string): string {
  const pair = BILINGUAL.exec(message);
  if (pair && HAN.test(pair[1]!)) return language === 'en' ? pair[2]!.trim() : pair[1]!;
  if (HAN.test(message) || language === 'en') return message;
  // graphql's and fastify's own messages, in English only.
  return `${code && code in errorCodes ? errorCodes[code as ErrorCode].zh : '请求有误'}：${message}`;
}

/** The transport's failures, found by fastify's error codes, as the API's codes. */
export function transportError(error: Error & { code?: string; statusCode?: number }): { code: ErrorCode; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: '请求体须为 application/json（或 application/graphql）(send application/json)' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'VALIDATION_FAILED', message: '请求体为空，须为 JSON：{"query": "…", "variables": {…}} (empty JSON body)' };
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { code: 'VALIDATION_FAILED', message: '请求体不是有效的 JSON (the request body is not valid JSON)' };
  }
  return undefined;
}

type Execution = { data?: unknown; errors: readonly GraphQLError[]; statusCode?: number };
type FormatterContext = Parameters<typeof mercurius.defaultErrorFormatter>[1];

export function errorFormatter() {
  return (execution: Execution, context: FormatterContext) => {
    const formatted = mercurius.defaultErrorFormatter(execution as never, context);
    const errors = (formatted.response.errors ?? []) as unknown as { message: string; path?: unknown; extensions?: Record<string, unknown> }[];
    const originals = execution.errors.map((e) => e.originalError as (Error & { code?: string }) | undefined);
    // A request refused as a whole (nothing ran): an invalid document, a limit, the transport.
    const wholeRequest = !formatted.response.data && errors.length > 0 && errors.every((e) => e.path === undefined);
    errors.forEach((e, i) => {
      const transport = wholeRequest && originals[i] ? transportError(originals[i]!) : undefined;
      if (transport) {
        e.message = transport.message;
        e.extensions = { code: transport.code };
      }
      e.extensions = { code: wholeRequest ? 'VALIDATION_FAILED' : 'INTERNAL_ERROR', ...e.extensions };
    });
    const request = (context as { reply?: { request?: { headers: IncomingHttpHeaders } } }).reply?.request;
    const language = request ? languageOf(request.headers) : 'zh';
    for (const e of errors) e.message = localise(e.message, language, String(e.extensions?.code));
    const first = errors[0]?.extensions?.code as ErrorCode | undefined;
    const statusCode = wholeRequest && first && first in errorCodes ? errorCodes[first].status : 200;
    return { statusCode, response: formatted.response };
  };
}
