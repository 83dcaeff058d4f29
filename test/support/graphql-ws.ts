import assert from 'node:assert/strict';
import WebSocket from 'ws';

/**
 * A graphql-transport-ws client for the API tests: connection_init with the token (acknowledged),
 * then the messages in arrival order, each taken once by `next`.
 */
export async function connectWs(url: string, token: string) {
  const ws = new WebSocket(url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
  const messages: any[] = [];
  const waiters: ((m: any) => void)[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = () => new Promise<any>((ok) => (messages.length ? ok(messages.shift()) : waiters.push(ok)));
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  assert.equal((await next()).type, 'connection_ack');
  const subscribe = (id: string, query: string) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  return { next, subscribe, pending: () => messages.length, close: () => ws.close() };
}

/** One subscription on its own connection. */
export async function subscribeWs(url: string, token: string, query: string): Promise<{ next(): Promise<any>; close(): void }> {
  const c = await connectWs(url, token);
  c.subscribe('1', query);
  return { next: c.next, close: c.close };
}
