import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import mercurius, { type IResolvers } from 'mercurius';
import type { Ledger } from '../app/ledger.ts';
import type { CommandOutcome } from '../app/commands/route.ts';
import { loadUser } from '../app/commands/deps.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { apiCommands, newToken, readUploads, storeAcceptedUploads } from './api-commands.ts';
import { authenticate, fingerprintOf, type Authentication, type ClientCertificate } from './authenticate.ts';
import type { TLSSocket } from 'node:tls';
import { mutationName } from './command-sdl.ts';
import { apiError, databaseUnavailable, guarded } from './errors.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { declaredListSize, queryCostRule, withLimitsInDescriptions } from './query-cost.ts';
import { boundRequests, checkDocument, checkIntrospection, limits } from './request-limits.ts';
import { textArgumentsRule } from './text-arguments.ts';
import { credentialResolvers } from './credential-queries.ts';
import { absentIfNull, queryResolvers } from './query-resolvers.ts';
import { ledgerProofResolvers } from './ledger-proof-resolvers.ts';
import { supervisionResolvers } from './supervision-resolvers.ts';
import { workListResolvers } from './work-list-resolvers.ts';
import { archiveResolvers, exportNode, exportTopic } from './archive-resolvers.ts';
import { publishProjectionChanges, subscriptionResolvers } from './subscriptions.ts';

const sdl = (file: string) => readFileSync(new URL(`../../schemas/graphql/${file}`, import.meta.url), 'utf8');

export const schemaFiles = ['limits.graphql', 'schema.graphql', 'queries.graphql', 'credentials.graphql', 'commands.graphql', 'number-register.graphql', 'ledger-proofs.graphql', 'supervision.graphql', 'archive.graphql', 'work-lists.graphql'];

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

const resultView = (commandId: string, outcome: CommandOutcome) => ({
  commandId,
  duplicate: outcome.duplicate,
  events: outcome.events.map(eventView),
});

function principalOf(ctx: Context) {
  if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
  return ctx.auth.principal;
}

/** Mounts GraphQL (and GraphiQL outside production) on the app. */
export async function registerGraphql(app: FastifyInstance, ledger: Ledger): Promise<void> {
  const { commands, store, securityLog } = ledger;
  const now = () => new Date();

  const mutations: Record<string, (root: unknown, args: { input: Record<string, unknown> }, ctx: Context) => Promise<unknown>> = {};
  for (const definition of apiCommands) {
    mutations[mutationName(definition.type)] = (_root, { input }, ctx) =>
      guarded(app.log, async () => {
        const principal = principalOf(ctx);
        let data: Record<string, unknown> = { ...input };
        if (Array.isArray(input.attachments)) {
          const uploads = readUploads(input.attachments as never);
          data.attachments = uploads.attachments;
          const outcome = await commands.execute(principal, definition.type, data);
          await storeAcceptedUploads(ledger.db.pool, uploads);
          return resultView(String(input.commandId), outcome);
        }
        if (definition.type === 'IssueCredential') {
          const { token, tokenHash } = newToken(String(input.userId));
          // issuedWith: the domain binds a self-issued credential to the one that issued it.
          data = { ...data, tokenHash, tokenHashAlgorithm: 'sm3', ...(principal.credentialId && { issuedWith: principal.credentialId }) };
          const outcome = await commands.execute(principal, definition.type, data);
          return { ...resultView(String(input.commandId), outcome), credentialId: input.credentialId, token: outcome.duplicate ? null : token };
        }
        const outcome = await commands.execute(principal, definition.type, data);
        // The export's job is queued once its request is in the ledger (a repeat queues nothing new).
        if (definition.type === 'RequestDossierExport') await ledger.exports.queue(outcome);
        return resultView(String(input.commandId), outcome);
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
          const user = await loadUser(store, p.userId);
          return { userId: p.userId, unitId: p.unitId, name: user.exists ? user.name : p.userId, roles: p.roles };
        }),
      securityLog: (_root, args: { userId?: string; unitId?: string; limit?: number }, ctx: Context, info) =>
        guarded(app.log, async () => {
          const p = principalOf(ctx);
          if (!p.roles.includes('INSPECTOR') && !p.roles.includes('SUPER_ADMIN')) {
            throw apiError('NOT_AUTHORISED', '只有纪检监察人员和超级管理员可以查看安全日志 (inspectors only)');
          }
          const a = absentIfNull(args, info);
          return securityLog.list({ userId: a.userId, unitId: a.unitId, limit: declaredListSize(info, a.limit) });
        }),
    },
    Mutation: mutations,
    Subscription: { ...subscriptionResolvers(ledger), ...archive.Subscription } as never,
  };

  boundRequests(app, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
  const introspectionOpen = (ledger.config.GONGWEN_INTROSPECTION ?? (ledger.config.GONGWEN_MODE === 'production' ? 'login' : 'open')) === 'open';
  await app.register(mercurius, {
    schema: withLimitsInDescriptions(schemaFiles.map(sdl).join('\n')),
    resolvers,
    // GraphiQL is served by ./graphiql.ts (from npm packages, not mercurius's CDN page).
    graphiql: false,
    queryDepth: 10,
    // The cost rule needs the request's variables (page sizes), which a cached validation cannot see.
    cache: false,
    validationRules: ({ variables }) => [queryCostRule(limits.queryCost, variables ?? {}), textArgumentsRule(variables ?? {})],
    context: async (request: FastifyRequest): Promise<Context> => {
      let auth: Authentication;
      try {
        auth = await authenticate(store, request.headers.authorization, now(), clientCertificate(request, ledger));
      } catch (error) {
        // A context that throws makes mercurius answer 500; the request is refused below instead.
        if (!isDatabaseUnavailable(error)) throw error;
        return { auth: { ok: false, reason: 'database unavailable' }, databaseDown: true };
      }
      // A refused credential is evidence for inspectors (guessing, a stolen or revoked token).
      if (!auth.ok && auth.presented) await securityLog.recordFailedLogin(auth.claimedUserId, auth.reason, request.ip).catch(() => {});
      // 登录记录 for the daily check: the first successful sign-in of the day, once per user and day.
      if (auth.ok) await ledger.signIns.record(auth.principal, now()).catch((error) => app.log.warn({ err: error }, 'sign-in not recorded'));
      return { auth };
    },
    subscription: {
      // Browsers cannot set headers on a WebSocket: the token may come in the connection_init
      // payload ({ "authorization": "Bearer …" }) as well as in the upgrade request's header.
      onConnect: async ({ payload }: { payload?: Record<string, unknown> }) => {
        const header = (payload?.authorization ?? payload?.Authorization) as string | undefined;
        return header ? { auth: await authenticate(store, header, now()) } : true;
      },
      context: async (_socket: unknown, request: FastifyRequest) => ({ auth: await authenticate(store, request.headers.authorization, now()) }),
    },
    errorFormatter: (execution, context) => {
      const formatted = mercurius.defaultErrorFormatter(execution, context);
      const errors = (formatted.response.errors ?? []) as unknown as { path?: unknown; extensions?: Record<string, unknown> }[];
      // A document the schema rejects (missing field, wrong type) never ran: 400 with
      // VALIDATION_FAILED. Anything that ran answers 200 with its errors (GraphQL over HTTP);
      // a failure is never an HTTP 500.
      const invalidDocument = !formatted.response.data && errors.length > 0 && errors.every((e) => e.path === undefined && !e.extensions?.code);
      for (const e of errors) e.extensions = { code: invalidDocument ? 'VALIDATION_FAILED' : 'INTERNAL_ERROR', ...e.extensions };
      return { statusCode: invalidDocument ? 400 : 200, response: formatted.response };
    },
  });
  // Before parsing: the document's size and token count (lower without a login), then whether
  // it may introspect. Validation (the cost rule) comes only after both.
  const screen = async (schema: GraphQLSchema, source: string, context: Context) => {
    const document = checkDocument(source, context.auth.ok);
    checkIntrospection(schema, document, context.auth.ok, introspectionOpen);
  };
  app.graphql.addHook('preParsing', screen);
  app.graphql.addHook('preSubscriptionParsing', screen);
  app.graphql.addHook('preValidation', async (_schema, _document, context) => {
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
}

/** The request's client certificate, when TLS verified it against the configured client CA. */
export function clientCertificate(request: FastifyRequest, ledger: Ledger): ClientCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (!socket.authorized || !socket.getPeerCertificate) return undefined;
  const cert = socket.getPeerCertificate();
  return cert?.fingerprint256 ? { pool: ledger.db.pool, fingerprint256: fingerprintOf(cert.fingerprint256) } : undefined;
}
