/** What `gongwen verify` can find, and how findings are collected across passes and threads. */
export type MismatchKind =
  | 'revision_gap'
  | 'chain_broken'
  | 'hash_mismatch'
  | 'mac_mismatch'
  | 'schema_invalid'
  | 'stream_head_mismatch'
  | 'stream_row_missing'
  | 'stream_without_events'
  | 'leaf_gap'
  | 'leaf_hash_mismatch'
  | 'event_missing'
  | 'leaf_event_mismatch'
  | 'event_not_in_log'
  | 'event_backdated'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_root_mismatch'
  | 'checkpoint_beyond_log'
  | 'checkpoint_time_order'
  | 'log_head_mismatch'
  | 'feed_order_broken'
  | 'leaf_order_mismatch'
  | 'merkle_node_mismatch'
  | 'events_not_checkpointed'
  | 'attachment_missing'
  | 'attachment_mismatch';

export interface Mismatch {
  kind: MismatchKind;
  streamId: string | null;
  revision: number | null;
  globalPosition: number | null;
  leafIndex: number | null;
  /** For checkpoint problems: the tree size of the checkpoint. */
  treeSize: number | null;
  /** Technical detail, in English (hashes, positions). */
  detail: string;
}

/** A finding with its place in ledger order: a global position, or a hint just before one. */
export interface RankedMismatch extends Mismatch {
  rank: number;
  seq: number;
}

export const NO_PLACE = { streamId: null, revision: null, globalPosition: null, leafIndex: null, treeSize: null } as const;

const before = (a: RankedMismatch, b: RankedMismatch) => a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq);

export function stripRank({ rank: _rank, seq: _seq, ...m }: RankedMismatch): Mismatch {
  return m;
}

/**
 * Counts every finding but keeps only the earliest few in ledger order, so a wrecked database
 * (every row rewritten) still verifies in flat memory. Ties keep discovery order.
 */
export class Findings {
  count = 0;
  private seq = 0;
  first: RankedMismatch | undefined;
  private kept: RankedMismatch[] = [];

  constructor(private readonly maxSamples: number) {}

  add(m: Mismatch, rank = m.globalPosition ?? Number.POSITIVE_INFINITY): void {
    this.keep({ ...m, rank, seq: this.seq++ });
    this.count++;
  }

  /** Findings counted elsewhere (another pass, another thread), appended after this one's. */
  merge(other: { count: number; kept: RankedMismatch[] }): void {
    for (const m of other.kept) this.keep({ ...m, seq: this.seq++ });
    this.count += other.count;
  }

  /** Counted but not described. */
  countMore(n: number): void {
    this.count += n;
  }

  export(): { count: number; kept: RankedMismatch[] } {
    this.trim();
    return { count: this.count, kept: this.kept };
  }

  samples(): Mismatch[] {
    this.trim();
    return this.kept.map(stripRank);
  }

  private keep(r: RankedMismatch): void {
    if (!this.first || before(r, this.first)) this.first = r;
    this.kept.push(r);
    if (this.kept.length > this.maxSamples * 4) this.trim();
  }

  private trim(): void {
    this.kept.sort((a, b) => (before(a, b) ? -1 : 1));
    if (this.kept.length > this.maxSamples) this.kept.length = this.maxSamples;
  }
}

export const short = (hex: string | null | undefined): string => (hex ? `${hex.slice(0, 16)}…` : String(hex));
