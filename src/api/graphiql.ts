import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sendApiError } from './http-errors.ts';

/**
 * GraphiQL served entirely by the ledger, from npm packages (React and GraphiQL's browser builds),
 * so it works on a machine without internet. Mercurius's own GraphiQL page loads them from a CDN.
 */
const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const assets: Record<string, { file: () => string; type: string }> = {
  'react.js': { file: () => join(packageDir('react'), 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { file: () => join(packageDir('react-dom'), 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { file: () => join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { file: () => join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
  'start.js': { file: () => new URL('./graphiql-page/start.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' },
};

const page = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>公文账本 GraphiQL</title>
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/graphiql/assets/graphiql.css">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">正在加载 GraphiQL (loading)…</div>
  <script src="/graphiql/assets/react.js"></script>
  <script src="/graphiql/assets/react-dom.js"></script>
  <script src="/graphiql/assets/graphiql.js"></script>
  <script src="/graphiql/assets/start.js"></script>
</body>
</html>
`;

export async function registerGraphiql(app: FastifyInstance): Promise<void> {
  const cache = new Map<string, Buffer>();
  app.get('/graphiql', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get<{ Params: { file: string } }>('/graphiql/assets/:file', async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.file) ? assets[request.params.file]! : undefined;
    if (!asset) return sendApiError(request, reply, 'NOT_FOUND', `没有这个文件：${request.params.file.slice(0, 100)} (no such asset)`);
    let body = cache.get(request.params.file);
    if (!body) {
      body = await readFile(asset.file());
      cache.set(request.params.file, body);
    }
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(body);
  });
}
