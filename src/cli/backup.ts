import type { Config } from '../config/config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { backupLedger, BackupRefused, checkBackup, ledgerKeyProblem, restoreLedger, type BackupManifest } from '../backup/backup.ts';
import { findLedgerKey, type LedgerKey } from '../integrity/ledger-key.ts';
import { MerkleLog } from '../integrity/merkle-log.ts';
import { createLedger } from '../app/ledger.ts';

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

/** `gongwen backup --out DIR`: one consistent cut of the ledger's own tables, beside a running server. */
export async function backup(config: Config, out: string | undefined): Promise<number> {
  if (!out) {
    console.error('须指定 --out DIR (--out DIR is required)');
    return 2;
  }
  const db = await openDatabase(config, { migrate: false });
  try {
    const started = performance.now();
    const manifest = await backupLedger(db.pool, out);
    console.log(
      JSON.stringify(
        {
          out,
          events: manifest.events,
          tables: manifest.tables.length,
          bytes: manifest.tables.reduce((n, t) => n + t.bytes, 0),
          latestCheckpoint: manifest.latestCheckpoint && { treeSize: manifest.latestCheckpoint.treeSize, rootHash: manifest.latestCheckpoint.rootHash },
          seconds: seconds(started),
        },
        null,
        2,
      ),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    await db.close();
  }
}

/**
 * `gongwen restore DIR`: checks every file of the backup, then loads it into this configuration's
 * empty ledger, brings the Merkle log up to date (signing a checkpoint with the ledger key the
 * operator put back) and rebuilds every read model from the restored events.
 */
export async function restore(config: Config, dir: string): Promise<number> {
  let manifest;
  try {
    manifest = await checkBackup(dir);
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    console.error(error.message);
    return 1;
  }
  // The ledger key is not in the backup (it is kept offline): it must be back before anything is written.
  const key = await findLedgerKey(config);
  const wrongKey = ledgerKeyProblem(manifest, key);
  if (wrongKey || !key) {
    console.error(wrongKey);
    return 2;
  }
  const db = await openDatabase(config);
  try {
    const summary = await restoreInto(config, db, dir, manifest, key);
    if ('problem' in summary) {
      console.error(summary.problem);
      return 1;
    }
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    await db.close();
  }
}

/**
 * The restore proper, on an open database with the ledger key checked: load the tables, bring the
 * Merkle log up to date and sign, check the backup's newest checkpoint is there unchanged, rebuild
 * every read model. Returns what it did and how long each part took.
 */
export async function restoreInto(config: Config, db: Database, dir: string, manifest: BackupManifest, key: LedgerKey) {
  const started = performance.now();
  const restored = await restoreLedger(db.pool, dir, manifest);
  const copied = seconds(started);
  const log = new MerkleLog({ pool: db.pool, key });
  const signed = await log.checkpoint({ timeoutMs: 60_000 });
  const checkpointed = seconds(started) - copied;
  const held = manifest.latestCheckpoint && (await log.checkpointAt(manifest.latestCheckpoint.treeSize));
  if (manifest.latestCheckpoint && held?.signature !== manifest.latestCheckpoint.signature) {
    return { problem: `恢复后的检查点与备份不符 (the restored checkpoint at tree size ${manifest.latestCheckpoint.treeSize} differs from the backup's)` };
  }
  const rebuildStarted = performance.now();
  const ledger = await createLedger(config, db);
  try {
    await ledger.projections.rebuild();
  } finally {
    await ledger.close();
  }
  return {
    restored: dir,
    events: manifest.events,
    rows: restored.rows,
    latestCheckpoint: { treeSize: signed.treeSize, rootHash: signed.rootHash },
    backupCheckpoint: manifest.latestCheckpoint && { treeSize: manifest.latestCheckpoint.treeSize, rootHash: manifest.latestCheckpoint.rootHash },
    seconds: { copy: copied, checkpoint: Math.round(checkpointed * 10) / 10, rebuild: seconds(rebuildStarted), total: seconds(started) },
  };
}
