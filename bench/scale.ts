/**
 * `BENCH_ONLY=scale`: the ledger at two sizes (issue 16, items 4–6): the big ledger of the API bench
 * (bench/big-ledger.ts: a seeded city-year, cloned into later years through the store's batch
 * path) built at each size (its events and Merkle log; the read models are what the rebuild makes), then `gongwen rebuild` (every projection) and `gongwen verify` run on
 * it as the operator runs them, each in a process of its own whose peak RSS it reports on exit
 * (bench/peak-rss.mjs): events/s against the targets, and whether memory stays flat from the
 * smaller size to the larger.
 *
 * The folders are kept in BENCH_DATA_DIR (default ./.bench-data) as `scale-seed<seed>-<events>`,
 * beside the template year they are copied from; delete one to build it again.
 *
 * Environment: BENCH_SCALE_SIZES (default 200000,1000000), BENCH_SCALE_SEED (2025),
 * BENCH_SCALE_TEMPLATE_DOCUMENTS (80), BENCH_SCALE_WRITERS (4, batches loaded side by side),
 * BENCH_SCALE_RUNS (1: rebuild and verify runs per size, interleaved across sizes),
 * BENCH_SCALE_BUILD_ONLY (1: build the ledgers, measure nothing), BENCH_SCALE_PROFILE (a folder:
 * each rebuild and verify runs under `--cpu-prof` there, and its main thread's top frames are printed).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventsOnlyLedger, type LedgerFolder } from './big-ledger.ts';
import { topFrames, type CpuProfile } from './cpu-profile.ts';
import { round } from './server.ts';
import { BENCH_DATA_ROOT } from './data-root.ts';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '200000,1000000').split(',').map(Number);
const SEED = Number(process.env.BENCH_SCALE_SEED ?? 2025);
const TEMPLATE_DOCUMENTS = Number(process.env.BENCH_SCALE_TEMPLATE_DOCUMENTS ?? 80);
const WRITERS = Number(process.env.BENCH_SCALE_WRITERS ?? 4);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 1);
const DATA_ROOT = BENCH_DATA_ROOT;
const PROFILE_ROOT = process.env.BENCH_SCALE_PROFILE;
const REBUILD_TARGET = 20_000;
const VERIFY_TARGET = 50_000;

const root = fileURLToPath(new URL('..', import.meta.url));

interface CliRun {
  code: number | null;
  seconds: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
  /** With BENCH_SCALE_PROFILE: the main thread's top frames. */
  profile?: ReturnType<typeof topFrames>;
}

/** `gongwen <args>` on the ledger's folder, in a process of its own, with its peak RSS. */
async function gongwen(l: LedgerFolder, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const profileDir = PROFILE_ROOT ? await mkdtemp(join(PROFILE_ROOT, `${args[0]}-${l.events}-`)) : null;
  const run = await new Promise<CliRun>((resolve, reject) => {
    const started = performance.now();
    // The folder's own embedded PostgreSQL, never another database the bench was pointed at.
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profiling, '--import', './bench/peak-rss.mjs', 'bin/gongwen.js', ...args], {
      cwd: root,
      env: { ...inherited, GONGWEN_DATA_DIR: l.dataDir, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /PEAK_RSS_KB=(\d+)/.exec(stderr);
      resolve({ code, seconds: (performance.now() - started) / 1000, peakRssMb: peak ? round(Number(peak[1]) / 1024, 0) : NaN, stdout, stderr: stderr.slice(-2000) });
    });
  });
  if (profileDir) {
    // Thread 0 of the process: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile.
    const main = (await readdir(profileDir)).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).sort()[0];
    if (main) run.profile = topFrames(JSON.parse(await readFile(join(profileDir, main), 'utf8')) as CpuProfile, 15);
  }
  return run;
}

async function rebuild(l: LedgerFolder) {
  const run = await gongwen(l, ['rebuild']);
  if (run.code !== 0) throw new Error(`gongwen rebuild exited ${run.code}: ${run.stderr}`);
  // "…: rebuilt from N events in S s (R events/s)": the replay itself, without the process start.
  const m = /rebuilt from (\d+) events in ([\d.]+) s/.exec(run.stdout);
  const events = Number(m?.[1] ?? l.events);
  const seconds = Number(m?.[2] ?? run.seconds);
  const rate = events / seconds;
  return {
    events,
    seconds,
    processSeconds: round(run.seconds, 1),
    eventsPerSecond: Math.round(rate),
    ratioToTarget: round(rate / REBUILD_TARGET, 2),
    peakRssMb: run.peakRssMb,
    ...(run.profile ? { profile: run.profile } : {}),
  };
}

async function verify(l: LedgerFolder) {
  const run = await gongwen(l, ['verify', '--json']);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { ok: boolean; eventsChecked: number; durationMs: number; workers: number; mismatches: number; firstMismatch?: unknown };
  const seconds = report.durationMs / 1000;
  const rate = report.eventsChecked / seconds;
  return {
    ok: report.ok && run.code === 0,
    eventsChecked: report.eventsChecked,
    seconds: round(seconds, 1),
    processSeconds: round(run.seconds, 1),
    eventsPerSecond: Math.round(rate),
    ratioToTarget: round(rate / VERIFY_TARGET, 2),
    workers: report.workers,
    peakRssMb: run.peakRssMb,
    ...(report.ok ? {} : { mismatches: report.mismatches, firstMismatch: report.firstMismatch }),
    ...(run.profile ? { profile: run.profile } : {}),
  };
}

export async function benchScale() {
  const ledgers: { size: number; ledger: LedgerFolder; buildSeconds: number }[] = [];
  for (const size of SIZES) {
    const started = performance.now();
    const ledger = await eventsOnlyLedger({ events: size, seed: SEED, templateDocuments: TEMPLATE_DOCUMENTS, writers: WRITERS, dataRoot: DATA_ROOT, prefix: 'scale' });
    ledgers.push({ size, ledger, buildSeconds: round((performance.now() - started) / 1000, 1) });
  }
  const builds = ledgers.map(({ size, ledger, buildSeconds }) => ({ size, events: ledger.events, dataDir: ledger.dataDir, secondsThisRun: buildSeconds, build: ledger.build }));
  if (process.env.BENCH_SCALE_BUILD_ONLY === '1') return { builds };

  // Interleaved: each run measures every size, so the machine's load falls on all of them alike.
  const runs: Record<number, { rebuild: unknown[]; verify: unknown[] }> = {};
  for (let r = 0; r < RUNS; r++) {
    for (const { size, ledger } of ledgers) {
      const at = (runs[size] ??= { rebuild: [], verify: [] });
      at.rebuild.push(await rebuild(ledger));
      at.verify.push(await verify(ledger));
    }
  }
  const first = (size: number) => runs[size]! as { rebuild: Awaited<ReturnType<typeof rebuild>>[]; verify: Awaited<ReturnType<typeof verify>>[] };
  const [small, large] = [SIZES[0]!, SIZES.at(-1)!];
  const peak = (size: number, what: 'rebuild' | 'verify') => Math.max(...first(size)[what].map((x) => x.peakRssMb));
  return {
    targets: { rebuildEventsPerSecond: REBUILD_TARGET, verifyEventsPerSecond: VERIFY_TARGET, memory: 'peak RSS flat from the smaller size to the larger' },
    builds,
    runs,
    memory:
      small !== large
        ? {
            rebuildPeakRssMb: { [small]: peak(small, 'rebuild'), [large]: peak(large, 'rebuild'), ratio: round(peak(large, 'rebuild') / peak(small, 'rebuild'), 2) },
            verifyPeakRssMb: { [small]: peak(small, 'verify'), [large]: peak(large, 'verify'), ratio: round(peak(large, 'verify') / peak(small, 'verify'), 2) },
            eventsRatio: round(ledgers.at(-1)!.ledger.events / ledgers[0]!.ledger.events, 2),
          }
        : null,
  };
}
