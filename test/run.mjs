// The test command: one PostgreSQL server for the whole suite (DATABASE_URL's, or an embedded one
// started here), then node's own test runner over an explicit list of every *.test.ts file — Node 20
// expands no globs, and a runner given no files runs nothing and still exits 0.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { startEmbeddedPostgres } = await import('../src/db/embedded.ts');

async function findTests(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findTests(path)));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out.sort();
}

const only = process.argv.slice(2);
const files = only.length ? only : await findTests('test');
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}

let server;
let dir;
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  dir = await mkdtemp(join(tmpdir(), 'gongwen-suite-'));
  server = await startEmbeddedPostgres(dir, { persistent: false });
  adminUrl = server.adminUrl;
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 4}`, ...files],
  { stdio: 'inherit', env: { ...process.env, GONGWEN_TEST_ADMIN_URL: adminUrl } },
);
const code = await new Promise((ok) => child.on('exit', (c, signal) => ok(c ?? (signal ? 1 : 0))));
if (server) await server.stop();
if (dir) await rm(dir, { recursive: true, force: true });
process.exit(code);
