import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { checkChains } from './verify-chains.ts';
import { Findings } from './verify-findings.ts';
import { checkMerkleLog } from './verify-log.ts';
import { loadRegistry, type WorkerInput, type WorkerOutput } from './verify-workers.ts';

/** Worker-thread entry of `gongwen verify` (see verify-workers.ts). */
async function run(input: WorkerInput): Promise<WorkerOutput> {
  const registry = input.task === 'chains' && input.options.registry ? await loadRegistry(input.options.registry) : null;
  const client = new pg.Client(input.connection as pg.ClientConfig);
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(input.snapshot)}`);
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
    const findings = new Findings(input.options.maxSamples);
    let output: WorkerOutput;
    if (input.task === 'chains') {
      const chains = await checkChains(client, { ...input.options, registry }, findings, input.range);
      output = { ok: true, chains, findings: findings.export() };
    } else {
      const log = await checkMerkleLog(client, input.options, findings);
      output = { ok: true, log, findings: findings.export() };
    }
    await client.query('COMMIT');
    return output;
  } finally {
    await client.end().catch(() => {});
  }
}

run(workerData as WorkerInput).then(
  (output) => parentPort!.postMessage(output),
  (error: unknown) => parentPort!.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerOutput),
);
