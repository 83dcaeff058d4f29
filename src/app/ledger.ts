import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { PostgresEventStore } from '../eventstore/postgres/postgres-event-store.ts';
import { loadLedgerKey, type LedgerKey } from '../integrity/ledger-key.ts';
import { MerkleLog } from '../integrity/merkle-log.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { allProjections } from '../../projections/index.ts';
import { ProjectionRunner } from '../projections/projection-runner.ts';
import { CommandService } from './command-service.ts';
import type { CommandDeps } from './commands/deps.ts';
import { SealKeyVault } from '../seal/seal-key-vault.ts';
import { deliveryDispatcher } from './reactors/delivery-dispatcher.ts';
import { ReactorRunner } from './reactors/reactor-runner.ts';
import { SecurityLog } from './security-log.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { DossierExports } from '../export/export-jobs.ts';

/** The composed ledger: one of each part, wired once, for the server, the CLI and the tests. */
export interface Ledger {
  config: Config;
  db: Database;
  key: LedgerKey;
  store: PostgresEventStore;
  commands: CommandService;
  securityLog: SecurityLog;
  merkleLog: MerkleLog;
  reactors: ReactorRunner[];
  projections: ProjectionRunner;
  /** Background jobs (pg-boss): register definitions before `jobs.start()`. Not started by `start`. */
  jobs: JobQueue;
  /** Dossier export jobs (registered on `jobs`), their progress and packages. */
  exports: DossierExports;
  /** Starts the background work: process managers and the Merkle log sequencer. */
  start(opts?: { sequenceEveryMs?: number }): void;
  /** Runs every process manager and projection until everything committed so far is handled (CLI, tests). */
  settle(): Promise<void>;
  status(): Promise<{ events: number; treeSize: number; checkpointAt: string | null }>;
  close(): Promise<void>;
}

export async function createLedger(config: Config, db: Database, opts: { now?: () => Date } = {}): Promise<Ledger> {
  const key = await loadLedgerKey(config);
  const now = opts.now ?? (() => new Date());
  const store = new PostgresEventStore({ pool: db.pool, registry: eventRegistry, macKey: key.macKey, clock: now });
  const deps: CommandDeps = { store, pool: db.pool, config, vault: new SealKeyVault(db.pool), sealIssuer: key, now };
  const securityLog = new SecurityLog(db.pool);
  const commands = new CommandService(deps, securityLog);
  const merkleLog = new MerkleLog({ pool: db.pool, key });
  const reactors = [new ReactorRunner(db.pool, store, deliveryDispatcher(deps))];
  const projections = new ProjectionRunner(db.pool, store, allProjections);
  const jobs = new JobQueue(db.url);
  const exports = new DossierExports({ store, pool: db.pool, key, commands, jobs, config });
  await projections.prepare();
  let sequencer: NodeJS.Timeout | undefined;
  let sequencing: Promise<unknown> = Promise.resolve();

  return {
    config,
    db,
    key,
    store,
    commands,
    securityLog,
    merkleLog,
    reactors,
    projections,
    jobs,
    exports,
    start({ sequenceEveryMs = 5_000 } = {}) {
      for (const r of reactors) r.start();
      projections.start();
      // Checkpoints are signed in the background: appends never wait for the Merkle log.
      sequencer = setInterval(() => {
        sequencing = sequencing.then(() => merkleLog.sequence()).catch(() => {});
      }, sequenceEveryMs);
      sequencer.unref();
    },
    async settle() {
      // The feed shows a commit only once every older transaction on the server has ended; wait
      // for those, so "settled" covers everything committed before this call.
      await store.awaitVisible();
      for (let handled = 1; handled > 0; ) {
        handled = 0;
        for (const r of reactors) handled += await r.catchUp();
      }
      await projections.catchUp();
    },
    async status() {
      const { rows } = await db.pool.query<{ events: number; tree_size: number | null; created_at: Date | null }>(
        `SELECT (SELECT count(*) FROM events)::bigint AS events,
                c.tree_size, c.created_at
           FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT tree_size, created_at FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1) c ON true`,
      );
      const r = rows[0]!;
      return { events: Number(r.events), treeSize: Number(r.tree_size ?? 0), checkpointAt: r.created_at?.toISOString() ?? null };
    },
    async close() {
      if (sequencer) clearInterval(sequencer);
      await Promise.all([...reactors.map((r) => r.stop()), projections.stop(), jobs.stop()]);
      await sequencing;
      await store.close();
    },
  };
}
