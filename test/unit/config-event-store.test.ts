import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

test('EVENT_STORE defaults to postgres; eventstoredb needs a valid EVENTSTORE_URL, named in the message', () => {
  assert.equal(loadConfig({}).EVENT_STORE, 'postgres');
  const ok = loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://localhost:2113?tls=false' });
  assert.equal(ok.EVENT_STORE, 'eventstoredb');
  assert.equal(loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb+discover://cluster.example:2113' }).EVENTSTORE_URL, 'esdb+discover://cluster.example:2113');
  assert.throws(() => loadConfig({ EVENT_STORE: 'eventstoredb' }), (e: unknown) => e instanceof ConfigError && /EVENTSTORE_URL: required when EVENT_STORE=eventstoredb/.test(e.message));
  assert.throws(() => loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'http://localhost:2113' }), (e: unknown) => e instanceof ConfigError && /EVENTSTORE_URL: must be an esdb:\/\//.test(e.message));
  assert.throws(() => loadConfig({ EVENT_STORE: 'kafka' }), (e: unknown) => e instanceof ConfigError && /EVENT_STORE: must be postgres or eventstoredb/.test(e.message));
});
