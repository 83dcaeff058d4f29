import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { loadLedgerKey } from '../integrity/ledger-key.ts';
import { MerkleLog } from '../integrity/merkle-log.ts';
import { formatVerifyReport, verifyLedger } from '../integrity/verify-ledger.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { createEventStore } from '../eventstore/create-event-store.ts';
import { formatEsdbVerifyReport, verifyEventStoreDbLedger } from '../integrity/verify-eventstoredb.ts';

/** `gongwen verify`: exit 0 when every chain, MAC and checkpoint holds; 1 at the first mismatch. */
export async function verify(config: Config, opts: { json: boolean }): Promise<number> {
  const db = await openDatabase(config, { migrate: false });
  try {
    const key = await loadLedgerKey(config);
    if (config.EVENT_STORE === 'eventstoredb') {
      // The events live in EventStoreDB: walk them there, against the Merkle log kept here.
      const store = createEventStore(config, { pool: db.pool, registry: eventRegistry, macKey: key.macKey });
      try {
        const esdb = await verifyEventStoreDbLedger(store, db.pool, { publicKeyHex: key.publicKeyHex });
        console.log(opts.json ? JSON.stringify(esdb, null, 2) : formatEsdbVerifyReport(esdb));
        return esdb.ok ? 0 : 1;
      } finally {
        await store.close();
      }
    }
    const report = await verifyLedger(db.pool, { macKey: key.macKey, publicKeyHex: key.publicKeyHex, registry: eventRegistry });
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** `gongwen checkpoint`: bring the Merkle log up to date and print the newest signed checkpoint. */
export async function checkpoint(config: Config): Promise<number> {
  const db = await openDatabase(config);
  try {
    const key = await loadLedgerKey(config);
    const log = new MerkleLog({ pool: db.pool, key });
    await log.sequence();
    const latest = await log.latestCheckpoint();
    console.log(JSON.stringify({ ...latest, publicKey: key.publicKeyHex }, null, 2));
    return 0;
  } finally {
    await db.close();
  }
}
