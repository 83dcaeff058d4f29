/**
 * The last revision and hash of recently used streams, so an append can chain its hashes without
 * first reading the stream. Only a hint: the append function checks both against `streams`, and a
 * stale entry costs one more round trip, never a broken chain.
 */
export interface StreamTip {
  revision: number;
  lastHash: string;
}

export class StreamTipCache {
  readonly #tips = new Map<string, StreamTip>();

  constructor(private readonly capacity = 10_000) {}

  get(streamId: string): StreamTip | undefined {
    const tip = this.#tips.get(streamId);
    if (tip) {
      // Re-insert so Map order is least-recently-used first.
      this.#tips.delete(streamId);
      this.#tips.set(streamId, tip);
    }
    return tip;
  }

  /** Records what was just seen; an older view (a slow read racing an append) does not overwrite a newer one. */
  remember(streamId: string, tip: StreamTip): void {
    const known = this.#tips.get(streamId);
    if (known && known.revision > tip.revision) return;
    this.#tips.delete(streamId);
    this.#tips.set(streamId, tip);
    if (this.#tips.size > this.capacity) {
      const oldest = this.#tips.keys().next().value;
      if (oldest !== undefined) this.#tips.delete(oldest);
    }
  }

  /** Replaces the entry with the database's word (which may be older, e.g. after a rollback elsewhere). */
  set(streamId: string, tip: StreamTip | null): void {
    this.#tips.delete(streamId);
    if (tip) this.remember(streamId, tip);
  }
}
