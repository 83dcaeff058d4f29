import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { sha256Of } from '../../src/api/persisted-queries.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { ConfigError, loadConfig, type Config } from '../../src/config/config.ts';
import { buildServer } from '../../src/server.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';

/**
 * Issue 11 over the real HTTP server: CORS for the configured origins only, and persisted queries
 * from a folder of .graphql files — by hash beside any text (`allow`), or nothing but the list
 * (`only`), HTTP and WebSocket alike.
 */
const FRONTEND = 'https://oa.fuyang.gov.cn';
const ME = 'query Me {\n  me { userId unitId }\n}\n';
const INBOX = 'subscription Inbox {\n  inboxChanged(unitId: "edu") { documentId }\n}\n';

describe('CORS and persisted queries', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-persisted-'));
  await writeFile(join(dir, 'me.graphql'), ME);
  await writeFile(join(dir, 'inbox.graphql'), INBOX);
  /** The same ledger served under another configuration. */
  const serve = (config: Partial<Config>) => startApi({ ...ledger, config: { ...ledger.config, ...config } } as Ledger);
  const cors = await serve({ GONGWEN_CORS_ORIGINS: [FRONTEND, 'http://localhost:5173'] });
  const plain = await serve({});
  const allow = await serve({ GONGWEN_PERSISTED_QUERIES: 'allow', GONGWEN_PERSISTED_QUERIES_DIR: dir });
  const only = await serve({ GONGWEN_PERSISTED_QUERIES: 'only', GONGWEN_PERSISTED_QUERIES_DIR: dir });
  after(async () => {
    for (const api of [cors, plain, allow, only]) await api.close();
  });

  const post = async (api: typeof cors, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.tokenFor('edu-clerk')}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
  };
  const byHash = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Of(query) } } });

  test('a configured origin gets its preflight and its answers; another origin and an unconfigured server get no CORS header', async () => {
    const preflight = await fetch(`${cors.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: FRONTEND, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), FRONTEND);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);

    const r = await post(cors, { query: '{ me { userId } }' }, { origin: FRONTEND });
    assert.equal(r.body.data?.me.userId, 'edu-clerk');
    assert.equal(r.headers.get('access-control-allow-origin'), FRONTEND);

    const foreign = await post(cors, { query: '{ me { userId } }' }, { origin: 'https://evil.example.com' });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const foreignPreflight = await fetch(`${cors.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(foreignPreflight.headers.get('access-control-allow-origin'), null);
    assert.equal((await post(plain, { query: '{ me { userId } }' }, { origin: FRONTEND })).headers.get('access-control-allow-origin'), null);
  });

  test('downloads expose their file name to a configured origin', async () => {
    const res = await fetch(`${cors.url}/documents/none/rendering.pdf`, { headers: { origin: FRONTEND, authorization: `Bearer ${await cors.tokenFor('edu-clerk')}` } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('access-control-allow-origin'), FRONTEND);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /content-disposition/);
  });

  test('GONGWEN_CORS_ORIGINS is validated at start-up', () => {
    assert.deepEqual(loadConfig({ GONGWEN_CORS_ORIGINS: ' https://a.gov.cn , http://localhost:5173' }).GONGWEN_CORS_ORIGINS, ['https://a.gov.cn', 'http://localhost:5173']);
    for (const bad of ['https://a.gov.cn/app', 'a.gov.cn', '*', ',']) {
      assert.throws(() => loadConfig({ GONGWEN_CORS_ORIGINS: bad }), ConfigError, bad);
    }
    assert.throws(() => loadConfig({ GONGWEN_PERSISTED_QUERIES: 'only' }), /GONGWEN_PERSISTED_QUERIES_DIR/);
  });

  test('allow: a listed hash runs its query, an unknown hash is PERSISTED_QUERY_NOT_FOUND, any text still runs', async () => {
    assert.deepEqual((await post(allow, byHash(ME))).body.data, { me: { userId: 'edu-clerk', unitId: 'edu' } });
    const unknown = await post(allow, { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
    assert.equal(unknown.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.equal((await post(allow, { query: '{ me { roles } }' })).body.data?.me.roles.length, 2);
  });

  test('only: listed operations run by hash (POST and GET) or exact text; anything else is refused', async () => {
    assert.equal((await post(only, byHash(ME))).body.data?.me.userId, 'edu-clerk');
    assert.equal((await post(only, { query: ME })).body.data?.me.userId, 'edu-clerk');
    const get = await fetch(`${only.url}/graphql?extensions=${encodeURIComponent(JSON.stringify(byHash(ME).extensions))}`, { headers: { authorization: `Bearer ${await only.tokenFor('edu-clerk')}` } });
    assert.equal(((await get.json()) as { data: { me: { userId: string } } }).data.me.userId, 'edu-clerk');
    const other = await post(only, { query: '{ me { roles } }' });
    assert.equal(other.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.equal(other.body.data ?? null, null);
    const mutation = await post(only, { query: 'mutation { signOffDocument(input: { documentId: "x" }) { commandId } }' });
    assert.equal(mutation.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
    const nothing = await post(only, { variables: {} });
    assert.equal(nothing.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_REQUIRED');
  });

  test('only: a subscription over WebSocket must be a listed one too', async () => {
    const ws = new WebSocket(only.url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
    const messages: any[] = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await only.tokenFor('edu-clerk')}` } }));
    ws.send(JSON.stringify({ id: 'listed', type: 'subscribe', payload: { query: INBOX } }));
    ws.send(JSON.stringify({ id: 'other', type: 'subscribe', payload: { query: 'subscription { inboxChanged(unitId: "edu") { unitId } }' } }));
    const deadline = Date.now() + 3000;
    while (!messages.some((m) => m.id === 'other') && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
    await new Promise((ok) => setTimeout(ok, 300));
    ws.close();
    const other = messages.find((m) => m.id === 'other');
    assert.equal(other?.type, 'error', JSON.stringify(messages));
    assert.equal(other.payload[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.equal(messages.find((m) => m.id === 'listed'), undefined, 'the listed subscription runs on');
  });

  test('a file that is not exactly one operation stops the start', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'gongwen-persisted-bad-'));
    await writeFile(join(bad, 'two.graphql'), `${ME}\nquery Again { me { userId } }\n`);
    await assert.rejects(buildServer({ ...ledger, config: { ...ledger.config, GONGWEN_PERSISTED_QUERIES: 'only', GONGWEN_PERSISTED_QUERIES_DIR: bad } } as Ledger, { logLevel: 'silent' }), /exactly one operation/);
  });
});
