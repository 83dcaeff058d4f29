import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { loadProfile } from '../../archive-formats/profiles/index.ts';
import { writeTransferPackage, type PackageSummary } from '../../archive-formats/transfer-package/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { LedgerKey } from '../integrity/ledger-key.ts';
import type { Config } from '../config/config.ts';
import { fontMapFrom } from '../render/font-map.ts';
import type { RenderWorker } from '../render/render-worker.ts';
import { DossierReader, loadFrozenDossier, type RenderAgain } from './dossier-source.ts';

export interface ExportRequest {
  fonds: string;
  year: number;
  profile: string;
  /** The zip file to write (its folder is created). Written beside it first, then renamed. */
  outFile: string;
  onItem?: (done: number, total: number) => void;
}

export interface ExportResult extends PackageSummary {
  fonds: string;
  year: number;
  profile: string;
  profileDigest: string;
  batches: number;
  packageSha256: string;
  packageSm3: string;
  file: string;
}

export interface ExportDeps {
  store: EventStore;
  pool: pg.Pool;
  key: Pick<LedgerKey, 'keyId' | 'publicKeyHex' | 'privateKeyHex'>;
  /** GONGWEN_EEP_XSD */
  xsdPath?: string | undefined;
  /** Re-renders a document whose recorded rendering's bytes are not stored (see exportRenderer). */
  render: RenderAgain;
}

/** The ledger's renderer with the configured fonts and time zone: what the rendering recorder used. */
export function exportRenderer(renderer: Pick<RenderWorker, 'render'>, config: Pick<Config, 'GONGWEN_TIMEZONE'> & Parameters<typeof fontMapFrom>[0]): RenderAgain {
  const fonts = fontMapFrom(config);
  return (input) => renderer.render(input, { fonts, settings: { timeZone: config.GONGWEN_TIMEZONE } });
}

/** Digests the zip as it streams to disk, so the package is never held in memory to be hashed. */
class Digesting extends Transform {
  readonly sha256 = createHash('sha256');
  private readonly sm3 = createHash('sm3');
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sha256.update(chunk);
    this.sm3.update(chunk);
    done(null, chunk);
  }
  sm3Hex(): string {
    return this.sm3.digest('hex');
  }
}

/** Writes the transfer package of a closed dossier under a profile; refuses a dossier not closed. */
export async function exportDossier(deps: ExportDeps, req: ExportRequest): Promise<ExportResult> {
  const dossier = await loadFrozenDossier(deps.store, req.fonds, req.year);
  const profile = loadProfile(req.profile);
  await mkdir(dirname(req.outFile), { recursive: true });
  const partial = `${req.outFile}.partial`;
  const digesting = new Digesting();
  const file = createWriteStream(partial);
  digesting.pipe(file);
  try {
    const summary = await writeTransferPackage(digesting, {
      dossier,
      reader: new DossierReader(deps.store, deps.pool, deps.render),
      profile,
      signer: deps.key,
      xsdPath: deps.xsdPath,
      onItem: req.onItem,
    });
    await finished(file);
    await rename(partial, req.outFile);
    return {
      ...summary,
      fonds: req.fonds,
      year: req.year,
      profile: profile.profile.name,
      profileDigest: profile.digest,
      batches: dossier.batches.length,
      packageSha256: digesting.sha256.digest('hex'),
      packageSm3: digesting.sm3Hex(),
      file: req.outFile,
    };
  } catch (error) {
    // The zip was aborted mid-write: bytes still in the pipe must not reach the closed file (a
    // late write on a destroyed stream is an 'error' event, which unheard would end the process).
    digesting.unpipe(file);
    file.on('error', () => {});
    file.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}
