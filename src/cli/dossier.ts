import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { fondsOfYear } from '../../projections/catalogue/dossier-items.ts';
import type { Ledger } from '../app/ledger.ts';
import type { Config } from '../config/config.ts';
import { Refusal } from '../domain/refusal.ts';
import { streams } from '../domain/streams.ts';
import { checkPackage, summarise } from '../export/check/check-package.ts';
import { UnreadablePackageError } from '../export/check/package-source.ts';
import { exportDossier, exportRenderer } from '../export/export-dossier.ts';
import { packageFileName } from '../export/package-name.ts';
import { withLedger } from './with-ledger.ts';

/**
 * `gongwen close-dossier`, `gongwen export`, `gongwen check-package`: the archivist's year-end on
 * the command line (as the operator: the ledger itself acts, recorded as SYSTEM).
 */

function parseYear(value: string | undefined): number | null {
  return value && /^\d{4}$/.test(value) ? Number(value) : null;
}

/** Everything filed so far is in the catalogue before anything is closed or exported. */
const withSettledLedger = <T>(config: Config, work: (ledger: Ledger) => Promise<T>): Promise<T> =>
  withLedger(config, async (ledger) => {
    await ledger.settle();
    return work(ledger);
  });

export async function closeDossierCli(config: Config, opts: { year?: string; fonds?: string }): Promise<number> {
  const year = parseYear(opts.year);
  if (year === null) {
    console.error('用法 (usage): gongwen close-dossier --year <年度> [--fonds <全宗号|unit:单位标识>]');
    return 2;
  }
  return withSettledLedger(config, async (ledger) => {
    const fonds = opts.fonds ? [opts.fonds] : await fondsOfYear(ledger.db.pool, year);
    if (fonds.length === 0) {
      console.error(`${year} 年度没有已归档的文件 (nothing filed in ${year})`);
      return 1;
    }
    let failed = 0;
    for (const f of fonds) {
      try {
        const outcome = await ledger.commands.execute({ kind: 'system' }, 'CloseDossier', { commandId: `cli-close-${randomUUID()}`, fonds: f, year });
        const d = outcome.events[0]!.data as { batch: number; items: { archivalCode: string }[]; archivalCodeTemplate: { id: string } };
        const codes = d.items.map((i) => i.archivalCode);
        console.log(`全宗 ${f} ${year} 年度：第 ${d.batch} 批关卷 ${codes.length} 件（${d.archivalCodeTemplate.id}，${codes[0]} … ${codes.at(-1)}）`);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        console.error(`全宗 ${f} ${year} 年度：${error.message}`);
        failed++;
      }
    }
    return failed === 0 ? 0 : 1;
  });
}

export async function exportCli(config: Config, opts: { year?: string; fonds?: string; profile?: string; out?: string }): Promise<number> {
  const year = parseYear(opts.year);
  if (year === null || !opts.out) {
    console.error('用法 (usage): gongwen export --year <年度> [--fonds <全宗号>] [--profile <配置名>] --out <文件夹>');
    return 2;
  }
  const profile = opts.profile ?? 'default';
  const out = resolve(opts.out);
  return withSettledLedger(config, async (ledger) => {
    const fonds = opts.fonds ? [opts.fonds] : await fondsOfYear(ledger.db.pool, year);
    // Refused before anything is written: every fonds asked for must be closed.
    const open: string[] = [];
    for (const f of fonds) {
      const read = await ledger.store.readStream(streams.dossier(f, year));
      if (!read.events.some((e) => e.type === 'DossierClosed')) open.push(f);
    }
    if (fonds.length === 0 || open.length > 0) {
      const which = open.length ? open.join('、') : '（无）';
      console.error(
        `${year} 年度尚未关卷的全宗：${which}。请先关卷：gongwen close-dossier --year ${year}${opts.fonds ? ` --fonds ${opts.fonds}` : ''} (dossier not closed)`,
      );
      return 1;
    }
    for (const f of fonds) {
      const file = join(out, packageFileName(f, year, profile));
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: `${f} ${year} [{bar}] {value}/{total} 件 · eta {eta}s`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
        : undefined;
      let started = false;
      try {
        const result = await exportDossier(
          { store: ledger.store, pool: ledger.db.pool, key: ledger.key, xsdPath: config.GONGWEN_EEP_XSD, render: exportRenderer(ledger.renderer, config) },
          {
            fonds: f,
            year,
            profile,
            outFile: file,
            onItem: (done, total) => {
              if (!started) bar?.start(total, 0);
              started = true;
              bar?.update(done);
            },
          },
        );
        bar?.stop();
        console.log(
          `全宗 ${f} ${year} 年度 → ${result.file}\n  ${result.items} 件，${result.files} 个文件，内容 ${result.contentBytes} 字节，包 ${result.packageBytes} 字节，${result.batches} 批；配置 ${result.profile}\n  SHA-256 ${result.packageSha256}\n  SM3     ${result.packageSm3}`,
        );
      } catch (error) {
        bar?.stop();
        if (error instanceof Refusal) {
          console.error(error.message);
          return 1;
        }
        throw error;
      }
    }
    return 0;
  });
}

export async function checkPackageCli(config: Config, location: string | undefined, opts: { json?: boolean; issuerKeys: string[]; report?: string }): Promise<number> {
  if (!location) {
    console.error('用法 (usage): gongwen check-package <包.zip|文件夹> [--json] [--report <报告.json>] [--issuer-key <账本公钥>]…');
    return 2;
  }
  try {
    const xsd = config.GONGWEN_EEP_XSD ? await readFile(config.GONGWEN_EEP_XSD) : undefined;
    const report = await checkPackage(location, { trustedKeys: opts.issuerKeys, xsd });
    if (opts.report) await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else console.log(summarise(report));
    return report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof UnreadablePackageError) {
      console.error(`无法读取包 (unreadable package)：${error.message}`);
      return 2;
    }
    throw error;
  }
}

