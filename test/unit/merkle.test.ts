import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { createHash } from 'node:crypto';
import { leafData, leafHash } from '../../src/integrity/merkle-log.ts';
import {
  consistencyProof,
  consistencyProofRanges,
  createMerkleHasher,
  foldSubtrees,
  frontierLength,
  inclusionProof,
  inclusionProofRanges,
  MerkleFrontier,
  rangeSubtrees,
  rootFromInclusionProof,
  rootFromLeafHashes,
  sm3Merkle,
  verifyConsistency,
  verifyInclusion,
  type MerkleHasher,
} from '../../src/integrity/merkle.ts';

// The reference tree of RFC 6962's test suite, as published in google/certificate-transparency
// (merkle_tree_test.cc) and transparency-dev/merkle (proof/verify_test.go).
const sha = createMerkleHasher('sha256');
const h = (hex: string) => Buffer.from(hex, 'hex');
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);
const EMPTY_ROOT = h('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');

/** Inclusion vectors: 0-based leaf index, tree size, audit path. */
const INCLUSION: { index: number; size: number; proof: Buffer[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ].map(h),
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ].map(h),
  },
  { index: 2, size: 3, proof: [h('fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125')] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ].map(h),
  },
];

const CONSISTENCY: { m: number; n: number; proof: Buffer[] }[] = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1,
    n: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ].map(h),
  },
  {
    m: 6,
    n: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ].map(h),
  },
  {
    m: 2,
    n: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'].map(h),
  },
  {
    m: 6,
    n: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ].map(h),
  },
];

const leafHashes = LEAVES.map((d) => sha.hashLeaf(d));

function flipped(buf: Uint8Array, byte = 0, mask = 0x08): Buffer {
  const copy = Buffer.from(buf);
  copy[byte]! ^= mask;
  return copy;
}

describe('RFC 6962 reference vectors (SHA-256)', () => {
  test('the empty tree hashes to SHA-256 of nothing', () => {
    assert.deepEqual(rootFromLeafHashes(sha, []), EMPTY_ROOT);
    assert.deepEqual(MerkleFrontier.empty(sha).root(), EMPTY_ROOT);
  });

  test('leaf and node hashes carry the 0x00 / 0x01 prefixes', () => {
    assert.deepEqual(sha.hashLeaf(Buffer.alloc(0)), createHash('sha256').update(Buffer.from([0])).digest());
    assert.deepEqual(sha.hashLeaf(Buffer.alloc(0)), ROOTS[0]);
    const l = Buffer.alloc(32, 1);
    const r = Buffer.alloc(32, 2);
    assert.deepEqual(sha.hashChildren(l, r), createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest());
  });

  test('roots of the first 1..8 leaves', () => {
    for (let n = 1; n <= 8; n++) {
      assert.equal(rootFromLeafHashes(sha, leafHashes.slice(0, n)).toString('hex'), ROOTS[n - 1]!.toString('hex'), `size ${n}`);
      const f = MerkleFrontier.empty(sha);
      for (const leaf of leafHashes.slice(0, n)) f.append(leaf);
      assert.deepEqual(f.root(), ROOTS[n - 1], `frontier size ${n}`);
    }
  });

  for (const v of INCLUSION) {
    test(`inclusion proof of leaf ${v.index} in tree ${v.size}: generated, verified, and every corruption refused`, () => {
      const root = ROOTS[v.size - 1]!;
      const leaf = leafHashes[v.index]!;
      assert.deepEqual(inclusionProof(sha, leafHashes, v.index, v.size), v.proof);
      assert.deepEqual(rootFromInclusionProof(sha, v.index, v.size, leaf, v.proof), root);
      assert.ok(verifyInclusion(sha, v.index, v.size, leaf, v.proof, root));

      const probes: [string, number, number, Buffer, Buffer[], Buffer][] = [
        ['index - 1', v.index - 1, v.size, leaf, v.proof, root],
        ['index + 1', v.index + 1, v.size, leaf, v.proof, root],
        ['index ^ 2', v.index ^ 2, v.size, leaf, v.proof, root],
        ['size * 2', v.index, v.size * 2, leaf, v.proof, root],
        ['size / 2', v.index, Math.floor(v.size / 2), leaf, v.proof, root],
        ['wrong leaf', v.index, v.size, Buffer.from('WrongLeaf'), v.proof, root],
        ['empty root', v.index, v.size, leaf, v.proof, EMPTY_ROOT],
        ['random root', v.index, v.size, leaf, v.proof, SOME_HASH],
        ['trailing garbage', v.index, v.size, leaf, [...v.proof, Buffer.alloc(0)], root],
        ['trailing root', v.index, v.size, leaf, [...v.proof, root], root],
        ['preceding garbage', v.index, v.size, leaf, [Buffer.alloc(0), ...v.proof], root],
        ['preceding root', v.index, v.size, leaf, [root, ...v.proof], root],
      ];
      v.proof.forEach((_, i) => probes.push([`proof[${i}] bit flipped`, v.index, v.size, leaf, v.proof.map((p, j) => (j === i ? flipped(p) : p)), root]));
      if (v.proof.length > 0) probes.push(['removed component', v.index, v.size, leaf, v.proof.slice(0, -1), root]);
      if (v.proof.length > 1) probes.push(['inserted component', v.index, v.size, leaf, [v.proof[0]!, SOME_HASH, ...v.proof.slice(1)], root]);
      for (const [desc, index, size, l, proof, r] of probes) {
        assert.equal(verifyInclusion(sha, index, size, l, proof, r), false, desc);
      }
    });
  }

  for (const v of CONSISTENCY) {
    test(`consistency proof ${v.m} → ${v.n}: generated, verified, and every corruption refused`, () => {
      const root1 = ROOTS[v.m - 1]!;
      const root2 = ROOTS[v.n - 1]!;
      assert.deepEqual(consistencyProof(sha, leafHashes, v.m, v.n), v.proof);
      assert.ok(verifyConsistency(sha, v.m, v.n, v.proof, root1, root2));
      if (v.proof.length === 0) return;
      const probes: [string, number, number, Buffer[], Buffer, Buffer][] = [
        ['m - 1', v.m - 1, v.n, v.proof, root1, root2],
        ['m + 1', v.m + 1, v.n, v.proof, root1, root2],
        ['m ^ 2', v.m ^ 2, v.n, v.proof, root1, root2],
        ['n * 2', v.m, v.n * 2, v.proof, root1, root2],
        ['n / 2', v.m, Math.floor(v.n / 2), v.proof, root1, root2],
        ['wrong root1', v.m, v.n, v.proof, Buffer.from('WrongRoot'), root2],
        ['wrong root2', v.m, v.n, v.proof, root1, Buffer.from('WrongRoot')],
        ['swapped roots', v.m, v.n, v.proof, root2, root1],
        ['empty proof', v.m, v.n, [], root1, root2],
        ['trailing garbage', v.m, v.n, [...v.proof, Buffer.alloc(0)], root1, root2],
        ['trailing root1', v.m, v.n, [...v.proof, root1], root1, root2],
        ['trailing root2', v.m, v.n, [...v.proof, root2], root1, root2],
        ['preceding garbage', v.m, v.n, [Buffer.alloc(0), ...v.proof], root1, root2],
        ['preceding root1', v.m, v.n, [root1, ...v.proof], root1, root2],
        ['preceding root2', v.m, v.n, [root2, ...v.proof], root1, root2],
        ['preceding proof[0]', v.m, v.n, [v.proof[0]!, ...v.proof], root1, root2],
        ['truncated proof', v.m, v.n, v.proof.slice(0, -1), root1, root2],
      ];
      v.proof.forEach((_, i) => probes.push([`proof[${i}] bit flipped`, v.m, v.n, v.proof.map((p, j) => (j === i ? flipped(p, 0, 0x10) : p)), root1, root2]));
      for (const [desc, m, n, proof, r1, r2] of probes) {
        assert.equal(verifyConsistency(sha, m, n, proof, r1, r2), false, desc);
      }
    });
  }

  test('trivial consistency: size 0 is a prefix of anything, equal sizes need equal roots and no proof', () => {
    const r1 = ROOTS[0]!;
    const r2 = ROOTS[1]!;
    assert.ok(verifyConsistency(sha, 0, 0, [], EMPTY_ROOT, EMPTY_ROOT));
    assert.ok(verifyConsistency(sha, 0, 5, [], EMPTY_ROOT, ROOTS[4]!));
    assert.ok(verifyConsistency(sha, 1, 1, [], r1, r1));
    assert.equal(verifyConsistency(sha, 1, 1, [], r1, r2), false);
    assert.equal(verifyConsistency(sha, 1, 1, [EMPTY_ROOT], r1, r1), false);
    assert.equal(verifyConsistency(sha, 2, 1, [], r1, r2), false, 'time travel to the past');
    assert.equal(verifyConsistency(sha, 1, 2, [], r1, r2), false, 'empty proof for a real extension');
  });
});

/** Deterministic pseudo-random leaves, so a failure names a reproducible case. */
function leavesFor(hasher: MerkleHasher, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => hasher.hashLeaf(`leaf-${i}-${'x'.repeat(i % 7)}`));
}

for (const hasher of [sha, sm3Merkle]) {
  describe(`properties over sizes 1..64 (${hasher.algorithm})`, () => {
    const all = leavesFor(hasher, 64);
    const roots = [hasher.emptyRoot()];
    for (let n = 1; n <= 64; n++) roots.push(rootFromLeafHashes(hasher, all, 0, n));

    test('the frontier reaches the recursive root at every size and reports every inner node it completes', () => {
      const f = MerkleFrontier.empty(hasher);
      const nodes = new Map<string, Buffer>();
      for (let n = 1; n <= 64; n++) {
        f.append(all[n - 1]!, (node, hash) => nodes.set(`${node.level}/${node.index}`, hash));
        assert.deepEqual(f.root(), roots[n], `size ${n}`);
        assert.equal(f.subtreeHashes.length, frontierLength(n));
        const restored = MerkleFrontier.restore(hasher, n, f.subtreeHashes);
        assert.deepEqual(restored.root(), roots[n]);
      }
      // Every complete subtree of 64 leaves at level ≥ 1: 32 + 16 + 8 + 4 + 2 + 1.
      assert.equal(nodes.size, 63);
      for (const [key, hash] of nodes) {
        const [level, index] = key.split('/').map(Number) as [number, number];
        const width = 2 ** level;
        assert.deepEqual(hash, rootFromLeafHashes(hasher, all, index * width, (index + 1) * width), key);
      }
    });

    test('every leaf’s audit path verifies in every tree that contains it, and a flipped byte fails', () => {
      for (let n = 1; n <= 64; n++) {
        for (let i = 0; i < n; i++) {
          const proof = inclusionProof(hasher, all, i, n);
          assert.ok(verifyInclusion(hasher, i, n, all[i]!, proof, roots[n]!), `leaf ${i} size ${n}`);
          assert.equal(verifyInclusion(hasher, i, n, flipped(all[i]!, 5, 0x01), proof, roots[n]!), false, `flipped leaf ${i}/${n}`);
          assert.equal(verifyInclusion(hasher, i, n, all[i]!, proof, flipped(roots[n]!, 31, 0x80)), false, `flipped root ${i}/${n}`);
          proof.forEach((_, k) => {
            const bad = proof.map((p, j) => (j === k ? flipped(p, k % hasher.size, 0x40) : p));
            assert.equal(verifyInclusion(hasher, i, n, all[i]!, bad, roots[n]!), false, `flipped proof[${k}] ${i}/${n}`);
          });
          if (n > 1) assert.equal(verifyInclusion(hasher, (i + 1) % n, n, all[i]!, proof, roots[n]!), false, `wrong index ${i}/${n}`);
        }
      }
    });

    test('every pair m < n ≤ 64 is consistent, and a flipped byte fails', () => {
      for (let n = 1; n <= 64; n++) {
        for (let m = 0; m <= n; m++) {
          const proof = consistencyProof(hasher, all, m, n);
          assert.ok(verifyConsistency(hasher, m, n, proof, roots[m]!, roots[n]!), `${m} → ${n}`);
          if (m === 0 || m === n) continue;
          assert.equal(verifyConsistency(hasher, m, n, proof, flipped(roots[m]!, 0, 1), roots[n]!), false, `flipped root1 ${m} → ${n}`);
          assert.equal(verifyConsistency(hasher, m, n, proof, roots[m]!, flipped(roots[n]!, 0, 1)), false, `flipped root2 ${m} → ${n}`);
          proof.forEach((_, k) => {
            const bad = proof.map((p, j) => (j === k ? flipped(p, 3, 0x20) : p));
            assert.equal(verifyConsistency(hasher, m, n, bad, roots[m]!, roots[n]!), false, `flipped proof[${k}] ${m} → ${n}`);
          });
          // A tree with one leaf changed inside the old range is not an extension of the old one.
          const forked = [...all];
          forked[m - 1] = hasher.hashLeaf('forged');
          const forkedRoot = rootFromLeafHashes(hasher, forked, 0, n);
          assert.equal(verifyConsistency(hasher, m, n, consistencyProof(hasher, forked, m, n), roots[m]!, forkedRoot), false, `fork ${m} → ${n}`);
        }
      }
    });

    test('proofs assembled from stored complete subtrees equal the recursive ones', () => {
      // This is how the ledger serves proofs from its node table, without reading every leaf.
      const subtree = (level: number, index: number) => rootFromLeafHashes(hasher, all, index * 2 ** level, (index + 1) * 2 ** level);
      const fromRanges = (ranges: { start: number; end: number }[]) =>
        ranges.map((r) => foldSubtrees(hasher, rangeSubtrees(r).map((s) => subtree(s.level, s.index))));
      for (let n = 1; n <= 64; n++) {
        assert.deepEqual(foldSubtrees(hasher, rangeSubtrees({ start: 0, end: n }).map((s) => subtree(s.level, s.index))), roots[n]);
        for (let i = 0; i < n; i++) assert.deepEqual(fromRanges(inclusionProofRanges(i, n)), inclusionProof(hasher, all, i, n));
        for (let m = 0; m <= n; m++) assert.deepEqual(fromRanges(consistencyProofRanges(m, n)), consistencyProof(hasher, all, m, n));
      }
    });
  });
}

test('malformed arguments are refused, not answered', () => {
  assert.throws(() => inclusionProofRanges(3, 3), RangeError);
  assert.throws(() => inclusionProofRanges(-1, 3), RangeError);
  assert.throws(() => consistencyProofRanges(4, 3), RangeError);
  assert.throws(() => MerkleFrontier.restore(sha, 3, [Buffer.alloc(32)]), /2 hashes/);
  assert.equal(rootFromInclusionProof(sha, 0, 0, leafHashes[0]!, []), null);
  assert.equal(verifyInclusion(sha, 0, 1, leafHashes[0]!, [], Buffer.alloc(0)), false);
});

test('the ledger’s SM3 hasher and leaf hash give node:crypto’s digests of RFC 6962’s prefixed bytes', () => {
  for (let i = 0; i < 50; i++) {
    const left = crypto.randomBytes(32);
    const right = crypto.randomBytes(32);
    assert.deepEqual(sm3Merkle.hashChildren(left, right), createHash('sm3').update(Buffer.from([1])).update(left).update(right).digest());
    const leaf = { streamId: `document-${i}公`, revision: i, globalPosition: i * 7919, eventId: `${i}`.padStart(8, '0') + '-0000-4000-8000-000000000000', hash: left.toString('hex'), mac: right.toString('hex') };
    assert.deepEqual(leafHash(leaf), createHash('sm3').update(Buffer.from([0])).update(leafData(leaf)).digest());
    assert.deepEqual(leafHash(leaf), sm3Merkle.hashLeaf(leafData(leaf)));
  }
});
