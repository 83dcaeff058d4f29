/**
 * `npm run bench`: one JSON document with every section, measured in the same run on the same
 * PostgreSQL (DATABASE_URL's, or an embedded one): the append path (bench/append.ts) and the read
 * side (bench/projections.ts), and the fixed-layout rendering (bench/render.ts, no database).
 * `BENCH_ONLY=append`, `projections`, `render`, `export`, `supervision`, `api` or `scale` runs one section
 * (export: bench/export.ts; supervision: bench/supervision.ts, the deadline scan and the statistics
 * queries; api: bench/api.ts, the big ledger served over HTTP, on its own data folder's PostgreSQL;
 * scale: bench/scale.ts, rebuild and verify speed and peak memory on big ledgers of two sizes).
 * Each section's environment variables are documented at its top.
 */
import { cpus, loadavg } from 'node:os';
import { benchAppend } from './append.ts';
import { benchEventStoreDbAppend } from './eventstoredb-append.ts';
import { benchProjections } from './projections.ts';
import { benchRender } from './render.ts';
import { benchExport } from './export.ts';
import { benchSupervision } from './supervision.ts';
import { benchApi } from './api.ts';
import { benchScale } from './scale.ts';
import { startBenchServer } from './server.ts';

const only = process.env.BENCH_ONLY;
const server = await startBenchServer();
// Figures are only comparable on a quiet machine: the load says whether it was.
const result: Record<string, unknown> = { machine: { cpus: cpus().length, loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))) } };
try {
  if (!only || only === 'append') {
    result.append = await benchAppend(server.adminUrl);
    // Beside the PostgreSQL adapter's figure above, in the same run.
    result.appendEventStoreDb = await benchEventStoreDbAppend();
  }
  if (!only || only === 'projections') result.projections = await benchProjections(server.adminUrl);
  if (!only || only === 'render') result.render = await benchRender();
  if (!only || only === 'export') result.export = await benchExport(server.adminUrl);
  if (!only || only === 'supervision') result.supervision = await benchSupervision(server.adminUrl);
  if (!only || only === 'api') result.api = await benchApi();
  if (!only || only === 'scale') result.scale = await benchScale();
} finally {
  await server.stop();
}
(result.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
console.log(JSON.stringify(result, null, 2));
