import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import Fastify from 'fastify';
import { boundRequests } from '../../src/api/request-limits.ts';

/**
 * The in-flight bound of /graphql (request-limits.ts) on a bare server with a bound of 2: a slot is
 * given back once the request's work has ended and its connection is done with it — also when the
 * client hung up while the work ran. Before, each such request kept its slot for ever: at the end
 * of each bench run autocannon hangs up on its 50 open requests, and after two runs the server
 * answered SERVER_BUSY to everyone, minutes after the load had stopped.
 */
describe('the in-flight bound gives every slot back', async () => {
  const app = Fastify({ forceCloseConnections: true });
  boundRequests(app, { bodyLimit: 1024, requestsInFlight: 2, requestMs: 2_000 });
  const gates = new Map<string, () => void>();
  const started = new Map<string, () => void>();
  const startedOnce = (id: string) => new Promise<void>((ok) => started.set(id, ok));
  app.post('/graphql', async (request) => {
    const { id } = request.body as { id: string };
    started.get(id)?.();
    if (id !== 'quick') await new Promise<void>((ok) => gates.set(id, ok));
    return { data: { id } };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  after(() => app.close());
  const port = (app.server.address() as { port: number }).port;

  const post = async (id: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
    return { status: res.status, body: (await res.json()) as { errors?: { extensions: { code: string } }[] } };
  };
  /** Sends its whole body, waits until the handler runs, then hangs up without reading the answer. */
  const hangUpWhileWorking = async (id: string) => {
    const running = startedOnce(id);
    const req = httpRequest({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    // An answer before the handler ran is a refusal (SERVER_BUSY): the test fails on it instead of waiting.
    const refusedFirst = new Promise<never>((_, fail) => req.once('response', (res) => fail(new Error(`${id} was answered ${res.statusCode} before its work started`))));
    req.end(JSON.stringify({ id }));
    await Promise.race([running, refusedFirst]);
    const closed = new Promise((ok) => req.once('close', ok));
    req.destroy();
    await closed;
    // The server sees the hang-up on its next turn of the event loop or two.
    await new Promise((ok) => setTimeout(ok, 50));
  };
  const finish = async (id: string) => {
    gates.get(id)!();
    await new Promise((ok) => setTimeout(ok, 50));
  };

  test('requests whose clients hung up while they were worked on give their slots back when the work ends', async () => {
    await hangUpWhileWorking('a');
    await hangUpWhileWorking('b');
    await finish('a');
    await finish('b');
    const answer = await post('quick');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    // And again: nothing accumulates.
    await hangUpWhileWorking('c');
    await hangUpWhileWorking('d');
    await finish('c');
    await finish('d');
    assert.equal((await post('quick')).status, 200);
  });

  test('a request whose client hung up still counts while its work goes on (the bound is on work, not on connections)', async () => {
    await hangUpWhileWorking('e');
    await hangUpWhileWorking('f');
    const refused = await post('quick');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.errors?.[0]?.extensions.code, 'SERVER_BUSY');
    await finish('e');
    assert.equal((await post('quick')).status, 200);
    await finish('f');
  });

  test('answered requests give their slots back (many in a row on one keep-alive connection)', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await post('quick')).status, 200);
    const both = await Promise.all([post('quick'), post('quick')]);
    assert.deepEqual(both.map((b) => b.status), [200, 200]);
  });

  test('work that outlives the request time stops counting at that time, its client gone or not', async () => {
    await hangUpWhileWorking('g');
    await hangUpWhileWorking('h');
    assert.equal((await post('quick')).status, 503);
    await new Promise((ok) => setTimeout(ok, 2_100));
    assert.equal((await post('quick')).status, 200);
    await finish('g');
    await finish('h');
  });
});
