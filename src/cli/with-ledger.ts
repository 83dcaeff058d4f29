import { createLedger, type Ledger } from '../app/ledger.ts';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { Refusal } from '../domain/refusal.ts';

/** Opens the database and the ledger for one command-line command, and closes both whatever happens. */
export async function withLedger<T>(config: Config, work: (ledger: Ledger) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  const ledger = await createLedger(config, db);
  try {
    return await work(ledger);
  } finally {
    await ledger.close();
    await db.close();
  }
}

/** A command the ledger refuses (nothing changed) ends with its code and message, exit 1. */
export async function refusalExits(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    console.error(`${error.code}: ${error.message}`);
    return 1;
  }
}
