import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLedger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { MerkleFrontier, sm3Merkle } from '../../src/integrity/merkle.ts';
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

/**
 * Rolls the database back to its state at `treeSize` leaves, as restoring an older copy would:
 * the newer events, leaves, subtrees and checkpoints gone, streams and merkle_head rewound.
 */
async function rollBack(pool: import('pg').Pool, treeSize: number) {
  await pool.query('DELETE FROM events e USING merkle_leaves l WHERE l.global_position = e.global_position AND l.leaf_index >= $1', [treeSize]);
  await pool.query('DELETE FROM merkle_leaves WHERE leaf_index >= $1', [treeSize]);
  await pool.query('DELETE FROM merkle_nodes WHERE (node_index + 1) * (1::bigint << level) > $1', [treeSize]);
  await pool.query('DELETE FROM merkle_checkpoints WHERE tree_size > $1', [treeSize]);
  await pool.query('DELETE FROM streams s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)');
  await pool.query(
    `UPDATE streams s SET revision = t.revision, last_hash = t.hash
       FROM (SELECT DISTINCT ON (stream_id) stream_id, revision, hash FROM events ORDER BY stream_id, revision DESC) t
      WHERE t.stream_id = s.stream_id`,
  );
  const { rows } = await pool.query<{ leaf_hash: string; xid: string; global_position: string }>(
    `SELECT l.leaf_hash, e.transaction_id::text AS xid, l.global_position FROM merkle_leaves l
       JOIN events e ON e.global_position = l.global_position ORDER BY l.leaf_index`,
  );
  const frontier = MerkleFrontier.empty(sm3Merkle);
  for (const r of rows) frontier.append(Buffer.from(r.leaf_hash, 'hex'));
  await pool.query('UPDATE merkle_head SET tree_size = $1, frontier = $2, last_transaction_id = $3::xid8, last_global_position = $4', [
    frontier.size,
    frontier.subtreeHashes.map((h) => h.toString('hex')),
    rows.at(-1)!.xid,
    rows.at(-1)!.global_position,
  ]);
}

test('an inspector verifies with the public key alone, and held checkpoints catch a rollback the database cannot see (issue 9, items 7 and 8)', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-cli-')) };
  const ledger = await createLedger(loadConfig(env), { url: db.url, pool: db.pool, embedded: false, close: async () => {} });
  db.beforeClose(() => ledger.close());
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  const held = join(await mkdtemp(join(tmpdir(), 'gongwen-inspector-')), 'checkpoints.jsonl');

  const first = await gongwen(['checkpoint', '--out', held], env);
  assert.equal(first.code, 0, first.stderr);
  const firstSize = (JSON.parse(first.stdout) as { treeSize: number }).treeSize;
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-r'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-r' });
  const second = await gongwen(['checkpoint', '--out', held], env);
  assert.equal(second.code, 0, second.stderr);
  const lines = (await readFile(held, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2, 'each checkpoint appended as one JSON line');
  const publicKey = (JSON.parse(lines[1]!) as { publicKey: string }).publicKey;

  // The inspector: only DATABASE_URL, an empty data directory, the public key and the held file.
  const inspectorDir = await mkdtemp(join(tmpdir(), 'gongwen-inspector-data-'));
  const inspector = { DATABASE_URL: db.url, GONGWEN_DATA_DIR: inspectorDir };
  const keyless = await gongwen(['verify'], inspector);
  assert.equal(keyless.code, 2, 'without a key there is nothing to trust');
  assert.match(keyless.stderr, /--public-key/);
  const clean = await gongwen(['verify', '--public-key', publicKey, '--checkpoint', held], inspector);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /账本校验通过/);
  assert.match(clean.stdout, /not checked: public key only/);
  assert.match(clean.stdout, /held checkpoints verified/);
  assert.deepEqual(await readdir(inspectorDir), [], 'verify never creates a key');

  // The MAC check is the extra step for whoever holds the MAC key.
  const mac = await gongwen(['mac-key'], env);
  assert.equal(mac.code, 0);
  const withMac = await gongwen(['verify', '--public-key', publicKey, '--mac-key', mac.stdout.trim()], inspector);
  assert.equal(withMac.code, 0, withMac.stdout);
  assert.match(withMac.stdout, /every event MAC checked/);
  const wrongMac = await gongwen(['verify', '--public-key', publicKey, '--mac-key', 'ab'.repeat(32)], inspector);
  assert.equal(wrongMac.code, 1);
  assert.match(wrongMac.stdout, /mac_mismatch|密钥封印（MAC）无效/);

  // The database is replaced by an older copy: it agrees with itself, not with what the inspector holds.
  await rollBack(db.pool, firstSize);
  const selfConsistent = await gongwen(['verify', '--public-key', publicKey], inspector);
  assert.equal(selfConsistent.code, 0, selfConsistent.stdout);
  const rolledBack = await gongwen(['verify', '--public-key', publicKey, '--checkpoint', held], inspector);
  assert.equal(rolledBack.code, 1, rolledBack.stdout);
  assert.match(rolledBack.stdout, /所持检查点校验未通过/);
  assert.ok(rolledBack.stdout.includes(`✗ ${held}:2`), rolledBack.stdout);
  assert.ok(rolledBack.stdout.includes(`✓ ${held}:1`), rolledBack.stdout);
  assert.match(rolledBack.stdout, /数据库被回滚到旧副本或尾部被截断/);

  // ... and then written on: the log grows past the held size, but on another history.
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-s'));
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-t'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-s' });
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-t' });
  assert.equal((await gongwen(['checkpoint'], env)).code, 0);
  const forked = await gongwen(['verify', '--public-key', publicKey, '--checkpoint', held], inspector);
  assert.equal(forked.code, 1, forked.stdout);
  assert.match(forked.stdout, /检查点之后的历史被改写/);
  await assert.rejects(access(join(inspectorDir, 'ledger-key.json')));
});
