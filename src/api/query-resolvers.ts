import type { FastifyBaseLogger } from 'fastify';
import * as audit from '../../projections/audit/queries.ts';
import * as catalogue from '../../projections/catalogue/queries.ts';
import * as directory from '../../projections/directory/queries.ts';
import * as inbox from '../../projections/inbox/queries.ts';
import * as search from '../../projections/search/queries.ts';
import * as sentBox from '../../projections/sent-box/queries.ts';
import type { Ledger } from '../app/ledger.ts';
import type { Principal } from '../app/authorization.ts';
import type { GraphQLResolveInfo } from 'graphql';
import type { DocumentRecord } from '../domain/document/index.ts';
import { apiError, guarded } from './errors.ts';
import { numberRegister } from '../app/number-register.ts';
import { declaredListSize, relayPage } from './query-cost.ts';
import { relayConnection, selectsField } from './relay.ts';
import { noSuchDocument, readableDocument, requireCatalogue, requireIssuer, requireNumberRegister, seesAllUnits, requireTimelineOfUnit, requireTimelineOfUser, timelineStreams, unitScope } from './read-access.ts';
import { sealingContentOf } from '../app/commands/sealing-commands.ts';
import { loadSealEvidence } from '../app/seal-evidence.ts';
import { OID, SM2_DEFAULT_USER_ID } from '../integrity/sm2.ts';
import { ledgerProofOf } from '../seal/ledger-proof.ts';
import { buildSealedDocumentPackage } from '../seal/sealed-document-package.ts';
import { verifySealedDocument } from '../seal/verify-sealed-document.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string } };
type RelayArgs = { first?: number; after?: string; last?: number; before?: string };
type SearchArguments = {
  query: string;
  sort?: search.SearchSort;
  docType?: string;
  urgency?: string;
  classification?: string;
  direction?: 'SENT' | 'RECEIVED';
  issuerUnitId?: string;
  dateField?: 'WRITTEN' | 'SENT';
  from?: string;
  to?: string;
};

const timelineNode = (e: audit.AuditEntry) => ({
  ...e,
  globalPosition: String(e.globalPosition),
  actorUserId: e.actor.userId,
  actorUnitId: e.actor.unitId,
  actorRole: e.actor.role,
});

/** Whether a timeline query shows its entries' hashStatus: the check against the events is made only then. */
const showsHashStatus = (info: GraphQLResolveInfo) => selectsField(info, 'edges', 'node', 'hashStatus');

/**
 * GraphQL passes an argument written `null` (`after: null`, `status: null`, `first: null`) as
 * null: to every read it means the same as leaving the argument out (its default, if it has one).
 */
export function absentIfNull<A>(args: A, info: GraphQLResolveInfo): A {
  const declared = info.parentType.getFields()[info.fieldName]?.args ?? [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args as object)) {
    const given = value ?? declared.find((a) => a.name === name)?.defaultValue;
    if (given !== undefined && given !== null) out[name] = given;
  }
  return out as A;
}

/** A document as the `document` query answers it (also a mutation's payload, read-your-writes.ts). */
export const documentView = (doc: DocumentRecord) => ({
  ...doc,
  ...doc.content,
  docNumber: doc.number?.docNumber ?? null,
  signOff: doc.signOff ?? null,
  sealing: doc.sealing ?? null,
  sending: doc.sending ?? null,
  recall: doc.recall ?? null,
  filing: doc.filing ?? null,
});

/** The read side of the API: projections' queries behind the read rules of read-access.ts. */
export function queryResolvers(ledger: Ledger, log: FastifyBaseLogger): Record<string, (root: unknown, args: any, ctx: Ctx, info: GraphQLResolveInfo) => Promise<unknown>> {
  const pool = ledger.db.pool;
  const read =
    <A>(work: (p: User, args: A, info: GraphQLResolveInfo) => Promise<unknown>) =>
    (_root: unknown, args: A, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        return work(ctx.auth.principal, absentIfNull(args, info), info);
      });

  return {
    numberRegister: read(async (p, a: { unitId: string; prefix: string; year: number } & RelayArgs, info) => {
      requireNumberRegister(p, a.unitId);
      const { page, ...register } = await numberRegister(ledger.store, { unitId: a.unitId, prefix: a.prefix, year: a.year, ...relayPage(info, a) });
      return { ...register, ...relayConnection(page) };
    }),
    inbox: read(async (p, a: { status?: string; mine?: boolean; unitId?: string; sort?: inbox.InboxSort; first?: number; after?: string; last?: number; before?: string }, info) => {
      const unitId = unitScope(p, a.unitId);
      // The badge numbers only when shown, read beside the page rather than after it (one round trip less to wait for).
      const [page, counts] = await Promise.all([
        inbox.listInbox(pool, {
          unitId,
          status: a.status as never,
          assigneeUserId: a.mine ? p.userId : undefined,
          sort: a.sort,
          ...relayPage(info, a),
        }),
        selectsField(info, 'counts') ? inbox.inboxCounts(pool, unitId, p.userId) : null,
      ]);
      return { ...relayConnection(page), counts: counts && { ...counts, mine: counts.person } };
    }),
    sentDocuments: read(async (p, a: { unitId?: string; status?: string; sort?: sentBox.SentSort; first?: number; after?: string; last?: number; before?: string }, info) =>
      relayConnection(await sentBox.listSent(pool, { unitId: unitScope(p, a.unitId), status: a.status as never, sort: a.sort, ...relayPage(info, a) })),
    ),
    document: read(async (p, a: { id: string }) => {
      const doc = await readableDocument(ledger.store, p, a.id);
      return doc ? documentView(doc) : null;
    }),
    timeline: read(async (p, a: { documentId: string; order?: 'OLDEST' | 'NEWEST' } & RelayArgs, info) => {
      const doc = await readableDocument(ledger.store, p, a.documentId);
      if (!doc) throw noSuchDocument(a.documentId);
      return relayConnection(await audit.documentTimeline(pool, a.documentId, { order: a.order, ...relayPage(info, a), hashStatus: showsHashStatus(info), streamIds: timelineStreams(p, doc) ?? undefined }), timelineNode);
    }),
    actorTimeline: read(async (p, a: { userId: string; from?: string; to?: string; order?: 'OLDEST' | 'NEWEST' } & RelayArgs, info) => {
      requireTimelineOfUser(p, a.userId, (await directory.user(pool, a.userId))?.unitId);
      return relayConnection(await audit.actorTimeline(pool, a.userId, { from: a.from, to: a.to, order: a.order, ...relayPage(info, a), hashStatus: showsHashStatus(info) }), timelineNode);
    }),
    unitTimeline: read(async (p, a: { unitId: string; from?: string; to?: string; order?: 'OLDEST' | 'NEWEST' } & RelayArgs, info) => {
      requireTimelineOfUnit(p, a.unitId);
      return relayConnection(await audit.unitTimeline(pool, a.unitId, { from: a.from, to: a.to, order: a.order, ...relayPage(info, a), hashStatus: showsHashStatus(info) }), timelineNode);
    }),
    searchDocuments: read(async (p, a: SearchArguments & RelayArgs, info) => {
      const visibleToUnitId = p.roles.includes('INSPECTOR') || p.roles.includes('SUPER_ADMIN') ? null : p.unitId;
      return relayConnection(
        await search.searchDocuments(pool, {
          query: a.query,
          visibleToUnitId,
          sort: a.sort,
          docType: a.docType,
          urgency: a.urgency,
          classification: a.classification,
          // Sent or received as the caller's own unit (an inspector's too) sees it.
          direction: a.direction ? { unitId: p.unitId, side: a.direction } : undefined,
          issuerUnitId: a.issuerUnitId,
          dates: { field: a.dateField ?? 'WRITTEN', from: a.from, to: a.to },
          ...relayPage(info, a),
        }),
      );
    }),
    units: read(async (_p, a: { activeOnly?: boolean; limit?: number }, info) =>
      directory.units(pool, { activeOnly: a.activeOnly ?? false, limit: declaredListSize(info, a.limit) }),
    ),
    seals: read(async (_p, a: { unitId?: string; status?: string; limit?: number }, info) =>
      directory.seals(pool, { unitId: a.unitId, status: a.status as never, limit: declaredListSize(info, a.limit) }),
    ),
    sealUsage: read(async (p, a: { unitId?: string; sealId?: string; from?: string; to?: string; anomaliesOnly?: boolean; order?: 'OLDEST' | 'NEWEST' } & RelayArgs, info) => {
      // A seal id names one unit's seal: only those who see every unit may look across units by it.
      const unitId = a.sealId && !a.unitId && seesAllUnits(p) ? undefined : unitScope(p, a.unitId);
      return relayConnection(await directory.sealUsage(pool, { unitId, sealId: a.sealId, from: a.from, to: a.to, anomaliesOnly: a.anomaliesOnly, order: a.order, ...relayPage(info, a) }));
    }),
    sealingContent: read(async (p, a: { documentId: string }) => {
      const readable = await readableDocument(ledger.store, p, a.documentId);
      if (!readable) throw noSuchDocument(a.documentId);
      requireIssuer(p, readable);
      const c = await sealingContentOf(ledger.store, ledger.config.GONGWEN_TIMEZONE, a.documentId, new Date().toISOString());
      return {
        documentId: a.documentId,
        docNumber: c.number.docNumber,
        canonicalContent: c.canonicalContent,
        contentDigest: c.contentDigest,
        digestAlgorithm: 'SM3',
        digestAlgorithmOid: OID.SM3,
        signatureAlgorithm: OID.SM3_WITH_SM2,
        signerId: SM2_DEFAULT_USER_ID,
      };
    }),
    verifySeal: read(async (p, a: { documentId: string }) => {
      if (!(await readableDocument(ledger.store, p, a.documentId))) throw noSuchDocument(a.documentId);
      return verifySealedDocument(await loadSealEvidence(ledger.store, pool, a.documentId), [ledger.key.publicKeyHex]);
    }),
    exportSealedDocument: read(async (p, a: { documentId: string }) => {
      if (!(await readableDocument(ledger.store, p, a.documentId))) throw noSuchDocument(a.documentId);
      const evidence = await loadSealEvidence(ledger.store, pool, a.documentId);
      const ledgerProof = await ledgerProofOf(ledger.merkleLog, evidence.sealedEvent);
      return JSON.stringify(buildSealedDocumentPackage({ evidence, attachments: evidence.attachments, ledgerProof, exportedAt: new Date().toISOString() }, ledger.key));
    }),
    ledgerKey: read(async () => ({ publicKey: ledger.key.publicKeyHex, keyId: ledger.key.keyId })),
    catalogue: read(async (p, a: { fonds: string; year: number; retention?: string } & RelayArgs, info) => {
      requireCatalogue(p, (await directory.unit(pool, p.unitId))?.fondsCode, a.fonds);
      return relayConnection(await catalogue.catalogue(pool, { fondsCode: a.fonds, year: a.year, retention: a.retention as never, ...relayPage(info, a) }));
    }),
  };
}
