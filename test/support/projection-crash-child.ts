// A projection process that test/projections/crash-recovery.test.ts kills mid-batch. It follows
// the feed with every registered projection (and the application counter), in large batches; on
// its second batch each projection applies its events and then holds the transaction open,
// printing "holding <projection> <backend pid> <transaction id>" so the parent can see the open
// transactions in pg_stat_activity before it sends SIGKILL. Nothing here cleans up: dying without
// warning is the point.
import { randomBytes } from 'node:crypto';
import { allProjections } from '../../projections/index.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { createPool } from '../../src/db/database.ts';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { applicationCountProjection, holdingOnBatch } from './test-projections.ts';

const url = process.env.PROJECTION_CRASH_DATABASE_URL;
const batchSize = Number(process.env.PROJECTION_CRASH_BATCH ?? 500);
const holdOn = Number(process.env.PROJECTION_CRASH_HOLD_ON_BATCH ?? 2);
if (!url) throw new Error('PROJECTION_CRASH_DATABASE_URL is required');

const projections = [...allProjections, applicationCountProjection];
const pool = createPool(url, { max: projections.length + 4 });
pool.on('error', () => {});
// Reading needs no key; the MAC key only seals appends, and this process appends nothing.
const store = new PostgresEventStore({ pool, registry: eventRegistry, macKey: randomBytes(32), subscriptionBatchSize: batchSize });
const runner = new ProjectionRunner(
  pool,
  store,
  projections.map((p) =>
    holdingOnBatch(p, holdOn, (name, tx) => {
      void tx
        .query<{ pid: number; xid: string | null }>('SELECT pg_backend_pid() AS pid, pg_current_xact_id_if_assigned()::text AS xid')
        .then(({ rows }) => process.stdout.write(`holding ${name} ${rows[0]!.pid} ${rows[0]!.xid}\n`));
    }),
  ),
  { batchSize },
);
runner.on('error', (error, name) => process.stderr.write(`runner error in ${name}: ${String(error)}\n`));
runner.on('applied', (b) => process.stdout.write(`applied ${b.projection} ${b.events.length}\n`));
runner.start();
process.stdout.write('started\n');
