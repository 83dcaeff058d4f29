import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLedger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createTestDatabase } from '../support/database.ts';
import { draftInput, seedCity } from '../support/ledger.ts';

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

test('gongwen verify: clean on an untouched ledger, exit 1 naming the event after a payload is edited in SQL', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-cli-')) };
  const ledger = await createLedger(loadConfig(env), { url: db.url, pool: db.pool, embedded: false, close: async () => {} });
  db.beforeClose(() => ledger.close());
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-v'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-v' });
  await ledger.merkleLog.checkpoint();

  const clean = await gongwen(['verify'], env);
  assert.equal(clean.code, 0, clean.stdout);

  const { rows } = await db.pool.query<{ global_position: number }>(
    `UPDATE events SET data = jsonb_set(data, '{title}', '"篡改后的标题"') WHERE stream_id = 'document-doc-v' AND revision = 0 RETURNING global_position`,
  );
  const tampered = await gongwen(['verify'], env);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stdout, /document-doc-v/);
  assert.match(tampered.stdout, new RegExp(String(rows[0]!.global_position)));
});

test('a bad configuration value stops the CLI with a message naming the variable', async () => {
  const r = await gongwen(['verify'], { PORT: 'abc', DATABASE_URL: 'postgres://x/y' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /PORT: must be a whole number/);
});
