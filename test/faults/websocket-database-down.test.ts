import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createLedger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createPool } from '../../src/db/database.ts';
import { createTestDatabase } from '../support/database.ts';
import { startApi } from '../support/http.ts';
import { seedCity } from '../support/ledger.ts';

// Issue 16 (the gap #10 left): a WebSocket connection made while the database is down answers its
// subscription with DATABASE_UNAVAILABLE (retryable), as an HTTP request does, instead of
// closing with a bare "Forbidden"; once the database is back, the same client subscribes.

/** A TCP relay in front of the test PostgreSQL: closing it is the database going away. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly target: { host: string; port: number }) {}
  async open(port = 0): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => this.server!.listen(port, '127.0.0.1', ok));
    return (this.server.address() as { port: number }).port;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((ok) => this.server?.close(ok));
  }
}

async function subscribeOnce(url: string, token: string, query: string): Promise<{ type: string; payload?: any }[]> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
  const seen: { type: string; payload?: any }[] = [];
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  const done = new Promise<void>((ok) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; payload?: any };
      seen.push(m);
      if (m.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      // An error ends the subscription; a first answer or a registered subscription (no error
      // within a moment) is enough for the "back up" case.
      if (m.type === 'error' || m.type === 'next' || m.type === 'connection_error') ok();
    });
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    ws.on('close', (code, reason) => {
      seen.push({ type: `closed ${code} ${String(reason)}` });
      ok();
    });
  });
  await Promise.race([done, new Promise((ok) => setTimeout(ok, 20_000))]);
  ws.close();
  return seen;
}

test('a subscription opened while the database is down is refused with DATABASE_UNAVAILABLE, and works once it is back', async () => {
  const db = await createTestDatabase();
  const target = new URL(db.url);
  const relay = new Relay({ host: target.hostname, port: Number(target.port) });
  const port = await relay.open();
  const viaRelay = new URL(db.url);
  viaRelay.port = String(port);
  const pool = createPool(viaRelay.toString(), { max: 10 });
  pool.on('error', () => {});
  const config = loadConfig({ DATABASE_URL: viaRelay.toString(), GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-wsdown-')), GONGWEN_SEAL_KDF_LOG2N: '10' });
  const ledger = await createLedger(config, { url: viaRelay.toString(), pool, embedded: false, close: async () => {} });
  await seedCity(ledger);
  const api = await startApi(ledger);
  const token = await api.tokenFor('edu-clerk');
  db.beforeClose(async () => {
    await api.close();
    await ledger.close();
    await pool.end().catch(() => {});
    await relay.close();
  });

  const query = 'subscription { inboxChanged(unitId: "edu") { documentId eventType } }';
  await relay.close();
  const down = await subscribeOnce(api.url, token, query);
  const error = down.find((m) => m.type === 'error');
  assert.ok(error, `an error for the subscription: ${JSON.stringify(down)}`);
  assert.equal(error.payload[0]?.extensions?.code, 'DATABASE_UNAVAILABLE', JSON.stringify(error));
  assert.equal(error.payload[0]?.extensions?.details?.retryable, true, JSON.stringify(error));

  // An HTTP request meanwhile says the same.
  const http = await api.gql(null, '{ me { userId } }', {}, token);
  assert.equal(http.errors?.[0]?.extensions?.code, 'DATABASE_UNAVAILABLE');

  await relay.open(port);
  const up = await subscribeOnce(api.url, token, query);
  assert.ok(up.some((m) => m.type === 'connection_ack'), JSON.stringify(up));
  assert.ok(!up.some((m) => m.type === 'error' || m.type === 'connection_error'), JSON.stringify(up));
});

