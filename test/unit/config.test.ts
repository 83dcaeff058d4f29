import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

test('defaults: embedded database in ./data, 3 MB attachments, Asia/Shanghai', () => {
  const c = loadConfig({});
  assert.equal(c.DATABASE_URL, undefined);
  assert.equal(c.GONGWEN_DATA_DIR, './data');
  assert.equal(c.GONGWEN_ATTACHMENT_LIMIT_BYTES, 3 * 1024 * 1024);
  assert.equal(c.GONGWEN_TIMEZONE, 'Asia/Shanghai');
  assert.equal(c.PORT, 4000);
});

test('the read cache: 32 MB by default, 0 turns it off', () => {
  assert.equal(loadConfig({}).GONGWEN_READ_CACHE_BYTES, 32 * 1024 * 1024);
  assert.equal(loadConfig({ GONGWEN_READ_CACHE_BYTES: '0' }).GONGWEN_READ_CACHE_BYTES, 0);
});

test('empty variables count as unset', () => {
  assert.equal(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT, 4000);
});

for (const [name, value] of [
  ['PORT', 'eighty'],
  ['PORT', '70000'],
  ['DATABASE_URL', 'mysql://x'],
  ['GONGWEN_ATTACHMENT_LIMIT_BYTES', '0'],
  ['GONGWEN_TIMEZONE', 'Mars/Olympus'],
  ['GONGWEN_LEDGER_KEY', 'not-hex'],
  ['GONGWEN_MODE', 'staging'],
  ['GONGWEN_READ_CACHE_BYTES', '-1'],
  ['GONGWEN_READ_CACHE_BYTES', 'lots'],
] as const) {
  test(`a bad ${name} (${value}) stops start-up with a message naming it`, () => {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(name) && e.message.includes(value),
    );
  });
}

test('production mode requires the ledger key', () => {
  assert.throws(() => loadConfig({ GONGWEN_MODE: 'production' }), /GONGWEN_LEDGER_KEY/);
  assert.equal(loadConfig({ GONGWEN_MODE: 'production', GONGWEN_LEDGER_KEY: 'a'.repeat(64) }).GONGWEN_MODE, 'production');
});

test('TLS files come in pairs; client certificates need HTTPS', () => {
  assert.throws(() => loadConfig({ GONGWEN_TLS_CERT: 'server.pem' }), /GONGWEN_TLS_KEY/);
  assert.throws(() => loadConfig({ GONGWEN_TLS_CLIENT_CA: 'ca.pem' }), /GONGWEN_TLS_CLIENT_CA/);
  assert.equal(loadConfig({ GONGWEN_TLS_CERT: 'a', GONGWEN_TLS_KEY: 'b', GONGWEN_TLS_CLIENT_CA: 'c' }).GONGWEN_TLS_CLIENT_CA, 'c');
});
