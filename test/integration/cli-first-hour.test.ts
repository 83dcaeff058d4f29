import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLedger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startEmbeddedPostgres, EmbeddedPostgresError } from '../../src/db/embedded.ts';
import { authenticate } from '../../src/api/authenticate.ts';
import { createTestDatabase } from '../support/database.ts';
import { runCli } from '../support/serve-process.ts';

// The first hour without the demo: a way in (gongwen init), and a command line that answers a
// mistake with its usage instead of a stack trace.

test('every command answers an unknown option, a missing or an extra argument with its usage and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['verify', '--no-such-option'], /gongwen verify \[--public-key/],
    [['credential'], /gongwen credential <userId>/],
    [['credential', 'a', 'b', 'c'], /gongwen credential <userId>/],
    [['export-document'], /gongwen export-document <documentId>/],
    [['verify-seal', 'f.json', '--issuer-key'], /gongwen verify-seal <file>/],
    [['init', '--unit'], /gongwen init/],
    [['serve', 'now'], /gongwen serve/],
    [['no-such-command'], /用法 \(usage\): gongwen <command>/],
  ];
  // No database is opened for a wrong command line: DATABASE_URL points nowhere.
  const env = { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
  results.forEach((r, i) => {
    const [args, usage] = cases[i]!;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, usage, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at |ERR_PARSE_ARGS/, `${args.join(' ')} printed a stack trace:\n${r.stderr}`);
  });
});

test('gongwen init registers the city office and its super administrator once, and the printed token logs in', async () => {
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-cli-')) };
  const first = await runCli(['init', '--unit-name', '阜阳市人民政府办公室', '--prefix', '阜政办', '--admin-name', '王管理'], env);
  assert.equal(first.code, 0, first.stderr);
  const printed = JSON.parse(first.stdout) as { unitId: string; userId: string; token: string };
  assert.deepEqual([printed.unitId, printed.userId], ['city-office', 'admin']);

  const ledger = await createLedger(loadConfig(env), { url: db.url, pool: db.pool, embedded: false, close: async () => {} });
  db.beforeClose(() => ledger.close());
  const auth = await authenticate(ledger.store, `Bearer ${printed.token}`, new Date());
  assert.ok(auth.ok, JSON.stringify(auth));
  assert.deepEqual(auth.principal.roles, ['SUPER_ADMIN']);
  assert.equal(auth.principal.unitId, 'city-office');

  // A second init is refused and changes nothing.
  const { rows: before } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  const second = await runCli(['init', '--unit-id', 'other-office', '--admin-id', 'other-admin'], env);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /账本已初始化/);
  assert.equal(second.stdout, '');
  const { rows: after } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  assert.equal(after[0]!.n, before[0]!.n);
});

test('as root, a data folder the postgres user cannot enter is named, with what to do, before anything starts', { skip: process.getuid?.() !== 0 && 'the embedded server runs as the postgres user only when the ledger runs as root' }, async (t) => {
  const locked = await mkdtemp(join(tmpdir(), 'gongwen-locked-'));
  t.after(() => rm(locked, { recursive: true, force: true }));
  // mkdtemp makes it 0700, like /root: the postgres user cannot pass through it.
  const dataDir = join(locked, 'project', 'data');
  await mkdir(dataDir, { recursive: true });
  await assert.rejects(startEmbeddedPostgres(dataDir, { persistent: false }), (error: unknown) => {
    assert.ok(error instanceof EmbeddedPostgresError);
    assert.match(error.message, new RegExp(`cannot enter ${locked.replaceAll('/', '\\/')}\\b`));
    assert.match(error.message, /DATABASE_URL/);
    return true;
  });
});
