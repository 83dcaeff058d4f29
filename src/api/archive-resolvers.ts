import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../app/authorization.ts';
import type { Ledger } from '../app/ledger.ts';
import { loadUnit } from '../app/commands/deps.ts';
import { checkPackage, summarise, type CheckReport } from '../export/check/check-package.ts';
import { UnreadablePackageError } from '../export/check/package-source.ts';
import type { DossierExportView } from '../export/export-jobs.ts';
import type { GraphQLResolveInfo } from 'graphql';
import { apiError, guarded } from './errors.ts';
import { absentIfNull } from './query-resolvers.ts';
import { relayPage } from './query-cost.ts';
import { relayConnection } from './relay.ts';
import type { PageArgs } from '../../projections/shared/keyset.ts';
import { requireCatalogue, requireExportReader, requirePackageChecker } from './read-access.ts';
import { readFile } from 'node:fs/promises';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string }; pubsub?: { subscribe(topic: string): Promise<unknown> } };

export const exportTopic = (exportId: string) => `dossier-export:${exportId}`;
export const downloadPath = (exportId: string) => `/exports/${encodeURIComponent(exportId)}/package`;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The API's view of an export: where the server keeps the file is not the client's business. */
export const exportNode = (e: DossierExportView) => {
  const { file: _file, ...rest } = e;
  return { ...rest, downloadUrl: e.status === 'exported' ? downloadPath(e.exportId) : null };
};

const reportNode = (r: CheckReport) => ({
  passed: r.passed,
  items: r.counts.items,
  files: r.counts.files,
  bytes: r.counts.bytes,
  aspects: Object.entries(r.aspects).map(([aspect, a]) => ({ aspect, ...a })),
  // A field with an argument: graphql-js calls it with (args, context, info); `first` defaults in the SDL.
  findings: (args: { first: number }, _ctx: unknown, info: GraphQLResolveInfo) => r.findings.slice(0, Math.max(0, Math.min(absentIfNull(args, info).first, 1000))),
  signers: r.signers,
  summary: summarise(r),
});

async function fondsOf(ledger: Ledger, p: User): Promise<string> {
  const unit = await loadUnit(ledger.store, p.unitId);
  return unit.status !== 'none' && unit.fondsCode ? unit.fondsCode : `unit:${p.unitId}`;
}

/** The archive queries and the export-progress subscription, behind the read rules of read-access.ts. */
export function archiveResolvers(ledger: Ledger, log: FastifyBaseLogger) {
  const read =
    <A>(work: (p: User, args: A, ctx: Ctx, info: GraphQLResolveInfo) => Promise<unknown>) =>
    (_root: unknown, args: A, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        // An argument written null means the same as leaving it out (its SDL default, if any).
        return work(ctx.auth.principal, absentIfNull(args, info), ctx, info);
      });
  const readableExport = async (p: User, exportId: string) => {
    const e = await ledger.exports.get(exportId);
    if (!e) throw apiError('NOT_FOUND', '没有该导出任务，或您无权查看 (no such export)');
    requireExportReader(p, e, await fondsOf(ledger, p));
    return e;
  };

  return {
    Query: {
      dossierExport: read(async (p, a: { exportId: string }) => {
        const e = await ledger.exports.get(a.exportId);
        if (!e) return null;
        requireExportReader(p, e, await fondsOf(ledger, p));
        return exportNode(e);
      }),
      dossierExports: read(async (p, a: { fonds: string; year: number } & PageArgs, _ctx, info) => {
        const own = await fondsOf(ledger, p);
        requireCatalogue(p, own.startsWith('unit:') ? null : own, a.fonds);
        return relayConnection(await ledger.exports.list(a.fonds, a.year, relayPage(info, a)), exportNode);
      }),
      checkDossierPackage: read(async (p, a: { exportId?: string; packageBase64?: string }) => {
        if ((a.exportId === undefined) === (a.packageBase64 === undefined)) {
          throw apiError('VALIDATION_FAILED', '请给出导出任务（exportId）或上传的移交包（packageBase64），二者选一 (give exportId or packageBase64)');
        }
        if (a.exportId) {
          const e = await readableExport(p, a.exportId);
          if (e.status !== 'exported' || !e.file) throw apiError('INVALID_STATE', `导出任务尚未完成（${e.status}）(export not finished)`);
          return reportNode(await checkPackage(e.file, { trustedKeys: [ledger.key.publicKeyHex], xsd: await xsdOf(ledger) }));
        }
        requirePackageChecker(p);
        const text = a.packageBase64!.replace(/\s+/g, '');
        if (!BASE64.test(text) || text.length % 4 !== 0) throw apiError('VALIDATION_FAILED', '移交包不是有效的 base64 编码 (not base64)');
        const dir = await mkdtemp(join(tmpdir(), 'gongwen-check-'));
        try {
          const file = join(dir, `${randomUUID()}.zip`);
          await writeFile(file, Buffer.from(text, 'base64'));
          return reportNode(await checkPackage(file, { trustedKeys: [ledger.key.publicKeyHex], xsd: await xsdOf(ledger) }));
        } catch (error) {
          if (error instanceof UnreadablePackageError) throw apiError('VALIDATION_FAILED', `无法读取移交包：${error.message} (unreadable package)`);
          throw error;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    },
    Subscription: {
      dossierExportProgress: {
        subscribe: async (_root: unknown, a: { exportId: string }, ctx: Ctx) => {
          if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
          await readableExport(ctx.auth.principal, a.exportId);
          return ctx.pubsub!.subscribe(exportTopic(a.exportId));
        },
      },
    },
  };
}

async function xsdOf(ledger: Ledger): Promise<Buffer | undefined> {
  return ledger.config.GONGWEN_EEP_XSD ? readFile(ledger.config.GONGWEN_EEP_XSD) : undefined;
}
