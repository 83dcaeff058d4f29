import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import type { Principal } from '../app/authorization.ts';
import type { CommandService } from '../app/command-service.ts';
import type { CommandOutcome } from '../app/commands/route.ts';
import type { Config } from '../config/config.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { LedgerKey } from '../integrity/ledger-key.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { RenderAgain } from './dossier-source.ts';
import { exportDossier } from './export-dossier.ts';
import { streams } from '../domain/streams.ts';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../../projections/shared/keyset.ts';

export const DOSSIER_EXPORT_JOB = 'dossier-export';
const EXPORT_KEY: readonly KeyColumn[] = [
  { sql: 'requested_at', type: 'timestamptz' },
  { sql: 'export_id', type: 'text' },
];
const SWEEP_JOB = 'dossier-export-sweep';

export interface DossierExportView {
  exportId: string;
  fonds: string;
  year: number;
  profile: string;
  requestedBy: string;
  status: 'requested' | 'running' | 'exported' | 'failed';
  itemsDone: number;
  itemsTotal: number;
  packageBytes: number | null;
  packageSha256: string | null;
  packageSm3: string | null;
  error: string | null;
  requestedAt: string;
  updatedAt: string;
  /** Where the package lies on the server (not shown to clients). */
  file: string | null;
}

interface Row {
  export_id: string;
  fonds: string;
  year: number;
  profile: string;
  requested_by: string;
  status: DossierExportView['status'];
  items_done: number;
  items_total: number;
  file: string | null;
  package_bytes: number | null;
  package_sha256: string | null;
  package_sm3: string | null;
  error: string | null;
  requested_at: Date;
  updated_at: Date;
}

const view = (r: Row): DossierExportView => ({
  exportId: r.export_id,
  fonds: r.fonds,
  year: r.year,
  profile: r.profile,
  requestedBy: r.requested_by,
  status: r.status,
  itemsDone: r.items_done,
  itemsTotal: r.items_total,
  packageBytes: r.package_bytes,
  packageSha256: r.package_sha256,
  packageSm3: r.package_sm3,
  error: r.error,
  requestedAt: r.requested_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  file: r.file,
});

interface Requested {
  exportId: string;
  fonds: string;
  year: number;
  profile: string;
  requestedBy: string;
}

/**
 * Dossier exports as background jobs on pg-boss: a RequestDossierExport appends its event, the
 * export gets a row for its progress and a job; the job writes the package, then records
 * DossierExported (digests, counts, profile) or DossierExportFailed. A sweep every minute queues
 * any requested export whose job was never sent (a crash between the event and the send). Each
 * progress step is emitted as 'progress' (the GraphQL subscription pushes it).
 */
export class DossierExports extends EventEmitter<{ progress: [DossierExportView] }> {
  constructor(
    private readonly deps: {
      store: EventStore;
      pool: pg.Pool;
      key: LedgerKey;
      commands: CommandService;
      jobs: JobQueue;
      config: Pick<Config, 'GONGWEN_DATA_DIR' | 'GONGWEN_EXPORT_DIR' | 'GONGWEN_EEP_XSD'>;
      /** Re-renders a recorded rendering whose bytes are not stored (exportRenderer). */
      render: RenderAgain;
    },
  ) {
    super();
    deps.jobs.register<{ exportId: string }>({
      name: DOSSIER_EXPORT_JOB,
      // One export at a time on a server: it is I/O- and CPU-heavy, and memory stays flat per export.
      work: { pollingIntervalSeconds: 1 },
      handle: (job) => this.run(job.data.exportId),
    });
    deps.jobs.register({ name: SWEEP_JOB, cron: { expression: '* * * * *' }, handle: () => this.sweep() });
  }

  get directory(): string {
    return resolve(this.deps.config.GONGWEN_EXPORT_DIR ?? join(this.deps.config.GONGWEN_DATA_DIR, 'exports'));
  }

  /** After a RequestDossierExport command: the export's row and its job (both idempotent). */
  async queue(outcome: CommandOutcome): Promise<DossierExportView | null> {
    const requested = outcome.events.find((e) => e.type === 'DossierExportRequested');
    if (!requested) return null;
    const d = requested.data as Requested;
    await this.insert(d);
    if (this.deps.jobs.started) await this.deps.jobs.send(DOSSIER_EXPORT_JOB, { exportId: d.exportId }, { singletonKey: d.exportId });
    return this.get(d.exportId);
  }

  /** Requests an export as `principal` and queues it (the CLI and tests; GraphQL goes through the command mutation). */
  async request(principal: Principal, input: { commandId: string; fonds: string; year: number; profile?: string; exportId: string }): Promise<DossierExportView> {
    const outcome = await this.deps.commands.execute(principal, 'RequestDossierExport', input);
    return (await this.queue(outcome)) ?? (await this.get(input.exportId))!;
  }

  private async insert(d: Requested): Promise<void> {
    await this.deps.pool.query(
      `INSERT INTO dossier_exports (export_id, fonds, year, profile, requested_by, status) VALUES ($1, $2, $3, $4, $5, 'requested')
       ON CONFLICT (export_id) DO NOTHING`,
      [d.exportId, d.fonds, d.year, d.profile, d.requestedBy],
    );
  }

  async get(exportId: string): Promise<DossierExportView | null> {
    const { rows } = await this.deps.pool.query<Row>('SELECT * FROM dossier_exports WHERE export_id = $1', [exportId]);
    return rows[0] ? view(rows[0]) : null;
  }

  /**
   * The exports of a fonds' year, newest first, as a Relay page either way (keyset.ts), served by
   * the index on (fonds, year, requested_at, export_id) read backwards.
   */
  async list(fonds: string, year: number, page: PageArgs): Promise<Connection<DossierExportView>> {
    return keysetConnection(
      this.deps.pool,
      {
        scope: `dossier-exports ${JSON.stringify([fonds, year])}`,
        key: EXPORT_KEY,
        select: '*',
        from: 'dossier_exports',
        where: ['fonds = $1', 'year = $2'],
        params: [fonds, year],
        rowMode: 'object',
        descending: true,
        item: view,
      },
      page,
    );
  }

  private async update(exportId: string, set: Record<string, unknown>): Promise<void> {
    const keys = Object.keys(set);
    await this.deps.pool.query(`UPDATE dossier_exports SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now() WHERE export_id = $1`, [exportId, ...Object.values(set)]);
    const v = await this.get(exportId);
    if (v) this.emit('progress', v);
  }

  /** The job: writes the package and records the outcome. A repeat of a finished job does nothing. */
  async run(exportId: string): Promise<void> {
    const row = await this.get(exportId);
    if (!row || row.status === 'exported' || row.status === 'failed') return;
    await this.update(exportId, { status: 'running', items_done: 0 });
    const file = join(this.directory, `${exportId}.zip`);
    let lastReport = 0;
    try {
      const result = await exportDossier(
        { store: this.deps.store, pool: this.deps.pool, key: this.deps.key, xsdPath: this.deps.config.GONGWEN_EEP_XSD, render: this.deps.render },
        {
          fonds: row.fonds,
          year: row.year,
          profile: row.profile,
          outFile: file,
          onItem: (done, total) => {
            // Progress at most every 1% (and at the end), written without holding up the export.
            if (done === total || done - lastReport >= Math.max(1, Math.floor(total / 100))) {
              lastReport = done;
              void this.update(exportId, { items_done: done, items_total: total }).catch(() => {});
            }
          },
        },
      );
      await this.deps.commands.execute({ kind: 'system' }, 'RecordDossierExport', {
        commandId: `dossier-export-done:${exportId}`,
        fonds: row.fonds,
        year: row.year,
        exportId,
        outcome: {
          ok: true,
          profile: result.profile,
          profileDigest: result.profileDigest,
          batches: result.batches,
          items: result.items,
          files: result.files,
          contentBytes: result.contentBytes,
          packageBytes: result.packageBytes,
          packageSha256: result.packageSha256,
          packageSm3: result.packageSm3,
        },
      });
      await this.update(exportId, {
        status: 'exported',
        items_done: result.items,
        items_total: result.items,
        file,
        package_bytes: result.packageBytes,
        package_sha256: result.packageSha256,
        package_sm3: result.packageSm3,
      });
    } catch (error) {
      const reason = ((error as Error).message || String(error)).slice(0, 2000);
      await this.deps.commands.execute({ kind: 'system' }, 'RecordDossierExport', {
        commandId: `dossier-export-failed:${exportId}`,
        fonds: row.fonds,
        year: row.year,
        exportId,
        outcome: { ok: false, reason },
      });
      await this.update(exportId, { status: 'failed', error: reason });
    }
  }

  /** Requested exports with no outcome and no queued run: (re)queued. */
  async sweep(): Promise<void> {
    // Through the event store port, so it works wherever the events live (PostgreSQL or
    // EventStoreDB): the dossier stream of every fonds and year the catalogue holds, each a
    // handful of events (closings, arrangements, requests and outcomes).
    const { rows: dossiers } = await this.deps.pool.query<{ fonds_key: string; year: number }>('SELECT DISTINCT fonds_key, year FROM catalogue_items');
    const rows: { data: Requested }[] = [];
    for (const { fonds_key, year } of dossiers) {
      const { events } = await this.deps.store.readStream(streams.dossier(fonds_key, year));
      const settled = new Set(events.filter((e) => e.type === 'DossierExported' || e.type === 'DossierExportFailed').map((e) => (e.data as { exportId: string }).exportId));
      for (const e of events) if (e.type === 'DossierExportRequested' && !settled.has((e.data as Requested).exportId)) rows.push({ data: e.data as Requested });
    }
    for (const { data } of rows) {
      await this.insert(data);
      const row = await this.get(data.exportId);
      if (row?.status === 'requested' && this.deps.jobs.started) await this.deps.jobs.send(DOSSIER_EXPORT_JOB, { exportId: data.exportId }, { singletonKey: data.exportId });
    }
  }
}
