import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '../../src/api/errors.ts';
import { apiEnum } from '../../src/api/enums.ts';
import { localise, languageOf } from '../../src/api/error-format.ts';
import { buildServer } from '../../src/server.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity, draftInput } from '../support/ledger.ts';
import { apiInput, startApi } from '../support/http.ts';

const src = fileURLToPath(new URL('../../src', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });

/** Codes written as literals where an error is raised: refusals, API errors, extensions and HTTP bodies. */
const RAISED = [
  /(?:apiError|Refusal|refuse|errorBody)\(\s*(?:request,\s*)?'([A-Z][A-Z_]+)'/g,
  /extensions:\s*\{\s*code:\s*'([A-Z][A-Z_]+)'/g,
  /send\(\{\s*code:\s*'([A-Z][A-Z_]+)'/g,
  /(?:const|let)\s+[A-Z_]+\s*=\s*'([A-Z][A-Z_]*(?:WRONG|LOCKED|DAMAGED|INVALID|FAILED|REFUSED|NOT_FOUND|UNAVAILABLE))'/g,
];

describe('one taxonomy of error codes', () => {
  test('every code the source raises is in the list of src/api/errors.ts (and the list is not padded)', () => {
    const raised = new Map<string, string>();
    for (const file of files(src)) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of RAISED) for (const m of text.matchAll(pattern)) raised.set(m[1]!, file.slice(src.length + 1));
    }
    const unlisted = [...raised].filter(([code]) => !(code in errorCodes)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(unlisted, []);
    // The scan sees the codes that are easy to forget.
    for (const code of ['SEAL_PASSPHRASE_WRONG', 'SEAL_KEY_DAMAGED', 'DATABASE_UNAVAILABLE', 'QUERY_TOO_COMPLEX', 'SERVER_BUSY', 'NOT_FOUND']) assert.ok(raised.has(code), code);
  });

  test('the scan would catch an unlisted code', () => {
    const text = "throw new Refusal('SEAL_ON_FIRE', '印章着火了')";
    assert.deepEqual([...text.matchAll(RAISED[0]!)].map((m) => m[1]), ['SEAL_ON_FIRE']);
    assert.equal('SEAL_ON_FIRE' in errorCodes, false);
  });

  test('the ErrorCode enum is the list, each value described with its HTTP status', () => {
    const e = apiEnum('ErrorCode');
    assert.deepEqual([...e.values.keys()], Object.keys(errorCodes));
    for (const [code, v] of e.values) assert.match(v.description, new RegExp(`HTTP ${errorCodes[code as keyof typeof errorCodes].status}`));
  });

  test('messages: Chinese by default, English for Accept-Language: en, from one text', () => {
    const m = '公文已核发，不能重复核发 (already sent)';
    assert.equal(localise(m, 'zh'), '公文已核发，不能重复核发');
    assert.equal(localise(m, 'en'), 'already sent');
    // Parentheses that are part of the Chinese stay.
    assert.equal(localise('保管期限须为 Y(永久) 或 D30(定期30年)', 'en'), '保管期限须为 Y(永久) 或 D30(定期30年)');
    assert.equal(languageOf({ 'accept-language': 'en-GB,en;q=0.9' }), 'en');
    assert.equal(languageOf({ 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' }), 'zh');
    assert.equal(languageOf({ 'accept-language': 'fr, en;q=0.5' }), 'en');
    assert.equal(languageOf({}), 'zh');
  });
});

describe('errors over HTTP: every code in the schema, one shape, one status per code', async () => {
  const ledger = await createTestLedger({ env: { GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: '2' } });
  await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const seen = new Map<string, number>();
  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const json = (await res.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    return { status: res.status, ...json };
  };
  const expect = (r: { status: number; errors?: { message: string; extensions?: { code?: string } }[] }, code: string, status: number) => {
    assert.equal(r.errors?.[0]?.extensions?.code, code, JSON.stringify(r.errors));
    assert.equal(r.status, status, code);
    assert.equal(typeof r.errors?.[0]?.message, 'string');
    seen.set(code, status);
  };

  test('transport errors answer in the GraphQL error shape', async () => {
    expect(await post('{"query": "{ me { userId } "'), 'VALIDATION_FAILED', 400);
    expect(await post('<query/>', { 'content-type': 'application/xml' }), 'UNSUPPORTED_MEDIA_TYPE', 415);
    // A body past the limit is the attachments' excess (the body is almost all base64 attachments):
    // 413 with the domain's code and the sizes (src/api/upload-size.ts), refused before it is read.
    const big = await post(JSON.stringify({ query: '{ me { userId } }', variables: { x: 'x'.repeat(10 * 1024 * 1024) } }));
    assert.equal(big.status, 413);
    assert.equal(big.errors[0]!.extensions.code, 'ATTACHMENTS_TOO_LARGE');
    assert.match(big.errors[0]!.message, /请求过大（[\d,]+ 字节，上限 [\d,]+ 字节）/);
  });

  test('depth and cost refusals answer alike', async () => {
    const token = await api.tokenFor('admin');
    const auth = { authorization: `Bearer ${token}` };
    const deep = await post(JSON.stringify({ query: '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }' }), auth);
    const costly = await post(JSON.stringify({ query: `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: units { unitId name }`).join(' ')} }` }), auth);
    expect(deep, 'QUERY_TOO_COMPLEX', 400);
    expect(costly, 'QUERY_TOO_COMPLEX', 400);
    expect(await post(JSON.stringify({ query: `{ searchDocuments(query: "${'公'.repeat(3000)}") { pageInfo { hasNextPage } } }` })), 'QUERY_TOO_LARGE', 400);
  });

  test('refusals of the domain and of the seal vault, each with its own code', async () => {
    expect(await api.gql(null, '{ me { userId } }'), 'UNAUTHENTICATED', 200);
    expect(await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'no-such' }), 'NOT_FOUND', 200);
    expect(await api.mutate('edu-clerk', 'signOffDocument', { documentId: 'no-such' }), 'NOT_AUTHORISED', 200);
    expect(await api.mutate('city-office-clerk', 'draftDocument', draftInput('e-1', { classification: '机密' })), 'CLASSIFIED_REFUSED', 200);
    expect(await api.mutate('city-office-clerk', 'draftDocument', { ...draftInput('e-2'), docType: 'MEMO' }), 'VALIDATION_FAILED', 400);
    const q = 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { commandId } }';
    assert.equal((await api.gql('city-office-clerk', q, { input: apiInput('DraftDocumentInput', { commandId: 'reused-cmd-1', ...draftInput('e-3') }) })).errors, undefined);
    expect(await api.gql('city-office-clerk', q, { input: apiInput('DraftDocumentInput', { commandId: 'reused-cmd-1', ...draftInput('e-4') }) }), 'COMMAND_ID_REUSED', 200);
    expect(await api.mutate('city-office-clerk', 'draftDocument', draftInput('e-3', { title: '另一份' })), 'ALREADY_EXISTS', 200);
    expect(await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'e-3' }), 'INVALID_STATE', 200);
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'e-3' })).result);
    const wrong = { documentId: 'e-3', sealId: 'city-office-seal', passphrase: 'not-the-passphrase' };
    expect(await api.mutate('city-office-keeper', 'sealDocument', wrong), 'SEAL_PASSPHRASE_WRONG', 200);
    expect(await api.mutate('city-office-keeper', 'sealDocument', wrong), 'SEAL_PASSPHRASE_WRONG', 200);
    expect(await api.mutate('city-office-keeper', 'sealDocument', { ...wrong, passphrase: SEAL_PASSPHRASE }), 'SEAL_LOCKED', 200);
  });

  test('every code produced is a value of the schema\'s ErrorCode enum', async () => {
    const r = await api.gql('admin', '{ __type(name: "ErrorCode") { enumValues { name description } } }');
    const listed = new Set((r.data!.__type.enumValues as { name: string }[]).map((v) => v.name));
    assert.deepEqual([...listed], Object.keys(errorCodes));
    for (const [code, status] of seen) {
      assert.ok(listed.has(code), code);
      assert.equal(errorCodes[code as keyof typeof errorCodes].status, status, `${code} answers the status the list gives it`);
    }
    assert.ok(seen.size >= 13, [...seen.keys()].join(' '));
  });

  test('Accept-Language: en selects the English form; the default is the Chinese alone', async () => {
    const token = await api.tokenFor('city-office-leader');
    const query = JSON.stringify({ query: 'mutation { signOffDocument(input: { commandId: "lang-test-1", documentId: "no-such" }) { commandId } }' });
    const zh = await post(query, { authorization: `Bearer ${token}` });
    const en = await post(query, { authorization: `Bearer ${token}`, 'accept-language': 'en-US,en;q=0.9' });
    assert.equal(zh.errors[0]!.extensions.code, 'NOT_FOUND');
    assert.equal(en.errors[0]!.extensions.code, 'NOT_FOUND');
    assert.match(zh.errors[0]!.message, /[\u4e00-\u9fff]/);
    assert.doesNotMatch(zh.errors[0]!.message, /\(no such/);
    assert.match(en.errors[0]!.message, /^no such document/);
    const invalid = await post(JSON.stringify({ query: '{ nope }' }), { authorization: `Bearer ${token}` });
    assert.match(invalid.errors[0]!.message, /^输入不符合要求/);
    const invalidEn = await post(JSON.stringify({ query: '{ nope }' }), { authorization: `Bearer ${token}`, 'accept-language': 'en' });
    assert.match(invalidEn.errors[0]!.message, /^Cannot query field "nope"/);
  });
});

test('expected refusals are logged at info, an internal error at error level', async () => {
  const ledger = await createTestLedger();
  await seedCity(ledger);
  const lines: { level: number; msg: string }[] = [];
  const app = await buildServer(ledger, { logLevel: 'info', logStream: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const probe = await startApi(ledger);
    const token = await probe.tokenFor('admin');
    await probe.close();
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;
    const ask = (query: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) }).then((r) => r.json() as Promise<{ errors?: { extensions: { code: string } }[] }>);
    assert.equal((await ask('{ document(id: "no-such") { documentId } timeline(documentId: "no-such") { pageInfo { hasNextPage } } }')).errors?.[0]?.extensions.code, 'NOT_FOUND');
    assert.equal((await ask('{ nope }')).errors?.[0]?.extensions.code, 'VALIDATION_FAILED');
    assert.deepEqual(lines.filter((l) => l.level >= 50), [], 'no refusal at error level');
    assert.ok(lines.some((l) => l.level === 30 && /不存在|no such/.test(l.msg)), 'the refusal is logged, at info');
    // A real failure: the security log's table is gone.
    await ledger.db.pool.query('ALTER TABLE security_log RENAME TO security_log_aside');
    try {
      assert.equal((await ask('{ securityLog { edges { node { code } } } }')).errors?.[0]?.extensions.code, 'INTERNAL_ERROR');
    } finally {
      await ledger.db.pool.query('ALTER TABLE security_log_aside RENAME TO security_log');
    }
    assert.equal(lines.filter((l) => l.level >= 50).length, 1, 'the internal error, once, at error level');
  } finally {
    await app.close();
  }
});
