/**
 * The dossier export (issue 13): a closed year of filed documents with attachments and recorded
 * renderings (seeded by bench/export-seed.ts), exported as a transfer package and checked (四性).
 * For each size: the seeding's time, the export's time and peak RSS (RSS must stay flat and under
 * 300 MB), and check-package items per second; then the large size against the small one.
 * The export and the check run in child processes of their own, so each peak RSS is theirs.
 *
 * Environment: BENCH_EXPORT_SIZES (items of the dossier, default "1000,10000"),
 * BENCH_EXPORT_RECIPIENTS (departments each document is sent to and filed by, default 4: a
 * document gives 5 items), BENCH_EXPORT_TEMPLATES (documents made through the commands, 6),
 * BENCH_EXPORT_WRITERS (8), BENCH_EXPORT_RENDER_LANES (2), BENCH_EXPORT_CPU_PROFILE=1 (the export
 * of the smallest size under `node --cpu-prof`: its top frames), BENCH_EXPORT_BASELINE=<git rev>
 * (the export of the smallest size also run by that revision's code, alternating with this one's,
 * on the same ledger: the per-item ratio before/after in one run).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { topFrames, type CpuProfile } from './cpu-profile.ts';
import { seedClosedYear } from './export-seed.ts';
import { createBenchDatabase, round } from './server.ts';

const SIZES = (process.env.BENCH_EXPORT_SIZES ?? '1000,10000').split(',').map(Number);
const RECIPIENTS = Number(process.env.BENCH_EXPORT_RECIPIENTS ?? 4);
const TEMPLATES = Number(process.env.BENCH_EXPORT_TEMPLATES ?? 6);
const WRITERS = Number(process.env.BENCH_EXPORT_WRITERS ?? 8);
const RENDER_LANES = Number(process.env.BENCH_EXPORT_RENDER_LANES ?? 2);
const PROFILE = process.env.BENCH_EXPORT_CPU_PROFILE === '1';
const BASELINE = process.env.BENCH_EXPORT_BASELINE;
const RSS_LIMIT_MB = 300;

const exec = promisify(execFile);

/** Runs a script in a child (in `cwd`, default this tree) and returns its last line's JSON and wall time. */
async function child(script: string, env: Record<string, string>, opts: { cwd?: string; execArgv?: string[] } = {}) {
  const started = Date.now();
  const { stdout } = await exec(process.execPath, [...(opts.execArgv ?? []), '--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
    ...(opts.cwd && { cwd: opts.cwd }),
  });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
  return { seconds: (Date.now() - started) / 1000, ...out };
}

const EXPORT_CHILD = `
import { peakRssKb } from './bench/vm-hwm.mjs';
import { createPool } from './src/db/database.ts';
import { loadConfig } from './src/config/config.ts';
import { createLedger } from './src/app/ledger.ts';
import { exportDossier, exportRenderer } from './src/export/export-dossier.ts';
const config = loadConfig({ DATABASE_URL: process.env.URL, GONGWEN_DATA_DIR: process.env.DATA, LOG_LEVEL: 'warn' });
const pool = createPool(process.env.URL);
const ledger = await createLedger(config, { url: process.env.URL, pool, embedded: false, close: async () => {} });
const t = performance.now();
const r = await exportDossier({ store: ledger.store, pool, key: ledger.key, render: exportRenderer(ledger.renderer, config) }, { fonds: process.env.FONDS, year: Number(process.env.YEAR), profile: 'default', outFile: process.env.OUT });
const exportSeconds = (performance.now() - t) / 1000;
await ledger.close(); await pool.end();
console.log(JSON.stringify({ exportSeconds, items: r.items, files: r.files, packageBytes: r.packageBytes, packageSha256: r.packageSha256, peakRssMb: Math.round(peakRssKb() / 1024) }));
`;

const CHECK_CHILD = `
import { peakRssKb } from './bench/vm-hwm.mjs';
import { checkPackage } from './src/export/check/check-package.ts';
const t = performance.now();
const r = await checkPackage(process.env.OUT);
const checkSeconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ checkSeconds, passed: r.passed, findings: r.findings.slice(0, 5), items: r.counts.items, itemsPerSecond: Math.round(r.counts.items / checkSeconds), peakRssMb: Math.round(peakRssKb() / 1024) }));
`;

/** The baseline revision's code, extracted beside this tree (git archive), sharing its node_modules. */
async function baselineTree(rev: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-bench-baseline-'));
  await exec('bash', ['-c', `git archive ${rev} | tar -x -C ${dir}`]);
  await symlink(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const perItemMs = (r: { exportSeconds: number; items: number }) => round((r.exportSeconds * 1000) / r.items, 2);

export async function benchExport(adminUrl: string) {
  const sizes: Record<string, unknown>[] = [];
  const baseline = BASELINE ? await baselineTree(BASELINE) : null;
  try {
    for (const [index, items] of SIZES.entries()) {
      const db = await createBenchDatabase(adminUrl, `export${items}`, { maxConnections: WRITERS + 8 });
      const dir = await mkdtemp(join(tmpdir(), 'gongwen-bench-export-'));
      try {
        const seeded = await seedClosedYear(db.url, dir, { items, recipients: RECIPIENTS, templates: TEMPLATES, writers: WRITERS, renderLanes: RENDER_LANES });
        const env = { URL: db.url, DATA: dir, FONDS: seeded.fonds, YEAR: String(seeded.year), OUT: join(dir, 'package.zip') };
        const profileDir = join(dir, 'profile');
        const exported = await child(EXPORT_CHILD, env, PROFILE && index === 0 ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {});
        const profile = PROFILE && index === 0 ? await readProfile(profileDir) : undefined;
        let before: Record<string, unknown> | undefined;
        if (baseline && index === 0) {
          // Interleaved: baseline, this tree again, so load drifts touch both alike.
          const old = await child(EXPORT_CHILD, { ...env, OUT: join(dir, 'baseline.zip') }, { cwd: baseline.dir });
          const again = await child(EXPORT_CHILD, env);
          // A profiled run is slower: then only the unprofiled one counts.
          const now = profile ? again.exportSeconds : (exported.exportSeconds + again.exportSeconds) / 2;
          before = { revision: BASELINE, exportSeconds: round(old.exportSeconds, 1), msPerItem: perItemMs(old), peakRssMb: old.peakRssMb, thisTreeMsPerItem: round((now * 1000) / exported.items, 2), perItemRatioAfterOverBefore: round(now / old.exportSeconds, 3) };
        }
        const checked = await child(CHECK_CHILD, env);
        sizes.push({
          items,
          seed: seeded,
          export: { seconds: round(exported.exportSeconds, 1), msPerItem: perItemMs(exported), peakRssMb: exported.peakRssMb, files: exported.files, packageMb: round(exported.packageBytes / 1048576, 1), underRssLimit: exported.peakRssMb < RSS_LIMIT_MB },
          ...(before && { baseline: before }),
          ...(profile && { exportProfile: profile }),
          check: { seconds: round(checked.checkSeconds, 1), itemsPerSecond: checked.itemsPerSecond, passed: checked.passed, peakRssMb: checked.peakRssMb, ...(!checked.passed && { firstFindings: checked.findings }) },
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.drop().catch(() => {});
      }
    }
  } finally {
    await baseline?.remove();
  }
  const first = sizes[0] as { items: number; export: { seconds: number; msPerItem: number; peakRssMb: number } } | undefined;
  const last = sizes.at(-1) as typeof first;
  return {
    sizes,
    ...(first && last && first !== last && {
      largeOverSmall: {
        items: round(last.items / first.items, 2),
        exportSeconds: round(last.export.seconds / first.export.seconds, 2),
        msPerItem: round(last.export.msPerItem / first.export.msPerItem, 2),
        peakRss: round(last.export.peakRssMb / first.export.peakRssMb, 2),
      },
    }),
  };
}

async function readProfile(dir: string) {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  return file ? topFrames(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile, 15) : undefined;
}
