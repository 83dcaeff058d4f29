import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify from 'fastify';
import pg from 'pg';
import { eventRegistry } from '../../schemas/events/index.ts';
import { errorCodes } from '../../src/api/errors.ts';
import { boundRequests } from '../../src/api/request-limits.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { createEventStore } from '../../src/eventstore/create-event-store.ts';
import { generateSm2KeyPair, sm2Sign } from '../../src/integrity/sm2.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/**
 * Issue 11: every error code the API can answer is produced here at least once over HTTP, and the
 * set produced is compared with the one list of codes (src/api/errors.ts, the schema's ErrorCode
 * enum; test/api/error-codes.test.ts checks that the source raises no code the list lacks). A new
 * code without a case here fails the comparison.
 */
describe('every error code of the API, produced over HTTP', async () => {
  const ledger = await createTestLedger({
    env: { GONGWEN_ATTACHMENT_LIMIT_BYTES: '4096', GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: '1', GONGWEN_COMMAND_MAX_ATTEMPTS: '1', GONGWEN_READ_MODEL_WAIT_MS: '200' },
  });
  await seedCity(ledger);
  const api = await startApi(ledger);
  const produced = new Map<string, string>();
  const closers: (() => Promise<unknown>)[] = [() => api.close()];
  after(async () => {
    for (const close of closers) await close();
  });

  /** Records the code an answer carried (GraphQL errors, or a download's JSON error). */
  const saw = (expected: string, answer: { errors?: { extensions?: { code?: string } }[]; code?: string } | undefined, how: string) => {
    const code = answer?.code ?? answer?.errors?.[0]?.extensions?.code;
    assert.equal(code, expected, `${how}: ${JSON.stringify(answer)}`);
    produced.set(expected, how);
  };
  const content = (documentId: string, over: Record<string, unknown> = {}) => ({
    documentId,
    title: '关于报送统计数据的通知',
    docType: '通知',
    body: '　　请于月底前报送。',
    mainRecipients: ['edu'],
    docNumberPrefix: '阜政办',
    ...over,
  });
  const draft = (userId: string, documentId: string, over: Record<string, unknown> = {}) => api.mutate(userId, 'draftDocument', content(documentId, over));

  test('authentication and shape: UNAUTHENTICATED, VALIDATION_FAILED', async () => {
    saw('UNAUTHENTICATED', await api.gql(null, '{ me { userId } }'), 'no token');
    saw('VALIDATION_FAILED', await draft('city-office-clerk', 'e-v', { docType: '便条' }), 'unknown 文种');
  });

  test('the domain\'s refusals', async () => {
    saw('CLASSIFIED_REFUSED', await draft('city-office-clerk', 'e-c', { classification: '绝密' }), '绝密 draft');
    saw('ATTACHMENTS_TOO_LARGE', await draft('city-office-clerk', 'e-a', { attachments: [{ name: 'a.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(5000).toString('base64') }] }), 'over the limit');
    saw('NOT_AUTHORISED', await draft('city-office-keeper', 'e-k'), 'a seal keeper drafts');
    saw('RECIPIENT_INVALID', await draft('city-office-clerk', 'e-r', { mainRecipients: ['city-office'] }), 'the issuer as its own recipient');
    saw('NOT_FOUND', await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'e-none' }), 'no such document');
    assert.ok((await draft('city-office-clerk', 'e-1')).result);
    saw('ALREADY_EXISTS', await draft('city-office-clerk', 'e-1'), 'the same documentId again');
    saw('INVALID_STATE', await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'e-1', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }), 'sealed before sign-off');
    const commandId = `e-reuse-${randomUUID()}`;
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId: 'e-1', commandId })).result);
    saw('COMMAND_ID_REUSED', await api.mutate('city-office-clerk', 'reviseDraft', { documentId: 'e-1', title: '新标题', commandId }), 'a commandId reused for another command');
  });

  test('seals: SEAL_NOT_USABLE, SEAL_PASSPHRASE_WRONG, SEAL_LOCKED, SEAL_KEY_DAMAGED, SIGNATURE_INVALID', async () => {
    const seal = (userId: string, documentId: string, sealId: string, passphrase = SEAL_PASSPHRASE) => api.mutate(userId, 'sealDocument', { documentId, sealId, passphrase });
    saw('SEAL_NOT_USABLE', await seal('city-office-keeper', 'e-1', 'edu-seal'), "another unit's seal");
    saw('SEAL_PASSPHRASE_WRONG', await seal('city-office-keeper', 'e-1', 'city-office-seal', 'Wrong-pass-1'), 'a wrong passphrase');
    saw('SEAL_LOCKED', await seal('city-office-keeper', 'e-1', 'city-office-seal'), 'after the allowed wrong passphrase');

    assert.ok((await draft('fin-clerk', 'e-f', { docNumberPrefix: '阜财', mainRecipients: ['edu'] })).result);
    assert.ok((await api.mutate('fin-leader', 'signOffDocument', { documentId: 'e-f' })).result);
    await ledger.db.pool.query(`UPDATE seal_key_vault SET integrity = NULL WHERE seal_id = 'fin-seal'`);
    saw('SEAL_KEY_DAMAGED', await seal('fin-keeper', 'e-f', 'fin-seal'), 'a seal key row without its integrity seal');

    const usb = generateSm2KeyPair();
    assert.ok((await api.mutate('admin', 'issueSeal', {
      sealId: 'e-usb', unitId: 'city-office', name: '阜阳市人民政府办公室', sealType: '公文专用章', keyCustody: 'client',
      publicKey: usb.publicKeyHex, validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z', keeperUserIds: ['city-office-keeper'],
    })).result);
    assert.ok((await api.mutate('city-office-keeper', 'prepareSealing', { documentId: 'e-1', sealId: 'e-usb' })).result);
    const signature = sm2Sign(usb.privateKeyHex, Buffer.from('0'.repeat(64), 'hex'));
    saw('SIGNATURE_INVALID', await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'e-1', sealId: 'e-usb', signature }), 'a signature over another digest');
  });

  test('CONFLICT: revisions of one draft at once, with one attempt allowed', async () => {
    assert.ok((await draft('edu-clerk', 'e-x', { docNumberPrefix: '阜教', mainRecipients: ['fin'] })).result);
    await api.tokenFor('edu-clerk');
    for (let round = 0; round < 5 && !produced.has('CONFLICT'); round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api.mutate('edu-clerk', 'reviseDraft', { documentId: 'e-x', title: `第 ${round}-${i} 稿` })));
      const conflict = answers.find((a) => a.code === 'CONFLICT');
      if (conflict) saw('CONFLICT', conflict, 'eight revisions of one draft at once');
    }
    assert.ok(produced.has('CONFLICT'), 'no CONFLICT in five rounds');
  });

  test('the request bounds: QUERY_TOO_COMPLEX, QUERY_TOO_LARGE', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `e${i}: exportSealedDocument(documentId: "e-1")`).join(' ');
    saw('QUERY_TOO_COMPLEX', await api.gql('edu-clerk', `{ ${aliases} }`), 'six sealed-package exports in one query');
    saw('QUERY_TOO_LARGE', await api.gql(null, `{ me { userId } } # ${'x'.repeat(6000)}`), 'a 6 KB anonymous document');
  });

  test('READ_MODELS_TIMEOUT: the read models are not running', async () => {
    saw('READ_MODELS_TIMEOUT', await api.mutate('city-office-clerk', 'draftDocument', { ...content('e-w'), waitForReadModels: true }), 'waitForReadModels with the projections stopped');
  });

  test('persisted queries only: PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_REQUIRED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gongwen-codes-'));
    await writeFile(join(dir, 'me.graphql'), 'query Me { me { userId } }');
    const only = await startApi({ ...ledger, config: { ...ledger.config, GONGWEN_PERSISTED_QUERIES: 'only', GONGWEN_PERSISTED_QUERIES_DIR: dir } } as Ledger);
    closers.push(() => only.close());
    saw('PERSISTED_QUERY_NOT_FOUND', await only.gql('edu-clerk', '{ me { roles } }'), 'an unlisted query');
    const token = await only.tokenFor('edu-clerk');
    const res = await fetch(`${only.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ variables: {} }) });
    saw('PERSISTED_QUERY_REQUIRED', (await res.json()) as never, 'neither a hash nor a text');
  });

  test('DATABASE_UNAVAILABLE: the event store cannot reach its database', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
    dead.on('error', () => {});
    closers.push(() => dead.end());
    const store = await createEventStore(ledger.config, { pool: dead, registry: eventRegistry, macKey: Buffer.alloc(32) });
    const down = await startApi({ ...ledger, store } as Ledger);
    closers.push(() => down.close());
    const token = await api.tokenFor('edu-clerk');
    saw('DATABASE_UNAVAILABLE', await down.gql(null, '{ me { userId } }', {}, token), 'a login checked against an unreachable database');
  });

  test('download errors answer the same codes (NOT_FOUND, UNAUTHENTICATED)', async () => {
    const res = await fetch(`${api.url}/documents/e-none/rendering.pdf`, { headers: { authorization: `Bearer ${await api.tokenFor('edu-clerk')}` } });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'NOT_FOUND');
  });

  test('the fastify-level bounds: SERVER_BUSY, QUERY_TIMEOUT, RESPONSE_TOO_LARGE (their module on a bare server with small bounds)', async () => {
    const app = Fastify({ forceCloseConnections: true });
    boundRequests(app, { bodyLimit: 1024, requestMs: 300, requestsInFlight: 1, responseBytes: 1000 });
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    app.post('/graphql', async (request) => {
      const body = request.body as { kind: string };
      if (body.kind === 'slow') await new Promise((ok) => setTimeout(ok, 1000));
      if (body.kind === 'hold') await held;
      return body.kind === 'large' ? { data: { x: 'x'.repeat(5000) } } : { data: { ok: true } };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    const port = (app.server.address() as { port: number }).port;
    const post = async (kind: string) =>
      (await (await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind }) })).json()) as never;
    saw('QUERY_TIMEOUT', await post('slow'), 'a request past its time');
    saw('RESPONSE_TOO_LARGE', await post('large'), 'an answer past the cap');
    const holding = post('hold');
    await new Promise((ok) => setTimeout(ok, 100));
    saw('SERVER_BUSY', await post('quick'), 'one request in flight allowed');
    release();
    await holding;
  });

  test('INTERNAL_ERROR: a read model whose table is gone', async () => {
    await ledger.db.pool.query('DROP TABLE inbox_items CASCADE');
    saw('INTERNAL_ERROR', await api.gql('edu-clerk', '{ inbox { edges { node { documentId } } } }'), 'the inbox table dropped');
  });

  test('UNSUPPORTED_MEDIA_TYPE: a body that is not JSON', async () => {
    const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' });
    assert.equal(res.status, 415);
    saw('UNSUPPORTED_MEDIA_TYPE', (await res.json()) as never, 'an XML body');
  });

  test('the codes produced are exactly the codes of the one list (the schema\'s ErrorCode)', () => {
    assert.deepEqual([...produced.keys()].sort(), Object.keys(errorCodes).sort(), `produced: ${[...produced].map(([c, how]) => `${c} (${how})`).join('; ')}`);
  });
});
