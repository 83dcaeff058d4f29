import crypto, { createHash } from 'node:crypto';
import { sm3Continue, sm3StateAfter } from './sm3-js.ts';

/**
 * Merkle trees in the Certificate Transparency form (RFC 6962 §2.1, restated in RFC 9162 §2.1):
 *
 *   MTH({})      = H()
 *   MTH({d0})    = H(0x00 ‖ d0)
 *   MTH(D[0:n])  = H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k = the largest power of two < n
 *
 * The 0x00/0x01 prefixes keep a leaf from ever being passed off as an inner node (second-preimage
 * attacks). Everything here is pure and parameterised by the hash, so the ledger runs it with SM3
 * and the tests check it against the published SHA-256 vectors.
 *
 * Leaf indexes and tree sizes are JavaScript numbers: exact up to 2^53, far beyond any ledger.
 * Bit tricks use arithmetic (not `>>`, which would truncate to 32 bits).
 */
export interface MerkleHasher {
  readonly algorithm: string;
  /** Digest length in bytes. */
  readonly size: number;
  /** MTH of the empty tree: H of nothing. */
  emptyRoot(): Buffer;
  hashLeaf(data: Uint8Array | string): Buffer;
  hashChildren(left: Uint8Array, right: Uint8Array): Buffer;
}

const LEAF_PREFIX = Buffer.from([0x00]);

// Node ≥ 20.12 has a one-shot digest that skips building a Hash stream object; for inputs of a
// few dozen bytes that object, not the hashing, is most of the cost.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'buffer') => Buffer }).hash;

/** A hasher over one of Node's digests ('sm3', 'sha256', …). */
export function createMerkleHasher(algorithm: string): MerkleHasher {
  const size = createHash(algorithm).digest().length;
  const digest = oneShot ? (data: string | Buffer) => oneShot(algorithm, data, 'buffer') : (data: string | Buffer) => createHash(algorithm).update(data).digest();
  return {
    algorithm,
    size,
    emptyRoot: () => createHash(algorithm).digest(),
    // One call per hash. U+0000 is the single byte 0x00 in UTF-8, so a string leaf takes its
    // prefix inside the string.
    hashLeaf: (data) => digest(typeof data === 'string' ? `\u0000${data}` : Buffer.concat([LEAF_PREFIX, data])),
    hashChildren: algorithm === 'sm3' ? sm3Children : (left, right) => digest(childrenBytes(left, right)),
  };
}

function childrenBytes(left: Uint8Array, right: Uint8Array): Buffer {
  const both = Buffer.allocUnsafe(1 + left.length + right.length);
  both[0] = 0x01;
  both.set(left, 1);
  both.set(right, 1 + left.length);
  return both;
}

// An inner node's SM3 covers 65 bytes, two compressions: cheaper in JavaScript (sm3-js.ts) than
// node:crypto's call, and the log makes about one per leaf.
const SM3_IV = sm3StateAfter(new Uint8Array(0));
function sm3Children(left: Uint8Array, right: Uint8Array): Buffer {
  const both = childrenBytes(left, right);
  const out = Buffer.allocUnsafe(32);
  sm3Continue(SM3_IV, 0, both, both.length, out);
  return out;
}

/** The ledger's hasher. */
export const sm3Merkle: MerkleHasher = createMerkleHasher('sm3');

/** A half-open range [start, end) of leaf indexes whose MTH is one element of a proof. */
export interface LeafRange {
  start: number;
  end: number;
}

/** A complete (perfect) subtree: 2^level leaves starting at leaf index * 2^level. */
export interface SubtreeId {
  level: number;
  index: number;
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`);
}

/** The largest power of two strictly below n (n ≥ 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isOdd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/**
 * The ranges whose hashes make up the audit path of leaf `index` in a tree of `size` leaves
 * (RFC 6962 §2.1.1 PATH), in proof order: nearest sibling first.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  checkSize(size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  const out: LeafRange[] = [];
  // Walk down from the root collecting siblings, then reverse: PATH lists the leaf's sibling first.
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      out.push({ start: start + k, end });
      end = start + k;
    } else {
      out.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  return out.reverse();
}

/**
 * The ranges whose hashes make up the consistency proof between the trees of sizes m and n
 * (RFC 6962 §2.1.2 PROOF/SUBPROOF), in proof order.
 */
export function consistencyProofRanges(m: number, n: number): LeafRange[] {
  checkSize(m, 'first tree size');
  checkSize(n, 'second tree size');
  if (m > n) throw new RangeError(`a tree of size ${m} cannot be a prefix of one of size ${n}`);
  if (m === 0 || m === n) return [];
  const out: LeafRange[] = [];
  // SUBPROOF(m, D[start:end], b), iteratively; each step appends after the recursive part, so
  // collect in reverse and flip at the end.
  let start = 0;
  let end = n;
  let mm = m;
  let whole = true;
  for (;;) {
    const size = end - start;
    if (mm === size) {
      if (!whole) out.push({ start, end });
      break;
    }
    const k = splitPoint(size);
    if (mm <= k) {
      out.push({ start: start + k, end });
      end = start + k;
    } else {
      out.push({ start, end: start + k });
      start += k;
      mm -= k;
      whole = false;
    }
  }
  return out.reverse();
}

/**
 * The complete subtrees, left to right, whose hashes fold (right to left) into MTH(D[start:end]).
 * Valid for every range a proof or a root asks for: those start at a multiple of a power of two
 * at least as large as the range.
 */
export function rangeSubtrees(range: LeafRange): SubtreeId[] {
  const out: SubtreeId[] = [];
  let at = range.start;
  while (at < range.end) {
    let width = 1;
    let level = 0;
    while (at % (width * 2) === 0 && at + width * 2 <= range.end) {
      width *= 2;
      level++;
    }
    out.push({ level, index: at / width });
    at += width;
  }
  return out;
}

/** Folds the hashes of a range's complete subtrees (as rangeSubtrees lists them) into its MTH. */
export function foldSubtrees(hasher: MerkleHasher, hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return hasher.emptyRoot();
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1]!);
  for (let i = hashes.length - 2; i >= 0; i--) acc = hasher.hashChildren(hashes[i]!, acc);
  return acc;
}

/** MTH over a run of leaf hashes (not leaf data), by the RFC's recursive split. */
export function rootFromLeafHashes(hasher: MerkleHasher, leafHashes: readonly Uint8Array[], start = 0, end = leafHashes.length): Buffer {
  const n = end - start;
  if (n === 0) return hasher.emptyRoot();
  if (n === 1) return Buffer.from(leafHashes[start]!);
  const k = splitPoint(n);
  return hasher.hashChildren(rootFromLeafHashes(hasher, leafHashes, start, start + k), rootFromLeafHashes(hasher, leafHashes, start + k, end));
}

/** Audit path of leaf `index` in the tree of the first `size` leaves (default: all of them). */
export function inclusionProof(hasher: MerkleHasher, leafHashes: readonly Uint8Array[], index: number, size = leafHashes.length): Buffer[] {
  if (size > leafHashes.length) throw new RangeError(`tree size ${size} exceeds the ${leafHashes.length} leaves given`);
  return inclusionProofRanges(index, size).map((r) => rootFromLeafHashes(hasher, leafHashes, r.start, r.end));
}

/** Consistency proof from the tree of the first m leaves to that of the first n. */
export function consistencyProof(hasher: MerkleHasher, leafHashes: readonly Uint8Array[], m: number, n = leafHashes.length): Buffer[] {
  if (n > leafHashes.length) throw new RangeError(`tree size ${n} exceeds the ${leafHashes.length} leaves given`);
  return consistencyProofRanges(m, n).map((r) => rootFromLeafHashes(hasher, leafHashes, r.start, r.end));
}

/**
 * The root an audit path leads to, per RFC 9162 §2.1.3.2; null when the path has the wrong shape
 * for (index, size) — too long, too short, or wrong-sized hashes.
 */
export function rootFromInclusionProof(
  hasher: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (leafHash.length !== hasher.size || proof.some((p) => p.length !== hasher.size)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = hasher.hashChildren(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hasher.hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  hasher: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(hasher, index, size, leafHash, proof);
  return computed !== null && root.length === hasher.size && computed.equals(root);
}

/**
 * Whether `proof` shows that the tree of size m with root `root1` is a prefix of the tree of size
 * n with root `root2` (RFC 9162 §2.1.4.2). Size 0 is a prefix of everything; equal sizes need
 * equal roots and an empty proof.
 */
export function verifyConsistency(
  hasher: MerkleHasher,
  m: number,
  n: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (m === n) return proof.length === 0 && root1.length === hasher.size && Buffer.from(root1).equals(root2);
  if (m === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.length !== hasher.size)) return false;
  if (root1.length !== hasher.size || root2.length !== hasher.size) return false;
  // When m is a power of two, the old root is itself a node of the new tree and the proof omits it.
  const path = isPowerOfTwo(m) ? [root1, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hasher.hashChildren(c, fr);
      sr = hasher.hashChildren(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hasher.hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

function isPowerOfTwo(x: number): boolean {
  if (x < 1) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/**
 * The right edge of a growing tree (a "compact range" over [0, size)): one complete-subtree hash
 * per set bit of size, largest first. Appending a leaf merges equal-sized subtrees, so it costs
 * O(log n) hashes and no stored leaf is ever read again; the root is the right-to-left fold.
 */
export class MerkleFrontier {
  private constructor(
    private readonly hasher: MerkleHasher,
    private treeSize: number,
    private readonly hashes: Buffer[],
  ) {}

  static empty(hasher: MerkleHasher): MerkleFrontier {
    return new MerkleFrontier(hasher, 0, []);
  }

  /** Restores a frontier saved with `toJSON`-like `{ size, hashes }`; checks its shape. */
  static restore(hasher: MerkleHasher, size: number, hashes: readonly Uint8Array[]): MerkleFrontier {
    checkSize(size, 'tree size');
    if (hashes.length !== frontierLength(size)) {
      throw new Error(`a frontier of tree size ${size} has ${frontierLength(size)} hashes, got ${hashes.length}`);
    }
    if (hashes.some((h) => h.length !== hasher.size)) throw new Error('frontier hash of the wrong length');
    return new MerkleFrontier(hasher, size, hashes.map((h) => Buffer.from(h)));
  }

  get size(): number {
    return this.treeSize;
  }

  /** The subtree hashes, largest (leftmost) first. */
  get subtreeHashes(): readonly Buffer[] {
    return this.hashes;
  }

  /** The complete subtrees the frontier holds, in the order of `subtreeHashes`. */
  subtrees(): SubtreeId[] {
    return rangeSubtrees({ start: 0, end: this.treeSize });
  }

  /**
   * Appends one leaf hash; `onNode` hears of every complete inner subtree (level ≥ 1) the append
   * finished, so a store can keep them for O(log n) proofs.
   */
  append(leafHash: Uint8Array, onNode?: (node: SubtreeId, hash: Buffer) => void): void {
    if (leafHash.length !== this.hasher.size) throw new Error('leaf hash of the wrong length');
    let h: Buffer = Buffer.from(leafHash);
    let level = 0;
    let index = this.treeSize;
    // Each trailing 1-bit of the old size is a complete subtree of that level waiting for a twin.
    let bits = this.treeSize;
    while (isOdd(bits)) {
      h = this.hasher.hashChildren(this.hashes.pop()!, h);
      level++;
      index = half(index);
      bits = half(bits);
      onNode?.({ level, index }, h);
    }
    this.hashes.push(h);
    this.treeSize++;
  }

  root(): Buffer {
    return foldSubtrees(this.hasher, this.hashes);
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.hasher, this.treeSize, [...this.hashes]);
  }
}

/** Number of subtrees in the frontier of a tree of `size` leaves: the number of set bits. */
export function frontierLength(size: number): number {
  let count = 0;
  for (let x = size; x > 0; x = half(x)) if (isOdd(x)) count++;
  return count;
}
