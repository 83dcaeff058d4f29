import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type pg from 'pg';
import type { Ledger } from '../app/ledger.ts';
import type { Authentication } from './authenticate.ts';
import { READ_MODELS_CHANNEL } from '../projections/projection-runner.ts';

/**
 * The API's read cache (issue #16.3): a whole answer of a read query, kept as the bytes sent, and
 * served again to the same caller for the same document and variables only while the read models
 * it was computed from are unchanged.
 *
 * What it depends on, and how a change reaches it:
 * - **The read models** it reads (`ROOT_FIELDS`): each projection has a generation, bumped when
 *   this server's projection runner commits a batch that changed the projection's rows ('applied'
 *   with handled events), when the runner finds that another process committed it first ('moved':
 *   another `gongwen serve`, or a CLI catching up), when a rebuild or reset swaps its tables (the
 *   runner's 'swapped' in this process; a NOTIFY on READ_MODELS_CHANNEL, sent inside the swap's
 *   transaction, from any other), when a read-your-writes wait sees the checkpoint pass a command's
 *   events (the runner's 'applied' may come a moment after another connection sees the commit), and
 *   when this server's own command appended anything (everything is bumped: the document streams
 *   the timelines' read rule reads have changed before any projection applies them). An answer
 *   is kept only if no generation it depends on moved while it was computed, and served only while
 *   they all stand where they stood when its computation began.
 * - **Who asks**: the key holds the caller's user, unit, roles and state as authenticated for this
 *   request (user-cache.ts drops a changed user at once), so a re-scoped user asks under a new key
 *   and a revoked one is refused before the cache is looked at.
 * - **What is asked**: the document's text, the operation's name and the variables.
 *
 * Where the server cannot learn of every change it does not cache at all: while its runner does not
 * follow the feed with every projection an answer reads, or while the NOTIFY listener is not
 * connected (the cache is emptied, and fills again once both hold).
 *
 * Only queries whose every root field is one of ROOT_FIELDS are cached, and never one that asks a
 * timeline for `hashStatus` or `anchored` (they read the events and the Merkle log, not a read
 * model); answers with errors never, mutations never. Bounded by GONGWEN_READ_CACHE_BYTES (LRU).
 */


/** The read queries that may be cached, each with the projections its answer reads. */
const ROOT_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['inbox', ['inbox']],
  ['sentDocuments', ['sent-box']],
  ['timeline', ['audit']],
  ['unitTimeline', ['audit']],
  ['searchDocuments', ['search']],
]);

/** Fields whose value comes from outside the read models (the events' hashes, the Merkle log). */
const UNCACHED_FIELDS = new Set(['hashStatus', 'anchored']);

/** The projections a document's operation reads, or null when it may not be cached. */
export function cacheableReads(source: string, operationName: string | null | undefined): readonly string[] | null {
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
  const reads = new Set<string>();
  const seen = new Set<string>();
  const roots = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) {
        if (s.name.value === '__typename') return true;
        const projections = ROOT_FIELDS.get(s.name.value);
        projections?.forEach((p) => reads.add(p));
        return projections !== undefined;
      }
      if (s.kind === Kind.INLINE_FRAGMENT) return roots(s.selectionSet);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return roots(fragment.selectionSet);
    });
  return roots(operation.selectionSet) && reads.size > 0 ? [...reads] : null;
}

interface Entry {
  body: Buffer;
  /** The generations of its projections when its computation began. */
  stamp: string;
}

/** An answer being computed, to be kept if its stamp still holds when it is sent. */
export interface Pending {
  key: string;
  reads: readonly string[];
  stamp: string;
}

export interface ReadCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** The bounded store of answers with the projections' generations (no I/O: ReadCacheWiring feeds it). */
export class ReadCache {
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  /** Bumped for every projection at once (the cache is dropped, a listener lost, own commands). */
  #epoch = 0;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(
    readonly maxBytes: number,
    /** Whether every change of these projections reaches bump() now. */
    private readonly informed: (reads: readonly string[]) => boolean,
  ) {}

  /** Bumps the named projections' generations (all of them when none are named). */
  bump(names?: Iterable<string>): void {
    if (!names) {
      this.#epoch++;
      return;
    }
    for (const name of names) this.#generations.set(name, (this.#generations.get(name) ?? 0) + 1);
  }

  /** Drops every entry (and whatever is being computed). */
  clear(): void {
    this.#epoch++;
    this.#entries.clear();
    this.#bytes = 0;
  }

  #stamp(reads: readonly string[]): string {
    let stamp = String(this.#epoch);
    for (const r of reads) stamp += ':' + (this.#generations.get(r) ?? 0);
    return stamp;
  }

  /** The kept answer, or (a miss) what to keep the answer under once computed; null: not cached now. */
  lookup(key: string, reads: readonly string[]): Buffer | Pending | null {
    if (this.maxBytes === 0) return null;
    if (!this.informed(reads)) {
      if (this.#entries.size > 0) this.clear();
      return null;
    }
    const stamp = this.#stamp(reads);
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      if (entry.stamp === stamp) {
        // Most recently used last: eviction takes from the front.
        this.#entries.set(key, entry);
        this.#hits++;
        return entry.body;
      }
      this.#bytes -= entry.body.length + key.length;
    }
    this.#misses++;
    return { key, reads, stamp };
  }

  /** Keeps an answer, if nothing it read changed since its lookup and it fits. */
  keep(pending: Pending, body: Buffer): void {
    if (!this.informed(pending.reads) || this.#stamp(pending.reads) !== pending.stamp) return;
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
 * A read-your-writes wait saw the named projections' checkpoints pass a command's events: their
 * answers computed before are dropped before the wait returns (the runner's own 'applied' may
 * come a moment later than another connection sees the commit).
 */
export function readModelsCaughtUp(ledger: Ledger, names: readonly string[]): void {
  for (const cache of cachesOf.get(ledger) ?? []) cache.bump(names);
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
): { cache: ReadCache; authOf: (request: FastifyRequest) => Promise<{ auth: Authentication; databaseDown?: boolean }> | undefined } {
  const path = opts.path ?? '/graphql';
  const listener = new ReadModelsListener(ledger.db.pool, () => cache.clear(), (names) => cache.bump(names));
  // The LISTEN connection is held only while the runner follows the feed (started on the first
  // look-up that finds it following, let go when the runner stops), so a ledger closing without
  // this server being closed first (its pool ending) is not kept waiting for it.
  const cache = new ReadCache(opts.maxBytes, (reads) => {
    if (!reads.every((r) => ledger.projections.follows(r))) return false;
    if (!listener.listening) listener.start();
    return listener.listening;
  });
  const authenticated = new WeakMap<FastifyRequest, Promise<{ auth: Authentication; databaseDown?: boolean }>>();
  const pending = new WeakMap<FastifyRequest, Pending>();

  const onApplied = (batch: { projection: string; handled: readonly unknown[] }) => {
    if (batch.handled.length > 0) cache.bump([batch.projection]);
  };
  const onMoved = (name: string) => cache.bump([name]);
  const onSwapped = (names: readonly string[]) => cache.bump(names);
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
    const reads = readsOf(body.query, operationName);
    if (!reads) return;
    const checking = opts.authenticate(request);
    authenticated.set(request, checking);
    const { auth } = await checking;
    if (!auth.ok) return;
    const p = auth.principal;
    const key = JSON.stringify([p.userId, p.unitId, p.roles, p.active, operationName, body.query, body.variables ?? null]);
    const found = cache.lookup(key, reads);
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
  const judged = new Map<string, readonly string[] | null>();
  const readsOf = (query: string, operationName: string | null) => {
    const key = (operationName ?? '') + '\n' + query;
    if (judged.has(key)) return judged.get(key)!;
    const reads = cacheableReads(query, operationName);
    if (judged.size >= 1024) judged.clear();
    judged.set(key, reads);
    return reads;
  };

  return { cache, authOf: (request) => authenticated.get(request) };
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
