import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkPackage } from '../../src/export/check/check-package.ts';
import { rawZip } from '../support/raw-zip.ts';
import { createLedger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createTestDatabase } from '../support/database.ts';
import { FixtureClock, seedDossierCity } from '../support/dossier-fixture.ts';

/**
 * The archivist's year-end on the command line, as a new user runs it: close-dossier refused on
 * nothing / accepted, export refused before closing (naming the command) and written after,
 * check-package exit 0 on it, 1 on a hostile package (zip-slip, link, executable) that it
 * reports without extracting anything, 2 on something that is not a package.
 */
const run = promisify(execFile);
async function gongwen(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const XSD = new URL('../../../shared/reference/dat48-eep.xsd', import.meta.url).pathname;

test('close-dossier, export and check-package on the command line', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-cli-')), GONGWEN_EEP_XSD: XSD };
  const clock = new FixtureClock();
  const ledger = await createLedger(loadConfig(env), { url: db.url, pool: db.pool, embedded: false, close: async () => {} }, { now: clock.now });
  const f = await seedDossierCity(ledger, clock);
  await f.fileOne('doc-1', { eduFiles: true });
  await f.fileOne('doc-2', { retention: 'Y' });
  await ledger.close();
  const out = await mkdtemp(join(tmpdir(), 'gongwen-cli-out-'));

  const early = await gongwen(['export', '--year', '2025', '--out', out], env);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /gongwen close-dossier --year 2025/);
  assert.deepEqual(await readdir(out), []);

  const closed = await gongwen(['close-dossier', '--year', '2025'], env);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stdout, /全宗 0001 2025 年度：第 1 批关卷 2 件/);
  assert.match(closed.stdout, /全宗 unit:edu 2025 年度：第 1 批关卷 1 件/, 'without --fonds: every fonds of the year');

  const exported = await gongwen(['export', '--year', '2025', '--out', out], env);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual((await readdir(out)).sort(), ['0001-2025-default.zip', 'unit_edu-2025-default.zip']);
  const check = await gongwen(['check-package', join(out, '0001-2025-default.zip')], env);
  assert.equal(check.code, 0, check.stdout);
  assert.match(check.stdout, /2 件/);
  assert.match(check.stdout, /结论：通过/);
  assert.equal((await checkPackage(join(out, 'unit_edu-2025-default.zip'))).passed, true);

  // A hostile package: zip-slip entries, a link, an executable, no manifest.
  const hostile = join(out, 'hostile.zip');
  await writeFile(
    hostile,
    rawZip([
      { name: '../../escaped.txt', data: Buffer.from('pwned') },
      { name: '/tmp/absolute.txt', data: Buffer.from('x') },
      { name: '电子档案\\..\\..\\win.txt', data: Buffer.from('x') },
      { name: '电子档案/run.pdf', data: Buffer.from('MZ\u0090\u0000') },
      { name: '电子档案/link.txt', data: Buffer.from('/etc/passwd'), link: true },
    ]),
  );
  const bad = await gongwen(['check-package', hostile, '--report', join(out, 'report.json')], env);
  assert.equal(bad.code, 1);
  for (const what of ['UNSAFE_PATH ../../escaped.txt', 'UNSAFE_PATH /tmp/absolute.txt', 'UNSAFE_PATH 电子档案\\..\\..\\win.txt', 'EXECUTABLE 电子档案/run.pdf', 'LINK 电子档案/link.txt']) assert.ok(bad.stdout.includes(what), `${what} not reported:\n${bad.stdout}`);
  assert.equal(existsSync(join(out, '..', '..', 'escaped.txt')), false, 'nothing was extracted');
  assert.ok(existsSync(join(out, 'report.json')));

  await writeFile(join(out, 'not-a.zip'), 'hello');
  assert.equal((await gongwen(['check-package', join(out, 'not-a.zip')], env)).code, 2);
});
