import cliProgress from 'cli-progress';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { createLedger } from '../app/ledger.ts';

/** `gongwen projections`: each read model's checkpoint and how far behind the feed it is. */
export async function showProjections(config: Config, opts: { json: boolean }): Promise<number> {
  const db = await openDatabase(config);
  const ledger = await createLedger(config, db);
  try {
    const status = await ledger.projections.status();
    if (opts.json) {
      console.log(JSON.stringify(status, null, 2));
    } else {
      console.table(
        status.map((s) => ({
          projection: s.name,
          version: s.version,
          applied: s.eventsApplied,
          'behind (events)': s.eventsBehind,
          'behind (ms)': s.msBehind,
          checkpoint: s.position ?? '(start)',
          updated: s.updatedAt,
        })),
      );
    }
    return 0;
  } finally {
    await ledger.close();
    await db.close();
  }
}

/** `gongwen rebuild [name…]`: replay read models from the events into new tables and swap them in, with a progress bar on a terminal. */
export async function rebuild(config: Config, names: string[]): Promise<number> {
  const db = await openDatabase(config);
  const ledger = await createLedger(config, db);
  try {
    const known = ledger.projections.projections.map((p) => p.name);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) {
      // Checked before anything is dropped.
      console.error(`没有这些读模型 (unknown projections): ${unknown.join(', ')}; known: ${known.join(', ')}`);
      return 2;
    }
    const total = (await ledger.store.backlog(null)).events;
    const chosen = names.length ? names : ledger.projections.projections.map((p) => p.name);
    // One replay of the feed for all of them: each read is decoded once and applied to every
    // projection side by side (each in its own transactions, with its own checkpoint).
    const bar = process.stdout.isTTY
      ? new cliProgress.SingleBar({ format: '{name} [{bar}] {value}/{total} events · {rate}/s · eta {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
    const started = Date.now();
    const label = chosen.join(', ');
    bar?.start(total, 0, { name: label, rate: 0 });
    const read = new Map<string, number>();
    await ledger.projections.rebuild(chosen, (name, n) => {
      read.set(name, n);
      // The slowest projection's progress is the rebuild's.
      const done = Math.min(...chosen.map((c) => read.get(c) ?? 0));
      bar?.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
    });
    bar?.update(total);
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    console.log(`${label}: rebuilt from ${total} events in ${seconds.toFixed(1)} s (${Math.round(total / Math.max(seconds, 0.001))} events/s)`);
    return 0;
  } finally {
    await ledger.close();
    await db.close();
  }
}
