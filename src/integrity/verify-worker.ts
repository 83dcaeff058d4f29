import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { Findings } from './verify-findings.ts';
import { checkMerkleLog } from './verify-log.ts';
import type { RegistryModule, WorkerInput, WorkerOutput } from './verify-workers.ts';

/**
 * Worker-thread entry of `gongwen verify` (see verify-workers.ts). It imports only what the log
 * task needs: a chains task loads the chain walk and its registry when it runs.
 */
async function run(input: WorkerInput): Promise<WorkerOutput> {
  const chains = input.task === 'chains' ? await chainWalk(input.options.registry) : null;
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
      const counts = await chains!.checkChains(client, { ...input.options, registry: chains!.registry }, findings, input.range);
      output = { ok: true, chains: counts, findings: findings.export() };
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

/** The chain walk and the registry it parses with, loaded only by a worker that walks chains. */
async function chainWalk(ref: RegistryModule | null) {
  const [{ checkChains }, { loadRegistry }] = await Promise.all([import('./verify-chains.ts'), import('./verify-workers.ts')]);
  return { checkChains, registry: ref ? await loadRegistry(ref) : null };
}

run(workerData as WorkerInput).then(
  (output) => parentPort!.postMessage(output),
  (error: unknown) => parentPort!.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerOutput),
);
