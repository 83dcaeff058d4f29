import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';

/**
 * Issue 11: every route outside GraphQL (downloads of attachments, renderings and export packages,
 * the supervision tables, GraphiQL's assets, paths no route serves) answers a refusal in the shape
 * of a GraphQL error, `{ errors: [{ message, extensions: { code } }] }`, with the HTTP status a
 * plain client expects and the message in the caller's language; the transport's failures (bad
 * JSON, a body too large) likewise.
 */
type Shape = { errors: { message: string; extensions: { code: string } }[] };

describe('one error shape for every HTTP route', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const pdf = Buffer.from('%PDF-1.7 值班表');
  const drafted = await api.mutate('city-office-clerk', 'draftDocument', {
    documentId: 'shape-1',
    title: '关于值班的通知',
    docType: '通知',
    body: '　　现将值班安排通知如下。',
    mainRecipients: ['edu'],
    docNumberPrefix: '阜政办',
    attachments: [{ name: '值班表.pdf', mediaType: 'application/pdf', contentBase64: pdf.toString('base64') }],
  });
  assert.ok(drafted.result, JSON.stringify(drafted.errors));

  const call = async (path: string, opts: { userId?: string | null; token?: string; language?: string; method?: string; body?: string | Buffer; contentType?: string } = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token ?? (opts.userId ? await api.tokenFor(opts.userId) : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.language) headers['accept-language'] = opts.language;
    if (opts.contentType) headers['content-type'] = opts.contentType;
    const res = await fetch(`${api.url}${path}`, { method: opts.method ?? 'GET', headers, ...(opts.body !== undefined && { body: opts.body }) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Shape };
  };
  /** The GraphQL error shape and nothing else: one error, a message, the code. */
  const shaped = (r: Awaited<ReturnType<typeof call>>, status: number, code: string, what: string) => {
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.type, /^application\/json/, what);
    assert.deepEqual(Object.keys(r.body), ['errors'], what);
    assert.equal(r.body.errors.length, 1, what);
    assert.equal(r.body.errors[0]!.extensions.code, code, what);
    assert.equal(typeof r.body.errors[0]!.message, 'string', what);
    assert.ok(r.body.errors[0]!.message.length > 0, what);
  };

  const attachment = `/documents/shape-1/attachments/${sm3Hex(pdf)}`;
  const rendering = '/documents/shape-1/rendering.pdf';

  test('attachments and renderings: no token 401, a bad token 401, not found 404, not readable 404, a draft not rendered 409, bad format 400', async () => {
    assert.equal((await fetch(`${api.url}${attachment}`, { headers: { authorization: `Bearer ${await api.tokenFor('city-office-clerk')}` } })).status, 200, 'the attachment itself');
    for (const path of [attachment, rendering]) {
      shaped(await call(path), 401, 'UNAUTHENTICATED', `${path} without a token`);
      shaped(await call(path, { token: 'not-a-token' }), 401, 'UNAUTHENTICATED', `${path} with a bad token`);
      shaped(await call(path, { userId: 'fin-clerk' }), 404, 'NOT_FOUND', `${path} for a unit that may not read it`);
    }
    shaped(await call('/documents/none/rendering.pdf', { userId: 'city-office-clerk' }), 404, 'NOT_FOUND', 'no such document');
    shaped(await call(`/documents/shape-1/attachments/${'0'.repeat(64)}`, { userId: 'city-office-clerk' }), 404, 'NOT_FOUND', 'no such attachment');
    shaped(await call(rendering, { userId: 'city-office-clerk' }), 409, 'INVALID_STATE', 'a draft has no rendering');
    shaped(await call(`${rendering}?format=docx`, { userId: 'city-office-clerk' }), 400, 'VALIDATION_FAILED', 'a format that does not exist');
  });

  test('export packages: no token 401, no such export 404', async () => {
    shaped(await call('/exports/none/package'), 401, 'UNAUTHENTICATED', 'export without a token');
    shaped(await call('/exports/none/package', { userId: 'city-office-clerk' }), 404, 'NOT_FOUND', 'no such export');
  });

  test('supervision tables: no token 401, no such table 404, forbidden 403, bad encoding 400', async () => {
    shaped(await call('/supervision/overdue.csv'), 401, 'UNAUTHENTICATED', 'table without a token');
    shaped(await call('/supervision/nothing.csv', { userId: 'city-office-clerk' }), 404, 'NOT_FOUND', 'no such table');
    shaped(await call('/supervision/overdue.csv', { userId: 'fin-clerk' }), 403, 'NOT_AUTHORISED', 'a clerk may not read the supervision tables');
    shaped(await call('/supervision/overdue.csv?encoding=latin1', { userId: 'fin-clerk' }), 400, 'VALIDATION_FAILED', 'an encoding not offered');
  });

  test('a path no route serves, and a GraphiQL asset that does not exist: 404', async () => {
    shaped(await call('/no/such/route'), 404, 'NOT_FOUND', 'unknown path');
    shaped(await call('/health', { method: 'DELETE' }), 404, 'NOT_FOUND', 'unknown method');
    shaped(await call('/graphiql/assets/nothing.js'), 404, 'NOT_FOUND', 'unknown asset');
  });

  test('bad JSON and an over-size body, on /graphql and off it: the same shape, the right status', async () => {
    const bad = await call('/graphql', { method: 'POST', body: '{"query": ', contentType: 'application/json' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0]!.extensions.code, 'VALIDATION_FAILED');
    assert.match(bad.body.errors[0]!.message, /JSON/);
    const limit = api.app.initialConfig.bodyLimit!;
    const big = await call('/graphql', { method: 'POST', body: Buffer.alloc(limit + 10, 0x20), contentType: 'application/json' });
    assert.equal(big.status, 413);
    assert.equal(big.body.errors[0]!.extensions.code, 'ATTACHMENTS_TOO_LARGE');
    // Off /graphql: fastify reads a body before it finds no route for it; its failure answers first.
    const offBad = await call(attachment, { method: 'POST', body: '{"x": ', contentType: 'application/json' });
    shaped(offBad, 400, 'VALIDATION_FAILED', 'bad JSON to a download path');
    assert.match(offBad.body.errors[0]!.message, /JSON/);
    shaped(await call(attachment, { method: 'POST', body: Buffer.alloc(limit + 10, 0x20), contentType: 'application/json' }), 413, 'ATTACHMENTS_TOO_LARGE', 'an over-size body to a download path');
    shaped(await call(attachment, { method: 'POST', body: 'x', contentType: 'text/csv' }), 404, 'NOT_FOUND', 'a body no parser reads is left unread: no route');
  });

  test('the message follows Accept-Language, as GraphQL errors do', async () => {
    const zh = await call('/documents/none/rendering.pdf', { userId: 'city-office-clerk' });
    const en = await call('/documents/none/rendering.pdf', { userId: 'city-office-clerk', language: 'en-GB,en;q=0.9' });
    assert.match(zh.body.errors[0]!.message, /^公文「none」不存在/);
    assert.equal(en.body.errors[0]!.message, 'no such document');
    const unknownEn = await call('/no/such/route', { language: 'en' });
    assert.equal(unknownEn.body.errors[0]!.message, 'no such route');
  });
});
