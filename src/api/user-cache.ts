import type { Ledger } from '../app/ledger.ts';
import { loadUser } from '../app/commands/deps.ts';
import type { UserState } from '../domain/directory/index.ts';
import { streams } from '../domain/streams.ts';
import type { RecordedEvent } from '../eventstore/port.ts';

const USER_STREAM = streams.user('');

/**
 * The users the API authenticates, folded from their streams once instead of on every request
 * (issue #16: reading and folding the stream was a database round trip per request).
 *
 * A user's entry is dropped as soon as anything is appended to their stream (a credential revoked,
 * a role taken away, the account deactivated): the API drops it itself when its own command wrote
 * there, before answering that command, and the feed drops it for writes by anyone else (the CLI,
 * another server) — `forget` is called with every batch the directory read model applies, which
 * is the feed as it commits. Only while that feed is followed may an entry be kept at all
 * (`following`): without it, every request reads the stream again. A fold started before a drop is
 * never kept (the generation check), so a stale read cannot outlive the event that made it stale.
 * Expiry is not cached: the caller checks the credential against the clock on each request.
 */
export class UserCache {
  readonly #entries = new Map<string, UserState>();
  /** Bumped per user on every drop; a fold that started under an older generation is not kept. */
  readonly #generations = new Map<string, number>();
  #epoch = 0;

  constructor(
    private readonly load: (userId: string) => Promise<UserState>,
    private readonly following: () => boolean,
    private readonly maxEntries = 10_000,
  ) {}

  async get(userId: string): Promise<UserState> {
    if (!this.following()) {
      this.#clear();
      return this.load(userId);
    }
    const cached = this.#entries.get(userId);
    if (cached) return cached;
    const generation = this.#generation(userId);
    const epoch = this.#epoch;
    const user = await this.load(userId);
    // Kept only if nothing touched this user (or everyone) while the stream was being read.
    if (this.following() && this.#generation(userId) === generation && this.#epoch === epoch) {
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(userId, user);
    }
    return user;
  }

  /** Drops the users whose streams these events belong to. */
  forget(events: readonly Pick<RecordedEvent, 'streamId'>[]): void {
    for (const e of events) {
      if (!e.streamId.startsWith(USER_STREAM)) continue;
      const userId = e.streamId.slice(USER_STREAM.length);
      this.#entries.delete(userId);
      this.#generations.set(userId, this.#generation(userId) + 1);
    }
    // The generations only need to outlive the folds in flight; a bounded map is enough.
    if (this.#generations.size > this.maxEntries) {
      this.#generations.clear();
      this.#epoch++;
    }
  }

  #generation(userId: string): number {
    return this.#generations.get(userId) ?? 0;
  }

  #clear(): void {
    if (this.#entries.size === 0) return;
    this.#entries.clear();
    this.#epoch++;
  }
}

const caches = new WeakMap<Ledger, UserCache>();

/**
 * The ledger's one user cache for every HTTP route, fed by the directory read model's batches
 * (the 'applied' events of its runner) for as long as the ledger lives.
 */
export function userCacheOf(ledger: Ledger): UserCache {
  let cache = caches.get(ledger);
  if (!cache) {
    const created = new UserCache((userId) => loadUser(ledger.store, userId), () => ledger.projections.follows(DIRECTORY));
    ledger.projections.on('applied', (batch) => {
      if (batch.projection === DIRECTORY) created.forget(batch.events);
    });
    caches.set(ledger, (cache = created));
  }
  return cache;
}

const DIRECTORY = 'directory';
