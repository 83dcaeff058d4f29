import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import Fastify from 'fastify';
import {
  buildSchema,
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Lexer,
  Source,
  TokenKind,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { schemaFiles } from '../../src/api/graphql.ts';
import { declaredLimits } from '../../src/api/query-cost.ts';
import { boundRequests, limits, responseByteLimit } from '../../src/api/request-limits.ts';
import { aliasFlood, fragmentFanOut } from '../../bench/hostile-queries.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * Hostile documents against the real server: each is refused (or answered within the response
 * cap) quickly, and the server keeps answering others. The before/after figures are in
 * bench/hostile-queries.ts; here each attack only has to end in a bounded answer — a request
 * that hung (as the fragment fan-out did for minutes) fails on its abort.
 */
const schema: GraphQLSchema = buildSchema(schemaFiles.map((f) => readFileSync(new URL(`../../schemas/graphql/${f}`, import.meta.url), 'utf8')).join('\n'));

const tokens = (doc: string) => {
  const lexer = new Lexer(new Source(doc));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
};

const sample = (typeName: string) => (typeName === 'Int' ? '1' : typeName === 'Boolean' ? 'true' : '"x"');

/** Every field of a type, with its required arguments filled, to `depth` levels. */
function everything(type: GraphQLObjectType, depth: number): string {
  const parts: string[] = [];
  for (const f of Object.values(type.getFields())) {
    const sub = getNamedType(f.type);
    const args = f.args.filter((a) => isNonNullType(a.type)).map((a) => `${a.name}: ${sample(getNamedType(a.type).name)}`);
    const call = `${f.name}${args.length ? `(${args.join(', ')})` : ''}`;
    if (isLeafType(sub)) parts.push(call);
    else if (isObjectType(sub) && depth > 0) parts.push(`${call} { ${everything(sub, depth - 1)} }`);
  }
  return parts.join(' ') || '__typename';
}

/** As many aliases of `selection` as a logged-in document may hold. */
function flood(selection: string): string {
  const per = tokens(`{ a0: ${selection} }`) - 2;
  const n = Math.max(1, Math.floor((limits.documentTokens - 10) / per));
  return aliasFlood(n, selection);
}

describe('hostile queries', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  const api = await startApi(ledger);
  after(() => api.close());
  const cap = responseByteLimit(api.app.initialConfig.bodyLimit!);

  // One sealed, sent document, so every document query has something heavy to answer.
  const pdf = { name: '方案.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(200_000, 7).toString('base64') };
  const body = '　　为推进电子公文交换，现将有关事项通知如下。'.repeat(2000);
  assert.ok((await api.mutate('city-office-clerk', 'draftDocument', { documentId: 'h-1', title: '关于电子公文交换的通知', docType: '通知', urgency: '平件', body, mainRecipients: ['edu'], docNumberPrefix: '阜政办', attachments: [pdf] })).result);
  assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'h-1' })).result);
  assert.ok((await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'h-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE })).result);
  assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'h-1' })).result);
  await ledger.settle();

  async function post(query: string, token?: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      // Longer than the server's own bound (limits.requestMs): the server must answer first.
      signal: AbortSignal.timeout(limits.requestMs + 30_000),
    });
    const text = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
  }
  const codeOf = (r: Awaited<ReturnType<typeof post>>) => r.body.errors?.[0]?.extensions?.code;
  const health = async () => (await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(5_000) })).status;

  test('fragment fan-out (30 levels, 2^30 expansions, < 2 KB): refused at once, without a login and with one', async () => {
    const doc = fragmentFanOut(30);
    assert.ok(doc.length < 2048);
    const [anonymous, loggedIn, alive] = await Promise.all([post(doc), post(doc, await api.tokenFor('edu-clerk')), health()]);
    assert.equal(codeOf(anonymous), 'QUERY_TOO_COMPLEX');
    assert.equal(codeOf(loggedIn), 'QUERY_TOO_COMPLEX');
    assert.equal(alive, 200);
    // Deeper still no longer fits the anonymous bounds: refused before it is even parsed.
    assert.equal(codeOf(await post(fragmentFanOut(200))), 'QUERY_TOO_LARGE');
  });

  test('alias floods on every query field (all their fields, 3 levels deep): refused, or answered within the response cap', async () => {
    const token = await api.tokenFor('inspector');
    const fields = Object.values(schema.getQueryType()!.getFields()) as GraphQLField<unknown, unknown>[];
    const outcome: Record<string, string> = {};
    for (const f of fields) {
      const sub = getNamedType(f.type);
      const args = f.args.filter((a) => isNonNullType(a.type)).map((a) => `${a.name}: ${a.name.toLowerCase().includes('document') ? '"h-1"' : sample(getNamedType(a.type).name)}`);
      const selection = `${f.name}${args.length ? `(${args.join(', ')})` : ''}${isObjectType(sub) ? ` { ${everything(sub, 3)} }` : ''}`;
      const r = await post(flood(selection), token);
      assert.ok(r.bytes <= cap, `${f.name}: ${r.bytes} bytes answered`);
      assert.notEqual(codeOf(r), 'INTERNAL_ERROR', `${f.name}: ${JSON.stringify(r.body.errors?.[0])}`);
      outcome[f.name] = codeOf(r) ?? 'answered';
    }
    // The heavy ones are refused before they run, whatever their data.
    for (const heavy of ['seals', 'units', 'document', 'exportSealedDocument', 'sealingContent', 'verifySeal', 'inbox', 'sentDocuments', 'timeline']) {
      assert.equal(outcome[heavy], 'QUERY_TOO_COMPLEX', `${heavy}: ${JSON.stringify(outcome)}`);
    }
    assert.equal(await health(), 200);
  });

  test('the 1,666 × seals { pictureSvg } flood that answered 315 MB is refused; 900 of them, within the token bound, too', async () => {
    const token = await api.tokenFor('edu-clerk');
    assert.equal(codeOf(await post(aliasFlood(1666), token)), 'QUERY_TOO_LARGE');
    const r = await post(aliasFlood(900), token);
    assert.equal(codeOf(r), 'QUERY_TOO_COMPLEX');
    assert.ok(r.bytes < 1000);
    // One honest page of seals with their pictures still answers.
    const one = await post('{ seals(unitId: "edu", limit: 10) { sealId pictureSvg } }', token);
    assert.equal(one.body.errors, undefined, JSON.stringify(one.body.errors));
    assert.match((one.body.data as { seals: { pictureSvg: string }[] }).seals[0]!.pictureSvg, /<svg/);
  });

  test('mutation floods cost a command each', async () => {
    const token = await api.tokenFor('edu-clerk');
    const doc = `mutation { ${Array.from({ length: 100 }, (_, i) => `a${i}: receiveDocument(input: { commandId: "flood-${i}-xxxxxxxx", documentId: "h-1", unitId: "edu" }) { duplicate }`).join(' ')} }`;
    assert.equal(codeOf(await post(doc, token)), 'QUERY_TOO_COMPLEX');
    assert.equal((await ledger.store.readStream('delivery-h-1.edu')).events.length, 1, 'nothing ran');
  });

  test('deep nesting is refused by depth', async () => {
    const token = await api.tokenFor('inspector');
    const deep = '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }';
    const r = await post(deep, token);
    assert.equal(r.status, 400);
    assert.equal(codeOf(r), 'QUERY_TOO_COMPLEX');
  });

  test('huge literals and documents: bounded before parsing, lower without a login', async () => {
    const token = await api.tokenFor('edu-clerk');
    const literal = (n: number) => `{ searchDocuments(query: "${'公文'.repeat(n)}") { edges { node { documentId } } } }`;
    assert.equal(codeOf(await post(literal(1000))), 'QUERY_TOO_LARGE', 'anonymous, 6 KB');
    assert.equal(codeOf(await post(literal(20_000), token)), 'QUERY_TOO_LARGE', 'logged in, 120 KB');
    const fits = await post(literal(5000), token);
    assert.notEqual(codeOf(fits), 'INTERNAL_ERROR', JSON.stringify(fits.body.errors));
    // Not GraphQL: answered as a syntax error, never tried as a JSON syntax tree.
    const ast = await post(JSON.stringify({ kind: 'Document', definitions: [] }), token);
    assert.equal(codeOf(ast), 'VALIDATION_FAILED');
    // A body over the limit (twice the attachment limit, in base64, and the text) is refused by its size, unread.
    const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ me { userId } }', variables: { x: 'x'.repeat(10 * 1024 * 1024) } }) });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'ATTACHMENTS_TOO_LARGE');
  });

  test('every list field declares its maximum (a new list gets costed by declaring it)', () => {
    const table = declaredLimits(schema);
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const f of Object.values(type.getFields())) {
        const list = /^\[/.test(String(f.type).replace(/!$/, ''));
        const edges = f.name === 'edges' && type.name.endsWith('Connection');
        if (list && !edges && !table.get(`${type.name}.${f.name}`)?.list) undeclared.push(`${type.name}.${f.name}`);
      }
    }
    assert.deepEqual(undeclared, []);
  });

  test('the limits are in the schema clients see', async () => {
    const r = await post('{ __type(name: "Query") { fields { name description } } }', await api.tokenFor('edu-clerk'));
    const fields = (r.body.data as { __type: { fields: { name: string; description: string | null }[] } }).__type.fields;
    assert.match(fields.find((f) => f.name === 'seals')!.description ?? '', /at most 1000 items \(limit ≤ 1000\)/);
    assert.match(fields.find((f) => f.name === 'exportSealedDocument')!.description ?? '', /query cost 50000/);
  });
});

describe('request bounds (fastify level)', () => {
  /** A bare server with the bounds, closed whatever the test's outcome. */
  async function withServer(opts: Parameters<typeof boundRequests>[1], handler: () => Promise<unknown>, run: (port: number) => Promise<void>) {
    const app = Fastify({ bodyLimit: opts.bodyLimit, forceCloseConnections: true });
    boundRequests(app, opts);
    app.post('/graphql', async () => handler());
    app.get('/health', async () => ({ status: 'ok' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    try {
      await run(typeof address === 'object' && address ? address.port : 0);
    } finally {
      await app.close();
    }
  }
  const post = (port: number) =>
    fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { errors?: { extensions: { code: string } }[] },
    }));

  test('a request that runs too long is answered QUERY_TIMEOUT', async () => {
    await withServer({ bodyLimit: 1024 * 1024, requestMs: 200 }, () => new Promise((ok) => setTimeout(() => ok({ data: 1 }), 1000)), async (port) => {
      const r = await post(port);
      assert.equal(r.status, 503);
      assert.equal(r.body.errors?.[0]?.extensions.code, 'QUERY_TIMEOUT');
    });
  });

  test('an answer over the response cap is replaced by RESPONSE_TOO_LARGE', async () => {
    await withServer({ bodyLimit: 1024 * 1024, responseBytes: 100_000 }, async () => ({ data: { x: 'x'.repeat(200_000) } }), async (port) => {
      assert.equal((await post(port)).body.errors?.[0]?.extensions.code, 'RESPONSE_TOO_LARGE');
    });
  });

  test('many slow uploads at once: beyond the in-flight budget they are refused at once, memory stays bounded, the server answers', async () => {
    const bodyLimit = 4 * 1024 * 1024;
    await withServer({ bodyLimit, bodyBytesInFlight: 8 * bodyLimit, requestsInFlight: 64 }, async () => ({ data: 1 }), async (port) => {
      const rssBefore = process.memoryUsage().rss;
      // 40 clients announce 4 MB bodies and send them slowly: 8 fit the budget, 32 are refused.
      const sockets: Socket[] = [];
      const answers: string[] = [];
      for (let i = 0; i < 40; i++) {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${bodyLimit}\r\n\r\n{"query":"`);
          socket.write('x'.repeat(256 * 1024));
        });
        socket.on('error', () => {});
        socket.once('data', (d) => answers.push(d.toString().split('\r\n')[0] ?? ''));
        sockets.push(socket);
      }
      try {
        for (let waited = 0; answers.length < 32 && waited < 20_000; waited += 50) await new Promise((ok) => setTimeout(ok, 50));
        await new Promise((ok) => setTimeout(ok, 300));
        assert.equal(answers.length, 32, `answers: ${JSON.stringify(answers)}`);
        assert.ok(answers.every((a) => a.includes('503')), JSON.stringify(answers));
        assert.ok(process.memoryUsage().rss - rssBefore < 100 * 1024 * 1024, 'memory grew by more than 100 MB');
        assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
      // Once the slow clients are gone, their budget is free again.
      for (let waited = 0; waited < 5_000; waited += 100) {
        if ((await post(port)).status === 200) return;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      assert.fail('the budget of the gone clients was not released');
    });
  });
});
