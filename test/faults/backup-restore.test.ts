import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupLedger, BackupRefused, ledgerKeyProblem, restoreLedger, type BackupManifest } from '../../src/backup/backup.ts';
import { generateSm2PrivateKey, ledgerKeyFromPrivateKey } from '../../src/integrity/ledger-key.ts';
import { createTestDatabase } from '../support/database.ts';
import { verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { createCityClock, generateCityYear } from '../support/city-year.ts';
import { createTestLedger } from '../support/ledger.ts';
import { runCli } from '../support/serve-process.ts';

// Backup and restore (issue 16): a cut taken while the ledger writes, restored into an empty
// database, verifies and carries the same signed checkpoint; a damaged backup or a non-empty
// target is refused before anything is written.

const LEDGER_KEY = generateSm2PrivateKey();
const clock = createCityClock();
const ledger = await createTestLedger({ env: { GONGWEN_LEDGER_KEY: LEDGER_KEY }, now: clock.now });
const year = await generateCityYear(ledger, { clock, seed: 16, documents: 6, attachmentBytes: true });
// From here the ledger writes at the real time, as the checkpoints are signed: the commands
// appended during the backup must not look back-dated against them.
clock.set(Date.now());
await ledger.merkleLog.checkpoint();
const source = ledger.db.pool;
const work = await mkdtemp(join(tmpdir(), 'gongwen-backup-'));

const cliEnv = (databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, GONGWEN_DATA_DIR: work, GONGWEN_LEDGER_KEY: LEDGER_KEY, LOG_LEVEL: 'warn', ...extra };
  delete env.GONGWEN_TEST_ADMIN_URL;
  return env;
};

/** Every stored field of every event but the cluster-local transaction id, in feed order. */
const eventsInFeedOrder = async (pool: typeof source, upTo?: Set<number>) => {
  const { rows } = await pool.query(
    `SELECT global_position, stream_id, revision, event_id, type, schema_version, data, occurred_at, recorded_at, actor, command_id,
            correlation_id, causation_id, prev_hash, hash, mac
       FROM events ORDER BY transaction_id, global_position`,
  );
  return upTo ? rows.filter((r: { global_position: number }) => upTo.has(r.global_position)) : rows;
};

const backupDir = join(work, 'backup');
let manifest: BackupManifest;
let writtenDuring = 0;

test('a backup taken while commands keep appending is one consistent cut with an SM3 manifest', async () => {
  const admin = year.directory.principal('admin');
  let stop = false;
  const writer = (async () => {
    for (let n = 0; !stop; n++) {
      await ledger.commands.execute(admin, 'RegisterUnit', {
        commandId: `backup-during-${n}`,
        unitId: `during-${n}`,
        name: `备份期间单位${n}`,
        kind: 'city-department',
        parentUnitId: 'city-office',
        docNumberPrefixes: [`备${n}`],
      });
      writtenDuring++;
    }
  })();
  await new Promise((ok) => setTimeout(ok, 50));
  manifest = await backupLedger(source, backupDir);
  stop = true;
  await writer;
  assert.ok(writtenDuring > 0, 'commands were appended while the backup ran');

  const names = manifest.tables.map((t) => t.name);
  for (const owned of ['events', 'streams', 'commands', 'attachment_contents', 'seal_key_vault', 'merkle_leaves', 'merkle_nodes', 'merkle_head', 'merkle_checkpoints', 'security_log']) {
    assert.ok(names.includes(owned), `${owned} is backed up`);
  }
  for (const readModel of ['inbox_items', 'audit_entries', 'directory_units', 'projection_checkpoints']) assert.ok(!names.includes(readModel), `${readModel} is rebuilt, not copied`);
  const rows = (name: string) => manifest.tables.find((t) => t.name === name)!.rows;
  assert.equal(rows('events'), manifest.events);
  assert.ok(rows('attachment_contents') > 0 && rows('seal_key_vault') > 0, 'attachments and seal keys are in it');
  // One cut: the streams' revisions account for exactly the events in the backup.
  const streams = (await readFile(join(backupDir, 'tables/streams.copy'), 'utf8')).trim().split('\n');
  const revisions = streams.reduce((n, line) => n + Number(line.split('\t')[1]) + 1, 0);
  assert.equal(revisions, manifest.events);
  assert.ok(manifest.latestCheckpoint, 'the newest signed checkpoint is recorded');
});

test('restore into an empty database: verify passes, the events and their feed order are the same, the signed checkpoint is there', async () => {
  const target = await createTestDatabase();
  const restored = await runCli(['restore', backupDir], cliEnv(target.url));
  assert.equal(restored.code, 0, restored.stderr + restored.stdout);
  const report = JSON.parse(restored.stdout) as { events: number; backupCheckpoint: { treeSize: number; rootHash: string } };
  assert.equal(report.events, manifest.events);

  const restoredEvents = await eventsInFeedOrder(target.pool);
  assert.equal(restoredEvents.length, manifest.events);
  const inBackup = new Set(restoredEvents.map((r: { global_position: number }) => r.global_position));
  const original = await eventsInFeedOrder(source, inBackup);
  const firstDiff = restoredEvents.findIndex((r: unknown, i: number) => JSON.stringify(r) !== JSON.stringify(original[i]));
  assert.equal(firstDiff, -1, `event ${firstDiff} differs: ${JSON.stringify(restoredEvents[firstDiff])} vs ${JSON.stringify(original[firstDiff])}`);

  const { rows: cps } = await target.pool.query('SELECT root_hash, signature FROM merkle_checkpoints WHERE tree_size = $1', [manifest.latestCheckpoint!.treeSize]);
  assert.deepEqual(cps[0], { root_hash: manifest.latestCheckpoint!.rootHash, signature: manifest.latestCheckpoint!.signature });

  // What `gongwen verify` runs, with this ledger's keys: chains, MACs, payloads, the Merkle log and checkpoints.
  const key = ledgerKeyFromPrivateKey(LEDGER_KEY);
  const verified = await verifyLedger(target.pool, { publicKeyHex: key.publicKeyHex, macKey: key.macKey, registry: eventRegistry });
  assert.ok(verified.ok, JSON.stringify(verified.firstMismatch));

  // The read models were rebuilt from the restored events, and new commands carry on after them.
  const { rows: units } = await target.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM directory_units');
  assert.ok(units[0]!.n >= 4);
});

test('a backup with one flipped byte is refused, naming the file, and nothing is written', async () => {
  const target = await createTestDatabase();
  for (const file of ['tables/events.copy', 'tables/seal_key_vault.copy', 'tables/merkle_checkpoints.copy', 'manifest.json']) {
    const damaged = join(work, `damaged-${file.replaceAll('/', '-')}`);
    await cp(backupDir, damaged, { recursive: true });
    const bytes = await readFile(join(damaged, file));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(join(damaged, file), bytes);
    await assert.rejects(restoreLedger(target.pool, damaged), (e: Error) => e instanceof BackupRefused && e.message.startsWith(`${file}: `), file);
    const { rows } = await target.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    assert.equal(rows[0]!.n, 0);
  }
  const missing = join(work, 'missing-file');
  await cp(backupDir, missing, { recursive: true });
  await rm(join(missing, 'tables/streams.copy'));
  await assert.rejects(restoreLedger(target.pool, missing), /tables\/streams\.copy: 文件缺失/);
});

test('restore refuses a ledger that is not empty, and a missing or different ledger key', async () => {
  await assert.rejects(restoreLedger(source, backupDir), /目标账本不为空.*not empty/);
  assert.match(ledgerKeyProblem(manifest, null) ?? '', /no ledger key here/);
  assert.match(ledgerKeyProblem(manifest, ledgerKeyFromPrivateKey(generateSm2PrivateKey())) ?? '', /not the key that signed/);
  assert.equal(ledgerKeyProblem(manifest, ledgerKeyFromPrivateKey(LEDGER_KEY)), null);
  await rm(work, { recursive: true, force: true });
});
