import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type pg from 'pg';
import type { Ledger } from '../app/ledger.ts';
import type { Authentication } from './authenticate.ts';
import { READ_MODELS_CHANNEL, type AppliedBatch } from '../projections/projection-runner.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { categoryOf } from '../domain/streams.ts';

/**
 * The API's read cache (issue #16.3): a whole answer of a read query, kept as the bytes sent, and
 * served again to the same caller for the same document and variables only while the read models
 * it was computed from are unchanged.
 *
 * What it depends on, and how a change reaches it:
 * - **The read models** it reads, each at a **scope** (`ROOT_FIELDS`): the unit of an inbox or a
 *   sent box (`unit:<id>`, the unit asked for, else the caller's), the document of a timeline
 *   (`document:<id>`), the unit of a unit's timeline; a search reads its whole projection. Every
 *   (projection, scope) and every projection as a whole has the sequence number of its last change
 *   (a bump). Bumped at a scope: when this server's projection runner commits a batch that changed
 *   the projection's rows at those scopes ('applied': `AppliedBatch.scopes`, from the projection's
 *   `scopesOf` or its `apply`), and when a read-your-writes wait sees the checkpoints pass a
 *   command's events (the scopes of those events: the runner's 'applied' may come a moment after
 *   another connection sees the commit). Bumped whole: a batch whose scopes are not known, a batch
 *   another process committed first ('moved': its events are not all known here), a rebuild or
 *   reset swapping the tables (the runner's 'swapped' in this process; a NOTIFY on
 *   READ_MODELS_CHANNEL, sent inside the swap's transaction, from any other). This server's own
 *   command bumps the timelines of the documents whose streams it appended to (the timeline's read
 *   rule reads those streams, not a read model). An answer is kept only if nothing it reads changed
 *   while it was computed, and served only while nothing it reads has changed since its
 *   computation began; a whole-projection reader (search) is changed by a bump at any scope.
 * - **Who asks**: the key holds the caller's user, unit, roles and state as authenticated for this
 *   request (user-cache.ts drops a changed user at once), so a re-scoped user asks under a new key
 *   and a revoked one is refused before the cache is looked at.
 * - **What is asked**: the document's text, the operation's name and the variables (which, with
 *   the caller's unit, also give the scopes).
 *
 * Where the server cannot learn of every change it does not cache at all: while its runner does not
 * follow the feed with every projection an answer reads, or while the NOTIFY listener is not
 * connected (the cache is emptied, and fills again once both hold).
 *
 * Only queries whose every root field is one of ROOT_FIELDS are cached, and never one that asks a
 * timeline for `hashStatus` or `anchored` (they read the events and the Merkle log, not a read
 * model); answers with errors never, mutations never. Bounded by GONGWEN_READ_CACHE_BYTES (LRU).
 */

/**
 * What a cached root field's answer reads: its projection and, when the answer reads only one
 * scope of it, the argument that names the scope (`kind:<value>`) — absent, the caller's unit
 * (as unitScope resolves it) or, failing that, the whole projection.
 */
interface RootField {
  projection: string;
  scope?: { argument: string; kind: 'unit' | 'document'; callersUnitIfAbsent: boolean };
}

/** The read queries that may be cached, with what their answers read (the scopes match the projections' `scopesOf`). */
const ROOT_FIELDS: ReadonlyMap<string, RootField> = new Map([
  ['inbox', { projection: 'inbox', scope: { argument: 'unitId', kind: 'unit', callersUnitIfAbsent: true } }],
  ['sentDocuments', { projection: 'sent-box', scope: { argument: 'unitId', kind: 'unit', callersUnitIfAbsent: true } }],
  ['timeline', { projection: 'audit', scope: { argument: 'documentId', kind: 'document', callersUnitIfAbsent: false } }],
  ['unitTimeline', { projection: 'audit', scope: { argument: 'unitId', kind: 'unit', callersUnitIfAbsent: false } }],
  ['searchDocuments', { projection: 'search' }],
]);

/** Fields whose value comes from outside the read models (the events' hashes, the Merkle log). */
const UNCACHED_FIELDS = new Set(['hashStatus', 'anchored']);

/** One projection an answer reads, at one scope (null: all of it). */
export interface Read {
  projection: string;
  scope: string | null;
}

/** What a cacheable operation reads, before its variables and caller are known. */
export interface ReadPlan {
  projections: readonly string[];
  fields: readonly { field: RootField; argument: ValueNode | undefined }[];
  /** The operation's variables' default values. */
  defaults: ReadonlyMap<string, ValueNode | undefined>;
}

/** The plan of a document's operation, or null when it may not be cached. */
export function cacheableReads(source: string, operationName: string | null | undefined): ReadPlan | null {
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: 2_000 });
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query') return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // Any field that reads outside the read models, anywhere in the document (fragments included).
  let outside = false;
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        if (UNCACHED_FIELDS.has(s.name.value)) outside = true;
        visit(s.selectionSet);
      } else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
    }
  };
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) visit(d.selectionSet);
  if (outside) return null;
  const fields: { field: RootField; argument: ValueNode | undefined }[] = [];
  const seen = new Set<string>();
  const roots = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) {
        if (s.name.value === '__typename') return true;
        const field = ROOT_FIELDS.get(s.name.value);
        if (!field) return false;
        fields.push({ field, argument: field.scope && s.arguments?.find((a) => a.name.value === field.scope!.argument)?.value });
        return true;
      }
      if (s.kind === Kind.INLINE_FRAGMENT) return roots(s.selectionSet);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return roots(fragment.selectionSet);
    });
  if (!roots(operation.selectionSet) || fields.length === 0) return null;
  return {
    projections: [...new Set(fields.map((f) => f.field.projection))],
    fields,
    defaults: new Map(operation.variableDefinitions?.map((v) => [v.variable.name.value, v.defaultValue]) ?? []),
  };
}

/**
 * The (projection, scope) pairs an operation reads for this caller with these variables. A scope
 * argument that is not a plain string here (an Int for an ID, a list, an object) reads the whole
 * projection, as does one left out where it has no default: never a narrower scope than the
 * resolver reads. Empty or null is absent, as unitScope takes it.
 */
export function readsOf(plan: ReadPlan, variables: unknown, callersUnitId: string): Read[] {
  const given = variables !== null && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : null;
  /** A string, null when absent, undefined when it is something else. */
  const valueOf = (node: ValueNode | undefined, inDefault = false): string | null | undefined => {
    if (node === undefined || node.kind === Kind.NULL) return null;
    if (node.kind === Kind.STRING) return node.value === '' ? null : node.value;
    if (node.kind !== Kind.VARIABLE || inDefault) return undefined;
    const name = node.name.value;
    if (given && Object.hasOwn(given, name)) {
      const value = given[name];
      if (value === null || value === '') return null;
      return typeof value === 'string' ? value : undefined;
    }
    // Not given: its default, if it was declared with one (given as null counts as null, above).
    if (variables !== undefined && variables !== null && given === null) return undefined;
    return valueOf(plan.defaults.get(name), true);
  };
  return plan.fields.map(({ field, argument }) => {
    if (!field.scope) return { projection: field.projection, scope: null };
    const value = valueOf(argument);
    if (value === undefined) return { projection: field.projection, scope: null };
    if (value === null) return { projection: field.projection, scope: field.scope.callersUnitIfAbsent ? `unit:${callersUnitId}` : null };
    return { projection: field.projection, scope: `${field.scope.kind}:${value}` };
  });
}

interface Entry {
  body: Buffer;
  /** The change sequence number when its computation began. */
  stamp: number;
}

/** An answer being computed, to be kept if nothing it reads changed when it is sent. */
export interface Pending {
  key: string;
  reads: readonly Read[];
  stamp: number;
}

export interface ReadCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** Scopes remembered before they are forgotten all at once (everything kept is dropped with them). */
const MAX_SCOPES = 100_000;

/** The bounded store of answers with the read models' changes (no I/O: ReadCacheWiring feeds it). */
export class ReadCache {
  readonly #entries = new Map<string, Entry>();
  /** Every bump takes the next number; an answer stands while nothing it reads has a newer one. */
  #seq = 0;
  /** Everything up to this changed (the cache dropped, the scopes forgotten). */
  #floor = 0;
  /** Per projection: its last whole bump, and its last bump of any scope or whole. */
  readonly #whole = new Map<string, number>();
  readonly #any = new Map<string, number>();
  /** Per projection and scope (`projection\nscope`): its last bump. */
  readonly #scoped = new Map<string, number>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(
    readonly maxBytes: number,
    /** Whether every change of these projections reaches bump() now. */
    private readonly informed: (projections: readonly string[]) => boolean,
  ) {}

  /** The projection changed at these scopes; at every scope (the whole projection) when none are given. */
  bump(projection: string, scopes?: Iterable<string> | null): void {
    const at = ++this.#seq;
    this.#any.set(projection, at);
    if (!scopes) {
      this.#whole.set(projection, at);
      return;
    }
    if (this.#scoped.size >= MAX_SCOPES) {
      this.#scoped.clear();
      this.#floor = at;
    }
    for (const scope of scopes) this.#scoped.set(`${projection}\n${scope}`, at);
  }

  /** Drops every entry (and whatever is being computed). */
  clear(): void {
    this.#floor = ++this.#seq;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The number of the last change of anything these reads read. */
  #changed(reads: readonly Read[]): number {
    let at = this.#floor;
    for (const r of reads) {
      const whole = r.scope === null ? this.#any.get(r.projection) : this.#whole.get(r.projection);
      if (whole !== undefined && whole > at) at = whole;
      if (r.scope !== null) {
        const scoped = this.#scoped.get(`${r.projection}\n${r.scope}`);
        if (scoped !== undefined && scoped > at) at = scoped;
      }
    }
    return at;
  }

  #informedOf(reads: readonly Read[]): boolean {
    return this.informed(reads.length === 1 ? [reads[0]!.projection] : [...new Set(reads.map((r) => r.projection))]);
  }

  /** The kept answer, or (a miss) what to keep the answer under once computed; null: not cached now. */
  lookup(key: string, reads: readonly Read[]): Buffer | Pending | null {
    if (this.maxBytes === 0) return null;
    if (!this.#informedOf(reads)) {
      if (this.#entries.size > 0) this.clear();
      return null;
    }
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      if (this.#changed(reads) <= entry.stamp) {
        // Most recently used last: eviction takes from the front.
        this.#entries.set(key, entry);
        this.#hits++;
        return entry.body;
      }
      this.#bytes -= entry.body.length + key.length;
    }
    this.#misses++;
    return { key, reads, stamp: this.#seq };
  }

  /** Keeps an answer, if nothing it read changed since its lookup and it fits. */
  keep(pending: Pending, body: Buffer): void {
    if (!this.#informedOf(pending.reads) || this.#changed(pending.reads) > pending.stamp) return;
    const size = body.length + pending.key.length;
    // One answer never takes more than an eighth of the cache.
    if (size > this.maxBytes / 8) return;
    const old = this.#entries.get(pending.key);
    if (old) {
      this.#entries.delete(pending.key);
      this.#bytes -= old.body.length + pending.key.length;
    }
    while (this.#bytes + size > this.maxBytes && this.#entries.size > 0) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(oldestKey);
      this.#bytes -= oldest.body.length + oldestKey.length;
    }
    this.#entries.set(pending.key, { body, stamp: pending.stamp });
    this.#bytes += size;
  }

  stats(): ReadCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }
}

/** Every live read cache of a ledger, for the read-your-writes waits to bump. */
const cachesOf = new WeakMap<Ledger, Set<ReadCache>>();

/**
 * The scopes of `projection` that these events change (only those of the types it handles), from
 * the events alone: its `scopesOf`, or null (the whole projection) when it has none or it cannot tell.
 */
function scopesOfEvents(ledger: Ledger, projection: string, events: readonly RecordedEvent[]): ReadonlySet<string> | null | 'none' {
  const p = ledger.projections.projections.find((q) => q.name === projection);
  if (!p) return null;
  const handled = events.filter((e) => p.handles.has(e.type));
  if (handled.length === 0) return 'none';
  return p.scopesOf?.(handled) ?? null;
}

/**
 * A read-your-writes wait saw the named projections' checkpoints pass a command's events: the
 * answers those events change, computed before, are dropped before the wait returns (the
 * runner's own 'applied' may come a moment later than another connection sees the commit).
 */
export function readModelsCaughtUp(ledger: Ledger, names: readonly string[], events: readonly RecordedEvent[]): void {
  const caches = cachesOf.get(ledger);
  if (!caches?.size) return;
  for (const name of names) {
    const scopes = scopesOfEvents(ledger, name, events);
    if (scopes === 'none') continue;
    for (const cache of caches) cache.bump(name, scopes);
  }
}

/**
 * This server's own command appended `events`. A read model changes only when its batch is
 * applied (the runner bumps it then), but the timeline's read rule reads the document's stream
 * and the caller's delivery stream themselves (read-access.ts): the timelines of the documents
 * those streams belong to are bumped now (the whole audit model if an event there does not say its document).
 */
function ownCommandAppended(cache: ReadCache, events: readonly RecordedEvent[]): void {
  const documents = new Set<string>();
  for (const e of events) {
    const category = categoryOf(e.streamId);
    if (category !== 'document' && category !== 'delivery') continue;
    const documentId = (e.data as { documentId?: unknown } | null)?.documentId;
    if (typeof documentId !== 'string') return cache.bump('audit');
    documents.add(`document:${documentId}`);
  }
  if (documents.size > 0) cache.bump('audit', documents);
}

/**
 * Wires a ReadCache into the server: the projection runner's events and the NOTIFY listener bump
 * it; the /graphql route looks answers up before GraphQL runs and keeps them as they are sent.
 * `authenticate` is the route's own; its result is handed on (`authOf`) so GraphQL's context does
 * not authenticate twice, and `signedIn` is what the context does for a successful login.
 */
export function cacheReads(
  app: FastifyInstance,
  ledger: Ledger,
  opts: {
    maxBytes: number;
    path?: string;
    authenticate: (request: FastifyRequest) => Promise<{ auth: Authentication; databaseDown?: boolean }>;
    signedIn: (auth: Extract<Authentication, { ok: true }>) => Promise<void>;
  },
): {
  cache: ReadCache;
  authOf: (request: FastifyRequest) => Promise<{ auth: Authentication; databaseDown?: boolean }> | undefined;
  /** This server's own command appended these events (before any projection applies them). */
  commandAppended: (events: readonly RecordedEvent[]) => void;
} {
  const path = opts.path ?? '/graphql';
  const listener = new ReadModelsListener(ledger.db.pool, () => cache.clear(), (names) => names.forEach((name) => cache.bump(name)));
  // The LISTEN connection is held only while the runner follows the feed (started on the first
  // look-up that finds it following, let go when the runner stops), so a ledger closing without
  // this server being closed first (its pool ending) is not kept waiting for it.
  const cache = new ReadCache(opts.maxBytes, (projections) => {
    if (!projections.every((p) => ledger.projections.follows(p))) return false;
    if (!listener.listening) listener.start();
    return listener.listening;
  });
  const authenticated = new WeakMap<FastifyRequest, Promise<{ auth: Authentication; databaseDown?: boolean }>>();
  const pending = new WeakMap<FastifyRequest, Pending>();

  const onApplied = (batch: AppliedBatch) => {
    if (batch.handled.length > 0) cache.bump(batch.projection, batch.scopes);
  };
  // Another runner committed the batch (and maybe more after it): what it changed is not known here.
  const onMoved = (name: string) => cache.bump(name);
  const onSwapped = (names: readonly string[]) => names.forEach((name) => cache.bump(name));
  const onStopped = () => listener.release();
  if (opts.maxBytes > 0) {
    ledger.projections.on('applied', onApplied);
    ledger.projections.on('moved', onMoved);
    ledger.projections.on('swapped', onSwapped);
    ledger.projections.on('stopped', onStopped);
    let set = cachesOf.get(ledger);
    if (!set) cachesOf.set(ledger, (set = new Set()));
    set.add(cache);
  }
  app.addHook('onClose', async () => {
    ledger.projections.off('applied', onApplied);
    ledger.projections.off('moved', onMoved);
    ledger.projections.off('swapped', onSwapped);
    ledger.projections.off('stopped', onStopped);
    cachesOf.get(ledger)?.delete(cache);
    await listener.stop();
  });

  app.addHook('preHandler', async (request, reply) => {
    if (opts.maxBytes === 0 || request.method !== 'POST' || request.routeOptions.url !== path) return;
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown } | null;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.query !== 'string' || body.extensions !== undefined) return;
    if (body.query.length > 8192) return;
    const operationName = typeof body.operationName === 'string' ? body.operationName : null;
    const plan = planOf(body.query, operationName);
    if (!plan) return;
    const checking = opts.authenticate(request);
    authenticated.set(request, checking);
    const { auth } = await checking;
    if (!auth.ok) return;
    const p = auth.principal;
    const key = JSON.stringify([p.userId, p.unitId, p.roles, p.active, operationName, body.query, body.variables ?? null]);
    const found = cache.lookup(key, readsOf(plan, body.variables, p.unitId));
    if (found === null) return;
    if (Buffer.isBuffer(found)) {
      await opts.signedIn(auth);
      return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(found);
    }
    pending.set(request, found);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const waiting = pending.get(request);
    if (!waiting) return payload;
    pending.delete(request);
    // Only a whole answer without errors (a key named "errors" can only be the top level's or an alias's).
    if (reply.statusCode === 200 && typeof payload === 'string' && payload.startsWith('{"data":') && !payload.includes('"errors":')) {
      cache.keep(waiting, Buffer.from(payload));
    }
    return payload;
  });

  /** The documents already judged, bounded (the common queries are few). */
  const judged = new Map<string, ReadPlan | null>();
  const planOf = (query: string, operationName: string | null) => {
    const key = (operationName ?? '') + '\n' + query;
    if (judged.has(key)) return judged.get(key)!;
    const reads = cacheableReads(query, operationName);
    if (judged.size >= 1024) judged.clear();
    judged.set(key, reads);
    return reads;
  };

  return { cache, authOf: (request) => authenticated.get(request), commandAppended: (events) => ownCommandAppended(cache, events) };
}

/**
 * A LISTEN connection on READ_MODELS_CHANNEL: a rebuild or reset in any process announces the
 * projections it swapped there. `listening` only while the connection is up; on loss the cache is
 * dropped (`lost`) and the next look-up tries again (after a back-off).
 */
class ReadModelsListener {
  #client: pg.PoolClient | null = null;
  #starting: Promise<void> | null = null;
  #stopped = false;
  #failures = 0;
  #notBefore = 0;
  #releaseStarting = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly lost: () => void,
    private readonly swapped: (names: string[]) => void,
  ) {}

  get listening(): boolean {
    return this.#client !== null;
  }

  start(): void {
    if (this.#stopped || this.#client || this.#starting || Date.now() < this.#notBefore) return;
    this.#releaseStarting = false;
    this.#starting = (async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        const own = client;
        own.on('notification', (message) => {
          if (message.channel === READ_MODELS_CHANNEL) this.swapped((message.payload ?? '').split(',').filter(Boolean));
        });
        own.on('error', () => this.#lose(own));
        own.on('end', () => this.#lose(own));
        await own.query(`LISTEN ${READ_MODELS_CHANNEL}`);
        if (this.#stopped || this.#releaseStarting) {
          own.release(true);
          return;
        }
        this.#failures = 0;
        // Whatever was swapped while nobody listened: the cache starts empty.
        this.lost();
        this.#client = own;
      } catch {
        client?.release(true);
        this.#retry();
      } finally {
        this.#starting = null;
      }
    })();
  }

  #lose(client: pg.PoolClient): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.lost();
    client.release(true);
    this.#retry();
  }

  /** The next start() waits a little longer each failure (a database restarting); the next look-up tries again. */
  #retry(): void {
    this.#notBefore = Date.now() + Math.min(250 * 2 ** this.#failures++, 5_000);
  }

  /** Lets the connection go (the runner stopped); a later start() takes a new one. */
  release(): void {
    this.#failures = 0;
    this.#notBefore = 0;
    const client = this.#client;
    this.#client = null;
    // A connection being opened now is let go as soon as it is (see start).
    if (this.#starting) this.#releaseStarting = true;
    if (client) {
      this.lost();
      client.release(true);
    }
  }

  /** For good (the server closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.release();
    await this.#starting;
  }
}
