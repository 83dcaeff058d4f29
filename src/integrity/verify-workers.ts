import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import type { EventRegistry } from '../../schemas/registry.ts';
import type { ChainCheckOptions, StreamRange } from './verify-chains.ts';
import type { RankedMismatch } from './verify-findings.ts';
import type { LogCheckOptions, LogCheckResult } from './verify-log.ts';

/**
 * Worker threads for `gongwen verify`. Each opens its own connection, imports the snapshot the
 * main verifier exported (so every part sees one and the same database state), runs one part of
 * the check and posts back its counts and its earliest findings.
 */

/** Where a worker finds the event registry: a module and the name it exports it under. */
export interface RegistryModule {
  module: string;
  export: string;
}

export type WorkerTask =
  | { task: 'log'; options: LogCheckOptions }
  | { task: 'chains'; options: Omit<ChainCheckOptions, 'registry'> & { registry: RegistryModule | null }; range: StreamRange };

export type WorkerInput = WorkerTask & { connection: Record<string, unknown>; snapshot: string };

export type WorkerOutput =
  | { ok: true; chains?: { events: number; streams: number }; log?: LogCheckResult; findings: { count: number; kept: RankedMismatch[] } }
  | { ok: false; error: string };

export async function loadRegistry(ref: RegistryModule): Promise<EventRegistry> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const registry = mod[ref.export] as EventRegistry | undefined;
  if (!registry || typeof registry.parse !== 'function') throw new Error(`${ref.module} exports no event registry named ${ref.export}`);
  return registry;
}

/**
 * The pool's connection settings, if a worker can be given them: plain values only (a password
 * callback or a custom client class cannot cross threads; the caller then checks in-process).
 */
export function transferableConnection(pool: pg.Pool): Record<string, unknown> | null {
  const options = (pool as unknown as { options?: Record<string, unknown> }).options ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || k === 'max' || k === 'min' || k === 'idleTimeoutMillis' || k === 'maxUses' || k === 'allowExitOnIdle') continue;
    if (typeof v === 'function') {
      if (k === 'password' || k === 'Client' || k === 'stream') return null;
      continue;
    }
    try {
      out[k] = structuredClone(v);
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * Runs one task in a worker. The worker is an ESM bootstrap that registers tsx before importing
 * the TypeScript entry: workers do not inherit a loader registered at run time (bin/gongwen.js),
 * and registering again under `node --import tsx` is harmless.
 */
export function runInWorker(input: WorkerInput): Promise<WorkerOutput> {
  const entry = new URL('./verify-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: input });
    let settled = false;
    worker.once('message', (message: WorkerOutput) => {
      settled = true;
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`verify worker exited with code ${code} before reporting`));
      settled = true;
    });
  });
}
