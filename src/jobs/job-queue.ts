import type PgBoss from 'pg-boss';

/**
 * One kind of background job: its queue (pg-boss 10 queues are created before use), the handler,
 * and optionally a cron schedule. Supervision scans, reminders and dossier exports are each one.
 * Handlers must be idempotent: pg-boss delivers at least once (a crash after the work but before
 * the completion is recorded runs the job again).
 */
export interface JobDefinition<T extends object = object> {
  name: string;
  queue?: Omit<PgBoss.Queue, 'name'>;
  work?: PgBoss.WorkOptions;
  /** A recurring job: pg-boss's cron, in the given IANA zone. Two servers schedule it once. */
  cron?: { expression: string; tz?: string; data?: T };
  handle(job: PgBoss.Job<T>): Promise<unknown>;
}

/**
 * The ledger's jobs, on pg-boss in the ledger's own database (its own schema `pgboss`), so jobs
 * survive restarts and two servers share the work. Definitions are registered before `start`;
 * `gongwen serve` starts it, tests start it when they exercise jobs.
 */
export class JobQueue {
  private boss: PgBoss | undefined;
  private readonly definitions = new Map<string, JobDefinition<never>>();

  constructor(
    private readonly connectionString: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  register<T extends object>(definition: JobDefinition<T>): void {
    if (this.boss) throw new Error(`job ${definition.name} registered after the job queue started`);
    if (this.definitions.has(definition.name)) throw new Error(`job ${definition.name} registered twice`);
    this.definitions.set(definition.name, definition as unknown as JobDefinition<never>);
  }

  get started(): boolean {
    return this.boss !== undefined;
  }

  async start(): Promise<void> {
    if (this.boss) return;
    // Loaded on start: the CLI commands that build a ledger and never run jobs (export, verify…) do not pay for it.
    const { default: PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: this.connectionString, schema: 'pgboss', application_name: 'gongwen-jobs', max: 4 });
    // pg-boss reports lost connections and failed maintenance here; without a listener they kill the process.
    boss.on('error', (e) => this.onError(e));
    await boss.start();
    for (const d of this.definitions.values()) {
      await boss.createQueue(d.name, { name: d.name, ...d.queue });
      await boss.work<object>(d.name, { batchSize: 1, ...d.work }, async (jobs) => {
        for (const job of jobs) await d.handle(job as PgBoss.Job<never>);
      });
      if (d.cron) await boss.schedule(d.name, d.cron.expression, d.cron.data, { tz: d.cron.tz });
    }
    this.boss = boss;
  }

  /** Queues a job; `singletonKey` (and pg-boss's other send options) keep duplicates out. */
  async send<T extends object>(name: string, data: T, options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.#queueing(name).send(name, data, options);
  }

  /** Queues many jobs of one kind in one statement (pg-boss insert): the scan's per-delivery timers. */
  async sendMany<T extends object>(name: string, jobs: (Omit<PgBoss.JobInsert<T>, 'name'> & { data: T })[]): Promise<void> {
    const boss = this.#queueing(name);
    if (jobs.length > 0) await boss.insert(jobs.map((j) => ({ ...j, name })));
  }

  /** pg-boss, to queue a job of a kind registered here, once started. */
  #queueing(name: string): PgBoss {
    if (!this.definitions.has(name)) throw new Error(`unknown job ${name}`);
    if (!this.boss) throw new Error('the job queue is not started');
    return this.boss;
  }

  /** The pg-boss instance, for what this wrapper does not cover (job state look-ups). */
  get pgBoss(): PgBoss {
    if (!this.boss) throw new Error('the job queue is not started');
    return this.boss;
  }

  async stop(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    // graceful: running handlers finish (or are cancelled after the timeout) before the pool closes.
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
