import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validate, type GraphQLSchema } from 'graphql';
import mercurius, { type IResolvers } from 'mercurius';
import type { Ledger } from '../app/ledger.ts';
import type { SecurityLogFilter } from '../app/security-log.ts';
import type { PageArgs } from '../../projections/shared/keyset.ts';
import type { CommandOutcome } from '../app/commands/route.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { apiCommands, newToken, readUploads, storeAcceptedUploads, uploadFields } from './api-commands.ts';
import { completeIds } from './server-ids.ts';
import { loadPersistedQueries, onlyPersistedSubscriptions, persistedMode, persistedQueryProvider } from './persisted-queries.ts';
import { credentialBound } from './subscription-credentials.ts';
import { awaitReadModels, lastPositionOf, readYourWritesResolvers, type WriteReceipt } from './read-your-writes.ts';
import { isBodyTooLarge, oversizedUploadBody, refuseOversizedUploads } from './upload-size.ts';
import { authenticate, fingerprintOf, type Authentication, type ClientCertificate } from './authenticate.ts';
import { userCacheOf } from './user-cache.ts';
import { cacheReads, type ReadCacheStats } from './read-cache.ts';
import { CheckedVariables } from './checked-variables.ts';
import type { TLSSocket } from 'node:tls';
import { mutationName } from './command-sdl.ts';
import { apiError, databaseUnavailable, guarded } from './errors.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { queryCostRule, relayPage } from './query-cost.ts';
import { relayConnection } from './relay.ts';
import { buildApiSchema } from './api-schema.ts';
import { literalTimesRule } from './scalars.ts';
import { queryDepthRule } from './query-depth.ts';
import { errorFormatter, languageOf } from './error-format.ts';
import { boundRequests, checkDocument, checkIntrospection, limits } from './request-limits.ts';
import { textArgumentsRule } from './text-arguments.ts';
import { credentialResolvers } from './credential-queries.ts';
import { absentIfNull, queryResolvers } from './query-resolvers.ts';
import { ledgerProofResolvers } from './ledger-proof-resolvers.ts';
import { supervisionResolvers } from './supervision-resolvers.ts';
import { workListResolvers } from './work-list-resolvers.ts';
import { archiveResolvers, exportNode, exportTopic } from './archive-resolvers.ts';
import { publishProjectionChanges, subscriptionResolvers } from './subscriptions.ts';

export { schemaFiles } from './api-schema.ts';

declare module 'mercurius' {
  interface MercuriusContext {
    auth: Authentication;
  }
}

/** `databaseDown`: the credential could not be checked because the database is unreachable. */
type Context = { auth: Authentication; databaseDown?: boolean };

const eventView = (e: RecordedEvent) => ({
  ...e,
  globalPosition: String(e.globalPosition),
  actorUserId: e.actor.userId,
  actorRole: e.actor.role,
});

const resultView = (input: Record<string, unknown>, outcome: CommandOutcome, principal: WriteReceipt['principal']): WriteReceipt & Record<string, unknown> => ({
  commandId: String(input.commandId),
  principal,
  lastPosition: lastPositionOf(outcome.events),
  recorded: outcome.events,
  // The document the command acted on (generated or given), for the payload's documentId.
  documentId: typeof input.documentId === 'string' ? input.documentId : null,
  duplicate: outcome.duplicate,
  events: outcome.events.map(eventView),
});

function principalOf(ctx: Context) {
  if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
  return ctx.auth.principal;
}

/** Mounts GraphQL (and GraphiQL outside production) on the app. */
export async function registerGraphql(app: FastifyInstance, ledger: Ledger): Promise<{ readCacheStats: () => ReadCacheStats & { maxBytes: number } }> {
  const { store, securityLog } = ledger;
  const now = () => new Date();
  const users = userCacheOf(ledger);
  // A command that changed a user (a credential revoked, a role taken away) counts from its answer
  // on: the cache drops the user before the answer leaves, not when the feed gets there.
  const commands = {
    execute: async (...args: Parameters<Ledger['commands']['execute']>) => {
      const outcome = await ledger.commands.execute(...args);
      users.forget(outcome.events);
      // Likewise the kept answers the streams the read rules read belong to (the runner bumps the read models' own).
      if (outcome.events.length > 0) reads.commandAppended(outcome.events);
      return outcome;
    },
  };

  const mutations: Record<string, (root: unknown, args: { input: Record<string, unknown> }, ctx: Context) => Promise<unknown>> = {};
  for (const definition of apiCommands) {
    const execute = async (principal: WriteReceipt['principal'], input: Record<string, unknown>) => {
      let data: Record<string, unknown> = { ...input };
      const uploaded = uploadFields.filter((field) => Array.isArray(input[field]));
      if (uploaded.length > 0) {
        const reads = uploaded.map((field) => readUploads(input[field] as never));
        uploaded.forEach((field, i) => (data[field] = reads[i]!.attachments));
        const outcome = await commands.execute(principal, definition.type, data);
        for (const uploads of reads) await storeAcceptedUploads(ledger.db.pool, uploads);
        return resultView(input, outcome, principal);
      }
      if (definition.type === 'IssueCredential') {
        const { token, tokenHash } = newToken(String(input.userId));
        // issuedWith: the domain binds a self-issued credential to the one that issued it.
        data = { ...data, tokenHash, tokenHashAlgorithm: 'sm3', ...(principal.credentialId && { issuedWith: principal.credentialId }) };
        const outcome = await commands.execute(principal, definition.type, data);
        return { ...resultView(input, outcome, principal), credentialId: input.credentialId, token: outcome.duplicate ? null : token };
      }
      const outcome = await commands.execute(principal, definition.type, data);
      // The export's job is queued once its request is in the ledger (a repeat queues nothing new).
      if (definition.type === 'RequestDossierExport') await ledger.exports.queue(outcome);
      return resultView(input, outcome, principal);
    };
    mutations[mutationName(definition.type)] = (_root, { input }, ctx) =>
      guarded(app.log, async () => {
        const principal = principalOf(ctx);
        // Ids the caller left out are generated (server-ids.ts); the consistency option is the API's, not the command's.
        const { waitForReadModels, ...given } = input;
        const receipt = await execute(principal, completeIds(definition.type, given));
        if (waitForReadModels) await awaitReadModels(ledger, receipt, { timeoutMs: ledger.config.GONGWEN_READ_MODEL_WAIT_MS });
        return receipt;
      });
  }
  const archive = archiveResolvers(ledger, app.log);

  const resolvers: IResolvers = {
    Query: {
      ...queryResolvers(ledger, app.log),
      ...credentialResolvers(store, app.log),
      ...ledgerProofResolvers(ledger, app.log),
      ...supervisionResolvers(ledger, app.log),
      ...archive.Query,
      ...workListResolvers(ledger.db.pool, app.log),
      me: (_root, _args, ctx: Context) =>
        guarded(app.log, async () => {
          const p = principalOf(ctx);
          const user = await users.get(p.userId);
          return { userId: p.userId, unitId: p.unitId, name: user.exists ? user.name : p.userId, roles: p.roles };
        }),
      securityLog: (_root, args: SecurityLogFilter & PageArgs, ctx: Context, info) =>
        guarded(app.log, async () => {
          const p = principalOf(ctx);
          if (!p.roles.includes('INSPECTOR') && !p.roles.includes('SUPER_ADMIN')) {
            throw apiError('NOT_AUTHORISED', '只有纪检监察人员和超级管理员可以查看安全日志 (inspectors only)');
          }
          const { userId, unitId, code, commandType, from, to, order, ...page } = absentIfNull(args, info);
          return relayConnection(await securityLog.page({ userId, unitId, code, commandType, from, to, order }, relayPage(info, page)));
        }),
    },
    Mutation: mutations,
    ...readYourWritesResolvers(ledger, app.log),
    Subscription: credentialBound({ ...subscriptionResolvers(ledger), ...archive.Subscription } as never, store, { recheckMs: ledger.config.GONGWEN_SUBSCRIPTION_RECHECK_MS }),
  };

  /**
   * The credential checked against the user's stream; when the database cannot be reached, a
   * context that says so (a context that throws makes mercurius answer 500, or close a WebSocket
   * with a bare "Forbidden"): the operation is then refused with DATABASE_UNAVAILABLE.
   */
  const authenticateOrDown = async (header: string | undefined, certificate?: ClientCertificate): Promise<Context> => {
    try {
      return { auth: await authenticate(users, header, now(), certificate) };
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return { auth: { ok: false, reason: 'database unavailable' }, databaseDown: true };
    }
  };

  const signedIn = async (auth: Extract<Authentication, { ok: true }>) => {
    // 登录记录 for the daily check: the first successful sign-in of the day, once per user and day.
    await ledger.signIns.record(auth.principal, now()).catch((error) => app.log.warn({ err: error }, 'sign-in not recorded'));
  };
  // Kept answers of the read queries, looked up before GraphQL runs (read-cache.ts).
  const reads = cacheReads(app, ledger, {
    maxBytes: ledger.config.GONGWEN_READ_CACHE_BYTES,
    authenticate: (request) => authenticateOrDown(request.headers.authorization, clientCertificate(request, ledger)),
    signedIn,
  });

  const bodyLimit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  const formatErrors = errorFormatter();
  refuseOversizedUploads(app, { attachmentLimitBytes: ledger.config.GONGWEN_ATTACHMENT_LIMIT_BYTES, bodyLimit });
  boundRequests(app, { bodyLimit });
  const persisted = persistedMode(ledger.config);
  const persistedQueries = persisted === 'off' ? new Map<string, string>() : loadPersistedQueries(ledger.config.GONGWEN_PERSISTED_QUERIES_DIR!);
  const introspectionOpen = (ledger.config.GONGWEN_INTROSPECTION ?? (ledger.config.GONGWEN_MODE === 'production' ? 'login' : 'open')) === 'open';
  await app.register(mercurius, {
    schema: buildApiSchema(),
    resolvers,
    // GraphiQL is served by ./graphiql.ts (from npm packages, not mercurius's CDN page).
    graphiql: false,
    persistedQueryProvider: persistedQueryProvider(persisted, persistedQueries) as never,
    // Parsed and validated documents are cached by their text (mercurius's LRU): the rules that read
    // only the document run in validation; what a document costs and carries also depends on its
    // variables, so those two rules run on every request instead, in the preExecution hook below.
    cache: true,
    validationRules: [queryDepthRule(limits.queryDepth), literalTimesRule],
    context: async (request: FastifyRequest): Promise<Context> => {
      // The read cache's look-up may have authenticated this request already.
      const checked = await (reads.authOf(request) ?? authenticateOrDown(request.headers.authorization, clientCertificate(request, ledger)));
      if (checked.databaseDown) return checked;
      const { auth } = checked;
      // A refused credential is evidence for inspectors (guessing, a stolen or revoked token).
      if (!auth.ok && auth.presented) await securityLog.recordFailedLogin(auth.claimedUserId, auth.reason, request.ip).catch(() => {});
      if (auth.ok) await signedIn(auth);
      return { auth };
    },
    subscription: {
      // Browsers cannot set headers on a WebSocket: the token may come in the connection_init
      // payload ({ "authorization": "Bearer …" }) as well as in the upgrade request's header.
      // With the database down, the connection is accepted and each subscription is refused with
      // DATABASE_UNAVAILABLE (retryable), as an HTTP request is, instead of a bare "Forbidden".
      onConnect: async ({ payload }: { payload?: Record<string, unknown> }) => {
        // `authorization` is kept: each subscription re-authenticates with it (subscription-credentials.ts).
        const header = (payload?.authorization ?? payload?.Authorization) as string | undefined;
        return header ? { ...(await authenticateOrDown(header)), authorization: header } : true;
      },
      context: async (_socket: unknown, request: FastifyRequest) => ({
        ...(await authenticateOrDown(request.headers.authorization)),
        authorization: request.headers.authorization,
      }),
    },
    errorFormatter: ((execution: Parameters<typeof formatErrors>[0], context: Parameters<typeof formatErrors>[1]) => {
      // A body sent without a declared length and cut off while read: the same answer as a declared one.
      if (execution.errors?.length === 1 && isBodyTooLarge(execution.errors[0])) {
        const received = Number(context.reply.request.headers['content-length'] ?? bodyLimit + 1);
        return { statusCode: 413, response: oversizedUploadBody(Math.max(received, bodyLimit + 1), ledger.config.GONGWEN_ATTACHMENT_LIMIT_BYTES, bodyLimit, languageOf(context.reply.request.headers)) };
      }
      return formatErrors(execution, context);
    }) as never,
  });
  // Before parsing: the document's size and token count (lower without a login), then whether
  // it may introspect. Validation (the cost rule) comes only after both.
  // A document that passed once passes again under the same login state: remembered (small ones,
  // a bounded number) so the common queries are not parsed twice per request.
  const screened = new Set<string>();
  const screen = async (schema: GraphQLSchema, source: string, context: Context) => {
    const key = (context.auth.ok ? '+' : '-') + source;
    if (screened.has(key)) return;
    const document = checkDocument(source, context.auth.ok);
    checkIntrospection(schema, document, context.auth.ok, introspectionOpen);
    if (source.length > 4096) return;
    if (screened.size >= 1024) screened.clear();
    screened.add(key);
  };
  app.graphql.addHook('preParsing', screen);
  app.graphql.addHook('preSubscriptionParsing', screen);
  onlyPersistedSubscriptions(app, persisted, persistedQueries);
  // Every request, cached document or not: the database check, then the rules that read the
  // variables, failing as a validation failure does (the same errors, the same answer).
  const checked = new CheckedVariables();
  app.graphql.addHook('preExecution', async (schema, document, context, variables) => {
    if ((context as unknown as Context).databaseDown) throw databaseUnavailable();
    const key = checked.keyOf(document, variables);
    if (checked.passed(document, key)) return;
    const errors = validate(schema, document, [queryCostRule(limits.queryCost, variables ?? {}), textArgumentsRule(variables ?? {})]);
    if (errors.length > 0) throw Object.assign(new Error('Graphql validation error'), { errors, statusCode: 400 });
    checked.remember(document, key);
  });
  app.graphql.addHook('preSubscriptionExecution', async (_schema, _document, context) => {
    if ((context as unknown as Context).databaseDown) throw databaseUnavailable();
  });
  const unpublish = publishProjectionChanges(app, ledger);
  const onExportProgress = (e: Parameters<typeof exportNode>[0]) =>
    void app.graphql.pubsub.publish({ topic: exportTopic(e.exportId), payload: { dossierExportProgress: exportNode(e) } });
  ledger.exports.on('progress', onExportProgress);
  app.addHook('onClose', async () => {
    unpublish();
    ledger.exports.off('progress', onExportProgress);
  });
  return { readCacheStats: () => ({ ...reads.cache.stats(), maxBytes: reads.cache.maxBytes }) };
}

/** The request's client certificate, when TLS verified it against the configured client CA. */
export function clientCertificate(request: FastifyRequest, ledger: Ledger): ClientCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (!socket.authorized || !socket.getPeerCertificate) return undefined;
  const cert = socket.getPeerCertificate();
  return cert?.fingerprint256 ? { pool: ledger.db.pool, fingerprint256: fingerprintOf(cert.fingerprint256) } : undefined;
}
