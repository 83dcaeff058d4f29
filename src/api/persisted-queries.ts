import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Kind, parse } from 'graphql';
import type { Config } from '../config/config.ts';
import { apiError } from './errors.ts';

/**
 * Persisted queries (issue 11): a frontend's operations, kept as .graphql files (one operation each)
 * in GONGWEN_PERSISTED_QUERIES_DIR, are the list. A client sends the SHA-256 of a file's exact
 * text instead of the text — `extensions: { persistedQuery: { version: 1, sha256Hash } }`, the
 * form Apollo Client, urql and graphql-request send — so requests stay small and cacheable.
 *
 * Modes (GONGWEN_PERSISTED_QUERIES): `allow` answers listed hashes and still any query text;
 * `only` (the production default when a list is configured) runs nothing but the listed
 * operations, by hash or by their exact text, over HTTP and over WebSocket subscriptions alike.
 * The list is read once at start-up; a file that is not one valid operation stops the start.
 */
export type PersistedMode = 'off' | 'allow' | 'only';

export const sha256Of = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function persistedMode(config: Config): PersistedMode {
  if (config.GONGWEN_PERSISTED_QUERIES) return config.GONGWEN_PERSISTED_QUERIES;
  if (!config.GONGWEN_PERSISTED_QUERIES_DIR) return 'off';
  return config.GONGWEN_MODE === 'production' ? 'only' : 'allow';
}

/** Every .graphql file under `dir` (recursively), by the SHA-256 of its text. */
export function loadPersistedQueries(dir: string): Map<string, string> {
  const queries = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.graphql')) {
        const text = readFileSync(path, 'utf8');
        const operations = parse(text).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
        if (operations.length !== 1) throw new Error(`persisted query ${relative(dir, path)}: must hold exactly one operation (has ${operations.length})`);
        queries.set(sha256Of(text), text);
      }
    }
  };
  walk(dir);
  if (queries.size === 0) throw new Error(`GONGWEN_PERSISTED_QUERIES_DIR ${dir}: no .graphql files`);
  return queries;
}

interface Body {
  query?: string;
  extensions?: { persistedQuery?: { version?: number; sha256Hash?: string } };
}

const notListed = () =>
  apiError('PERSISTED_QUERY_NOT_FOUND', '该查询不在本系统登记的查询列表中，请更新前端或联系管理员 (persisted query not found)');
const listedOnly = () =>
  apiError('PERSISTED_QUERY_REQUIRED', '本部署只执行已登记的查询，请发送登记查询的 sha256Hash (only persisted queries are accepted here)');

/** The mercurius persistedQueryProvider for the mode (none when off). */
export function persistedQueryProvider(mode: PersistedMode, queries: Map<string, string>) {
  if (mode === 'off') return undefined;
  const hashOf = (body: Body): string | false => {
    const pq = body.extensions?.persistedQuery;
    if (pq?.sha256Hash && pq.version === 1) return pq.sha256Hash.toLowerCase();
    if (mode === 'only') {
      if (typeof body.query === 'string') return sha256Of(body.query);
      throw listedOnly();
    }
    return false;
  };
  return {
    // allow: only requests that carry a hash and no text are looked up; only: every request.
    isPersistedQuery: (body: Body) => mode === 'only' || (!body.query && Boolean(body.extensions?.persistedQuery)),
    getHash: hashOf,
    getQueryFromHash: async (hash: string) => {
      const query = queries.get(hash);
      if (!query) throw notListed();
      return query;
    },
    notSupportedError: '请求中没有可用的 persistedQuery (version 1, sha256Hash) (persisted query not supported)',
  };
}

/** In `only` mode, a subscription's document must be one of the listed operations too. */
export function onlyPersistedSubscriptions(app: FastifyInstance, mode: PersistedMode, queries: Map<string, string>): void {
  if (mode !== 'only') return;
  app.graphql.addHook('preSubscriptionParsing', async (_schema, source) => {
    if (!queries.has(sha256Of(source))) throw notListed();
  });
}
