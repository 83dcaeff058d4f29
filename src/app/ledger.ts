import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { createEventStore } from '../eventstore/create-event-store.ts';
import type { EventStore } from '../eventstore/port.ts';
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
import { renderingRecorder } from './reactors/rendering-recorder.ts';
import { RenderWorker } from '../render/render-worker.ts';
import { SecurityLog } from './security-log.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { loadSupervision, registerSupervisionJobs, type Supervision } from '../supervision/supervision.ts';
import { SignInRecorder } from '../supervision/sign-ins.ts';
import { LogNotifier, reminderReactor, WebhookNotifier } from '../supervision/reminders.ts';
import { exportRenderer } from '../export/export-dossier.ts';
import { DossierExports } from '../export/export-jobs.ts';

/** The composed ledger: one of each part, wired once, for the server, the CLI and the tests. */
export interface Ledger {
  config: Config;
  db: Database;
  key: LedgerKey;
  store: EventStore;
  commands: CommandService;
  securityLog: SecurityLog;
  merkleLog: MerkleLog;
  reactors: ReactorRunner[];
  /**
   * Renders each sealed document and records the rendering (版式文件). Started by `gongwen serve`
   * (`renderings.start()`), neither by `start` nor by `settle`: rendering costs a fraction of a
   * second of CPU per document (seconds for the first, reading the fonts), which the tests of
   * everything else, timed to the second, should not pay; `renderings.catchUp()` runs it on demand.
   */
  renderings: ReactorRunner;
  /** Renders documents off the main thread (the recorder and the download route share it). */
  renderer: RenderWorker;
  projections: ProjectionRunner;
  /** Background jobs (pg-boss): register definitions before `jobs.start()`. Not started by `start`. */
  jobs: JobQueue;
  /** 电子监察: the calendar and deadline policy (the supervision jobs are registered on `jobs`). */
  supervision: Supervision;
  signIns: SignInRecorder;
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
  const store = await createEventStore(config, { pool: db.pool, registry: eventRegistry, macKey: key.macKey, clock: now });
  // A bad deadline policy or office hours stop start-up here, naming the field.
  const supervision = loadSupervision(config);
  const deps: CommandDeps = { store, pool: db.pool, config, vault: new SealKeyVault(db.pool, key.macKey), sealIssuer: key, supervision, now };
  const securityLog = new SecurityLog(db.pool);
  const commands = new CommandService(deps, securityLog);
  const merkleLog = new MerkleLog({ pool: db.pool, key, ...(config.EVENT_STORE === 'eventstoredb' ? { feed: store } : {}) });
  const renderer = new RenderWorker();
  const renderings = new ReactorRunner(db.pool, store, renderingRecorder(deps, config, renderer), (error, event) =>
    console.error(`版式文件生成失败，稍后重试 (rendering of ${event.streamId} failed, will retry): ${(error as Error).message}`),
  );
  const jobs = new JobQueue(db.url);
  const notifier = config.GONGWEN_NOTIFY_WEBHOOK_URL ? new WebhookNotifier(config.GONGWEN_NOTIFY_WEBHOOK_URL) : new LogNotifier();
  const reactors = [new ReactorRunner(db.pool, store, deliveryDispatcher(deps)), new ReactorRunner(db.pool, store, reminderReactor(db.pool, store, jobs, supervision, now))];
  const projections = new ProjectionRunner(db.pool, store, allProjections);
  const exports = new DossierExports({ store, pool: db.pool, key, commands, jobs, config, render: exportRenderer(renderer, config) });
  await projections.prepare();
  // A scan reviews what the read model shows; it first lets the supervision read model catch up.
  registerSupervisionJobs(jobs, deps, notifier, () => projections.catchUp(['directory', 'supervision']));
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
    renderings,
    renderer,
    projections,
    jobs,
    supervision,
    signIns: new SignInRecorder(store),
    exports,
    start({ sequenceEveryMs = 1_000 } = {}) {
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
      // The events are counted where they live (PostgreSQL or EventStoreDB); the log is always here.
      const [backlog, { rows }] = await Promise.all([
        store.backlog(null),
        db.pool.query<{ tree_size: number; created_at: Date }>('SELECT tree_size, created_at FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1'),
      ]);
      const r = rows[0];
      return { events: backlog.events, treeSize: Number(r?.tree_size ?? 0), checkpointAt: r?.created_at.toISOString() ?? null };
    },
    async close() {
      if (sequencer) {
        clearInterval(sequencer);
        // Leave nothing unsigned behind: `gongwen verify` counts events left outside every signed
        // checkpoint for longer than the interval as a finding.
        sequencing = sequencing.then(() => merkleLog.checkpoint({ timeoutMs: 2_000 })).catch(() => {});
      }
      await Promise.all([...reactors.map((r) => r.stop()), renderings.stop(), projections.stop(), jobs.stop()]);
      await renderer.close();
      await sequencing;
      await store.close();
    },
  };
}
