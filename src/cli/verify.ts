import { appendFile, readFile } from 'node:fs/promises';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { checkHeldCheckpoints, formatHeldCheckpoints, parseCheckpointFile, type HeldCheckpoint } from '../integrity/held-checkpoints.ts';
import { findLedgerKey, loadLedgerKey } from '../integrity/ledger-key.ts';
import { MerkleLog } from '../integrity/merkle-log.ts';
import { formatVerifyReport, verifyLedger } from '../integrity/verify-ledger.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { ledgerStreamCategories } from '../eventstore/create-event-store.ts';
import { EventStoreDbEventStore } from '../eventstore/eventstoredb/eventstoredb-event-store.ts';
import { formatEsdbVerifyReport, verifyEventStoreDbLedger } from '../integrity/verify-eventstoredb.ts';
import { allProjections } from '../../projections/index.ts';
import { PostgresEventStore } from '../eventstore/postgres/postgres-event-store.ts';
import { compareReadModels, formatReadModelReport } from '../projections/compare-read-models.ts';

export interface VerifyCliOptions {
  json: boolean;
  /** The ledger's public key (130 hex digits), as an inspector holds it. */
  publicKey?: string;
  /** The event MAC key (64 hex digits), for whoever was given it (`gongwen mac-key`). */
  macKey?: string;
  /** Files of checkpoints kept outside the ledger (`gongwen checkpoint --out FILE`). */
  checkpointFiles: string[];
  /** Also rebuild every read model aside and compare it with the live one. */
  readModels?: boolean;
}

const PUBLIC_KEY = /^04[0-9a-fA-F]{128}$/;
const MAC_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * `gongwen verify`: exit 0 when every chain, checkpoint (and, with the MAC key, every MAC) holds
 * and today's log extends every held checkpoint; 1 at the first mismatch; 2 when it cannot start.
 * It never creates a key: an inspector passes the ledger's public key (`--public-key`), and the
 * MAC check is the extra step for whoever holds the MAC key (this machine's ledger key, or
 * `--mac-key`).
 */
export async function verify(config: Config, opts: VerifyCliOptions): Promise<number> {
  if (opts.publicKey !== undefined && !PUBLIC_KEY.test(opts.publicKey)) {
    console.error('--public-key: 须为 130 位十六进制的 SM2 公钥 04‖x‖y (must be the ledger’s SM2 public key, 130 hex digits, from the ledgerKey query)');
    return 2;
  }
  if (opts.macKey !== undefined && !MAC_KEY.test(opts.macKey)) {
    console.error('--mac-key: 须为 64 位十六进制 (must be 64 hex digits, as `gongwen mac-key` prints it)');
    return 2;
  }
  const own = await findLedgerKey(config);
  const publicKeyHex = (opts.publicKey ?? own?.publicKeyHex)?.toLowerCase();
  if (!publicKeyHex) {
    console.error('本机没有账本密钥：请用 --public-key 给出账本公钥（ledgerKey 查询可得） (no ledger key on this machine: pass --public-key, from the ledgerKey query)');
    return 2;
  }
  // This machine's MAC key only serves a check against this machine's own ledger key.
  const macKey = opts.macKey ? Buffer.from(opts.macKey, 'hex') : own && own.publicKeyHex === publicKeyHex ? own.macKey : null;

  const held: HeldCheckpoint[] = [];
  for (const file of opts.checkpointFiles) {
    try {
      held.push(...parseCheckpointFile(await readFile(file, 'utf8'), file));
    } catch (error) {
      console.error(`--checkpoint ${file}: ${(error as Error).message}`);
      return 2;
    }
  }

  const db = await openDatabase(config, { migrate: false });
  try {
    if (config.EVENT_STORE === 'eventstoredb') {
      // The events live in EventStoreDB: walk them there, against the Merkle log kept here. The
      // store checks every event's MAC as it reads, so this walk needs the MAC key.
      if (!macKey) {
        console.error('事件存于 EventStoreDB 时校验须持有 MAC 密钥 (verifying an EventStoreDB ledger needs the MAC key: --mac-key)');
        return 2;
      }
      const store = new EventStoreDbEventStore({ url: config.EVENTSTORE_URL!, registry: eventRegistry, macKey, categories: ledgerStreamCategories() });
      try {
        const esdb = await verifyEventStoreDbLedger(store, db.pool, { publicKeyHex });
        console.log(opts.json ? JSON.stringify(esdb, null, 2) : formatEsdbVerifyReport(esdb));
        return esdb.ok ? 0 : 1;
      } finally {
        await store.close();
      }
    }
    const report = await verifyLedger(db.pool, { macKey, publicKeyHex, registry: eventRegistry });
    const heldReport = held.length ? await checkHeldCheckpoints(new MerkleLog({ pool: db.pool, key: null }), held, publicKeyHex) : null;
    const readModels = opts.readModels ? await checkReadModels(db.pool) : null;
    if (opts.json) console.log(JSON.stringify({ ...report, ...(heldReport ? { heldCheckpoints: heldReport } : {}), ...(readModels ? { readModels } : {}) }, null, 2));
    else {
      console.log(
        [formatVerifyReport(report), ...(heldReport ? ['', formatHeldCheckpoints(heldReport)] : []), ...(readModels ? ['', formatReadModelReport(readModels)] : [])].join('\n'),
      );
    }
    return report.ok && (heldReport?.ok ?? true) && (readModels?.ok ?? true) ? 0 : 1;
  } finally {
    await db.close();
  }
}

async function checkReadModels(pool: import('pg').Pool) {
  // The store only reads the feed here; its MAC key would serve appends, which never happen.
  const store = new PostgresEventStore({ pool, registry: eventRegistry, macKey: Buffer.alloc(32), notify: false });
  try {
    return await compareReadModels(pool, store, allProjections);
  } finally {
    await store.close();
  }
}

/**
 * `gongwen checkpoint [--out FILE]`: bring the Merkle log up to date and print the newest signed
 * checkpoint; with --out, also append it as one JSON line to FILE, the file an inspector keeps
 * and later hands to `gongwen verify --checkpoint FILE`.
 */
export async function checkpoint(config: Config, opts: { out?: string } = {}): Promise<number> {
  const db = await openDatabase(config);
  try {
    const key = await loadLedgerKey(config);
    const log = new MerkleLog({ pool: db.pool, key });
    const signed = await log.checkpoint();
    const shown = { ...signed, publicKey: key.publicKeyHex };
    console.log(JSON.stringify(shown, null, 2));
    if (opts.out) await appendFile(opts.out, `${JSON.stringify(shown)}\n`, { mode: 0o644 });
    return 0;
  } finally {
    await db.close();
  }
}

/** `gongwen mac-key`: the event MAC key, for an auditor who checks MACs but must not sign. */
export async function macKey(config: Config): Promise<number> {
  const key = await findLedgerKey(config);
  if (!key) {
    console.error('本机没有账本密钥 (no ledger key on this machine)');
    return 2;
  }
  console.log(key.macKey.toString('hex'));
  return 0;
}
