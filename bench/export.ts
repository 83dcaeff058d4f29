/**
 * The dossier export (issue 13): a year of filed documents with attachments, closed, exported as
 * a transfer package, and checked (四性) — export time and peak RSS of the exporting process at each
 * size (BENCH_EXPORT_SIZES, default "1000,10000"; RSS must stay flat and under 300 MB), and
 * check-package items per second. The export and the check run in a child process of their own,
 * so the peak RSS is theirs, not the seeding's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLedger } from '../src/app/ledger.ts';
import { readUploads, storeAcceptedUploads } from '../src/api/api-commands.ts';
import { loadConfig } from '../src/config/config.ts';
import type { Principal } from '../src/app/authorization.ts';
import { createBenchDatabase, round } from './server.ts';

const SIZES = (process.env.BENCH_EXPORT_SIZES ?? '1000,10000').split(',').map(Number);
const LANES = 8;
const PASS = 'Bench-Yinzhang-1';

async function seedYear(url: string, dataDir: string, documents: number) {
  const config = loadConfig({ DATABASE_URL: url, GONGWEN_DATA_DIR: dataDir, GONGWEN_SEAL_KDF_LOG2N: '10' });
  const ledger = await createLedger(config, { url, pool: (await import('../src/db/database.ts')).createPool(url), embedded: false, close: async () => {} });
  const system: Principal = { kind: 'system' };
  let n = 0;
  const run = (p: Principal, type: string, input: Record<string, unknown>) => ledger.commands.execute(p, type, { commandId: `b-${++n}-${type}`, ...input });
  const user = (userId: string, unitId: string, ...roles: string[]): Principal => ({ kind: 'user', userId, unitId, roles: roles as never, active: true });
  await run(system, 'RegisterUnit', { unitId: 'office', name: '阜阳市人民政府办公室', kind: 'city-office', fondsCode: '0001', docNumberPrefixes: ['阜政办'] });
  await run(system, 'RegisterUser', { userId: 'admin', unitId: 'office', name: '王管理', roles: ['SUPER_ADMIN'] });
  const admin = user('admin', 'office', 'SUPER_ADMIN');
  await run(admin, 'RegisterUnit', { unitId: 'edu', name: '阜阳市教育局', kind: 'city-department', parentUnitId: 'office', docNumberPrefixes: ['阜教'] });
  for (const [id, roles] of [['clerk', ['CLERK']], ['leader', ['LEADER']], ['keeper', ['SEAL_KEEPER']]] as const) {
    await run(admin, 'RegisterUser', { userId: id, unitId: 'office', name: '张文书', roles });
  }
  await run(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: PASS, sealId: 'seal', unitId: 'office', name: '阜阳市人民政府办公室', sealType: '单位公章', validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-12-31T00:00:00.000Z', keeperUserIds: ['keeper'] });
  const clerk = user('clerk', 'office', 'CLERK');
  const leader = user('leader', 'office', 'LEADER');
  const keeper = user('keeper', 'office', 'SEAL_KEEPER');
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < documents; i = next++) {
      const id = `d${i}`;
      const attachments = await storeUploadsNow(ledger.db.pool, [
        { name: '工作方案.pdf', mediaType: 'application/pdf', contentBase64: Buffer.alloc(20 * 1024 + (i % 7) * 1024, `%PDF-1.4 ${id} `).toString('base64') },
      ]);
      await run(clerk, 'DraftDocument', {
        documentId: id,
        title: `关于做好第${i}项工作的通知`,
        docType: '通知',
        body: `各县区人民政府，市直各单位：\n　　现将第${i}项工作有关事项通知如下。${'请认真贯彻落实。'.repeat(20)}`,
        attachments,
        mainRecipients: ['edu'],
        docNumberPrefix: '阜政办',
      });
      await run(leader, 'SignOffDocument', { documentId: id });
      await run(keeper, 'SealDocument', { documentId: id, sealId: 'seal', passphrase: PASS });
      await run(clerk, 'SendDocument', { documentId: id });
      await run(clerk, 'FileDocument', { documentId: id, retention: i % 3 === 0 ? 'Y' : i % 3 === 1 ? 'D30' : 'D10', fondsCode: '0001' });
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: LANES }, lane));
  // Each document's PDF/A, as `gongwen serve` records it after sealing: the export carries it.
  await ledger.renderings.catchUp();
  await ledger.settle();
  const year = new Date().getUTCFullYear();
  const { rows } = await ledger.db.pool.query<{ year: number }>("SELECT DISTINCT year FROM catalogue_items WHERE fonds_key = '0001'");
  for (const r of rows) await run(system, 'CloseDossier', { fonds: '0001', year: r.year });
  const seconds = (Date.now() - started) / 1000;
  await ledger.close();
  await ledger.db.pool.end();
  return { years: rows.map((r) => r.year), seedSeconds: round(seconds, 1), currentYear: year };
}

const run = promisify(execFile);

/** Runs the export (or the check) in a child and returns its wall time and peak RSS. */
async function child(script: string, env: Record<string, string>) {
  const started = Date.now();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
  return { seconds: (Date.now() - started) / 1000, ...out };
}

const EXPORT_CHILD = `
import { createPool } from './src/db/database.ts';
import { loadConfig } from './src/config/config.ts';
import { createLedger } from './src/app/ledger.ts';
import { exportDossier, exportRenderer } from './src/export/export-dossier.ts';
const config = loadConfig({ DATABASE_URL: process.env.URL, GONGWEN_DATA_DIR: process.env.DATA });
const pool = createPool(process.env.URL);
const ledger = await createLedger(config, { url: process.env.URL, pool, embedded: false, close: async () => {} });
const t = Date.now();
const r = await exportDossier({ store: ledger.store, pool, key: ledger.key, render: exportRenderer(ledger.renderer, config) }, { fonds: '0001', year: Number(process.env.YEAR), profile: 'default', outFile: process.env.OUT });
const exportSeconds = (Date.now() - t) / 1000;
await ledger.close(); await pool.end();
console.log(JSON.stringify({ exportSeconds, items: r.items, files: r.files, packageBytes: r.packageBytes, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
`;

const CHECK_CHILD = `
import { checkPackage } from './src/export/check/check-package.ts';
const t = Date.now();
const r = await checkPackage(process.env.OUT);
const checkSeconds = (Date.now() - t) / 1000;
console.log(JSON.stringify({ checkSeconds, passed: r.passed, items: r.counts.items, itemsPerSecond: Math.round(r.counts.items / checkSeconds), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
`;

export async function benchExport(adminUrl: string) {
  const out: Record<string, unknown>[] = [];
  for (const documents of SIZES) {
    const db = await createBenchDatabase(adminUrl, `export${documents}`);
    const dir = await mkdtemp(join(tmpdir(), 'gongwen-bench-export-'));
    try {
      const seeded = await seedYear(db.url, dir, documents);
      const year = String(seeded.years[0]);
      const env = { URL: db.url, DATA: dir, YEAR: year, OUT: join(dir, 'package.zip') };
      const exported = await child(EXPORT_CHILD, env);
      const checked = await child(CHECK_CHILD, env);
      out.push({ documents, seedSeconds: seeded.seedSeconds, export: exported, check: checked });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.drop().catch(() => {});
    }
  }
  return out;
}

/** A fixture's uploads, stored at once (the API stores them only with the accepted command). */
async function storeUploadsNow(pool: import('pg').Pool, list: Parameters<typeof readUploads>[0]) {
  const uploads = readUploads(list);
  await storeAcceptedUploads(pool, uploads);
  return uploads.attachments;
}
