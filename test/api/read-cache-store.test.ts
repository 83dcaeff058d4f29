import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheableReads, ReadCache, type Pending } from '../../src/api/read-cache.ts';

/** The read cache's store and its choice of what may be kept (src/api/read-cache.ts), without a server. */
describe('the read cache store', () => {
  const miss = (cache: ReadCache, key: string, reads = ['inbox']) => {
    const found = cache.lookup(key, reads);
    assert.ok(found && !Buffer.isBuffer(found), `expected a miss for ${key}`);
    return found as Pending;
  };

  test('the byte cap bounds what is kept, the least recently used going first', () => {
    const cache = new ReadCache(10_000, () => true);
    for (let i = 0; i < 100; i++) {
      const key = `k${i}`;
      cache.keep(miss(cache, key), Buffer.alloc(500));
      // k0 is used all along, so it stays.
      if (i > 0) assert.ok(Buffer.isBuffer(cache.lookup('k0', ['inbox'])));
      assert.ok(cache.stats().bytes <= 10_000);
    }
    assert.ok(cache.stats().entries < 20);
    assert.ok(Buffer.isBuffer(cache.lookup('k99', ['inbox'])));
    assert.equal(cache.lookup('k1', ['inbox']) instanceof Buffer, false);
    // An answer larger than an eighth of the cache is not kept.
    cache.keep(miss(cache, 'big'), Buffer.alloc(2_000));
    assert.equal(Buffer.isBuffer(cache.lookup('big', ['inbox'])), false);
  });

  test('a bump of a projection read drops the answer; of another projection, not', () => {
    const cache = new ReadCache(1 << 20, () => true);
    cache.keep(miss(cache, 'a', ['inbox']), Buffer.from('{"data":1}'));
    cache.bump(['search']);
    assert.ok(Buffer.isBuffer(cache.lookup('a', ['inbox'])));
    cache.bump(['inbox']);
    assert.equal(Buffer.isBuffer(cache.lookup('a', ['inbox'])), false);
    cache.keep(miss(cache, 'a', ['inbox']), Buffer.from('{"data":2}'));
    cache.bump();
    assert.equal(Buffer.isBuffer(cache.lookup('a', ['inbox'])), false);
  });

  test('an answer whose projection changed while it was computed is not kept', () => {
    const cache = new ReadCache(1 << 20, () => true);
    const pending = miss(cache, 'a');
    cache.bump(['inbox']);
    cache.keep(pending, Buffer.from('{"data":"old"}'));
    assert.equal(Buffer.isBuffer(cache.lookup('a', ['inbox'])), false);
  });

  test('nothing is kept or served while the server is not told of every change, nor with a cap of 0', () => {
    let informed = true;
    const cache = new ReadCache(1 << 20, () => informed);
    cache.keep(miss(cache, 'a'), Buffer.from('{"data":1}'));
    informed = false;
    assert.equal(cache.lookup('a', ['inbox']), null);
    informed = true;
    assert.equal(Buffer.isBuffer(cache.lookup('a', ['inbox'])), false);
    assert.equal(new ReadCache(0, () => true).lookup('a', ['inbox']), null);
  });

  test('only queries of the read models are cacheable, without hashStatus or anchored', () => {
    assert.deepEqual(cacheableReads('{ inbox(first: 5) { edges { node { documentId } } } }', undefined), ['inbox']);
    assert.deepEqual(new Set(cacheableReads('query Q { a: inbox { totalCount } ...F } fragment F on Query { searchDocuments(query: "x") { totalCount } }', 'Q')), new Set(['inbox', 'search']));
    assert.equal(cacheableReads('{ inbox { totalCount } me { userId } }', undefined), null);
    assert.equal(cacheableReads('mutation { x }', undefined), null);
    assert.equal(cacheableReads('{ timeline(documentId: "d") { edges { node { hashStatus } } } }', undefined), null);
    assert.equal(cacheableReads('{ unitTimeline(unitId: "u") { edges { node { ...E } } } } fragment E on TimelineEntry { anchored }', undefined), null);
    assert.equal(cacheableReads('query A { inbox { totalCount } } query B { me { userId } }', 'B'), null);
    assert.equal(cacheableReads('{ inbox {', undefined), null);
  });
});
