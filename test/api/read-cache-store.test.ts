import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheableReads, ReadCache, readsOf, type Pending, type Read } from '../../src/api/read-cache.ts';
import { inboxScopes } from '../../projections/inbox/index.ts';
import { sentBoxScopes } from '../../projections/sent-box/index.ts';
import { auditScopes } from '../../projections/audit/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';

/** The read cache's store and its choice of what may be kept (src/api/read-cache.ts), without a server. */
describe('the read cache store', () => {
  const INBOX: Read[] = [{ projection: 'inbox', scope: null }];
  const inboxOf = (unitId: string): Read[] => [{ projection: 'inbox', scope: `unit:${unitId}` }];
  const miss = (cache: ReadCache, key: string, reads: readonly Read[] = INBOX) => {
    const found = cache.lookup(key, reads);
    assert.ok(found && !Buffer.isBuffer(found), `expected a miss for ${key}`);
    return found as Pending;
  };
  const hit = (cache: ReadCache, key: string, reads: readonly Read[]) => Buffer.isBuffer(cache.lookup(key, reads));

  test('the byte cap bounds what is kept, the least recently used going first', () => {
    const cache = new ReadCache(10_000, () => true);
    for (let i = 0; i < 100; i++) {
      const key = `k${i}`;
      cache.keep(miss(cache, key), Buffer.alloc(500));
      // k0 is used all along, so it stays.
      if (i > 0) assert.ok(hit(cache, 'k0', INBOX));
      assert.ok(cache.stats().bytes <= 10_000);
    }
    assert.ok(cache.stats().entries < 20);
    assert.ok(hit(cache, 'k99', INBOX));
    assert.equal(hit(cache, 'k1', INBOX), false);
    // An answer larger than an eighth of the cache is not kept.
    cache.keep(miss(cache, 'big'), Buffer.alloc(2_000));
    assert.equal(hit(cache, 'big', INBOX), false);
  });

  test('a bump of a projection read drops the answer; of another projection, not', () => {
    const cache = new ReadCache(1 << 20, () => true);
    cache.keep(miss(cache, 'a'), Buffer.from('{"data":1}'));
    cache.bump('search');
    assert.ok(hit(cache, 'a', INBOX));
    cache.bump('inbox');
    assert.equal(hit(cache, 'a', INBOX), false);
    cache.keep(miss(cache, 'a'), Buffer.from('{"data":2}'));
    cache.clear();
    assert.equal(hit(cache, 'a', INBOX), false);
  });

  test("a bump at a scope drops that scope's answers and the whole projection's readers, and keeps the other scopes'", () => {
    const cache = new ReadCache(1 << 20, () => true);
    cache.keep(miss(cache, 'A', inboxOf('A')), Buffer.from('{"data":"A"}'));
    cache.keep(miss(cache, 'B', inboxOf('B')), Buffer.from('{"data":"B"}'));
    cache.keep(miss(cache, 'all'), Buffer.from('{"data":"all"}'));
    cache.bump('inbox', ['unit:A']);
    assert.equal(hit(cache, 'A', inboxOf('A')), false);
    assert.ok(hit(cache, 'B', inboxOf('B')));
    assert.equal(hit(cache, 'all', INBOX), false, 'a reader of the whole projection reads unit A too');
    // The same scope name of another projection is another scope.
    cache.keep(miss(cache, 'A', inboxOf('A')), Buffer.from('{"data":"A2"}'));
    cache.bump('sent-box', ['unit:A']);
    assert.ok(hit(cache, 'A', inboxOf('A')));
    // A batch whose scopes are not known (null) changes every scope.
    cache.bump('inbox', null);
    assert.equal(hit(cache, 'A', inboxOf('A')), false);
    assert.equal(hit(cache, 'B', inboxOf('B')), false);
  });

  test('an answer whose scope changed while it was computed is not kept; one of another scope is', () => {
    const cache = new ReadCache(1 << 20, () => true);
    const a = miss(cache, 'A', inboxOf('A'));
    const b = miss(cache, 'B', inboxOf('B'));
    cache.bump('inbox', ['unit:A']);
    cache.keep(a, Buffer.from('{"data":"old"}'));
    cache.keep(b, Buffer.from('{"data":"B"}'));
    assert.equal(hit(cache, 'A', inboxOf('A')), false);
    assert.ok(hit(cache, 'B', inboxOf('B')));
    const whole = miss(cache, 'all');
    cache.bump('inbox', ['unit:C']);
    cache.keep(whole, Buffer.from('{"data":"old"}'));
    assert.equal(hit(cache, 'all', INBOX), false);
  });

  test('when too many scopes are remembered they are forgotten at once, with every answer', () => {
    const cache = new ReadCache(1 << 20, () => true);
    cache.keep(miss(cache, 'B', inboxOf('B')), Buffer.from('{"data":"B"}'));
    for (let i = 0; i < 100_001; i++) cache.bump('audit', [`document:d${i}`]);
    assert.equal(hit(cache, 'B', inboxOf('B')), false);
  });

  test('nothing is kept or served while the server is not told of every change, nor with a cap of 0', () => {
    let informed = true;
    const cache = new ReadCache(1 << 20, () => informed);
    cache.keep(miss(cache, 'a'), Buffer.from('{"data":1}'));
    informed = false;
    assert.equal(cache.lookup('a', INBOX), null);
    informed = true;
    assert.equal(hit(cache, 'a', INBOX), false);
    assert.equal(new ReadCache(0, () => true).lookup('a', INBOX), null);
  });

  test('only queries of the read models are cacheable, without hashStatus or anchored', () => {
    assert.deepEqual(cacheableReads('{ inbox(first: 5) { edges { node { documentId } } } }', undefined)?.projections, ['inbox']);
    assert.deepEqual(new Set(cacheableReads('query Q { a: inbox { totalCount } ...F } fragment F on Query { searchDocuments(query: "x") { totalCount } }', 'Q')?.projections), new Set(['inbox', 'search']));
    assert.equal(cacheableReads('{ inbox { totalCount } me { userId } }', undefined), null);
    assert.equal(cacheableReads('mutation { x }', undefined), null);
    assert.equal(cacheableReads('{ timeline(documentId: "d") { edges { node { hashStatus } } } }', undefined), null);
    assert.equal(cacheableReads('{ unitTimeline(unitId: "u") { edges { node { ...E } } } } fragment E on TimelineEntry { anchored }', undefined), null);
    assert.equal(cacheableReads('query A { inbox { totalCount } } query B { me { userId } }', 'B'), null);
    assert.equal(cacheableReads('{ inbox {', undefined), null);
  });

  test('the scope an answer reads: the unit or document asked for, the caller’s unit when left out, else the whole projection', () => {
    const reads = (query: string, variables?: unknown, operationName?: string) => readsOf(cacheableReads(query, operationName)!, variables, 'me');
    assert.deepEqual(reads('{ inbox { totalCount } }'), [{ projection: 'inbox', scope: 'unit:me' }]);
    assert.deepEqual(reads('{ inbox(unitId: null) { totalCount } }'), [{ projection: 'inbox', scope: 'unit:me' }]);
    assert.deepEqual(reads('{ sentDocuments(unitId: "") { totalCount } }'), [{ projection: 'sent-box', scope: 'unit:me' }]);
    assert.deepEqual(reads('{ inbox(unitId: "fin") { totalCount } }'), [{ projection: 'inbox', scope: 'unit:fin' }]);
    assert.deepEqual(reads('query ($u: ID) { inbox(unitId: $u) { totalCount } }', { u: 'fin' }), [{ projection: 'inbox', scope: 'unit:fin' }]);
    assert.deepEqual(reads('query ($u: ID) { inbox(unitId: $u) { totalCount } }', {}), [{ projection: 'inbox', scope: 'unit:me' }]);
    assert.deepEqual(reads('query ($u: ID = "edu") { inbox(unitId: $u) { totalCount } }', {}), [{ projection: 'inbox', scope: 'unit:edu' }]);
    assert.deepEqual(reads('query ($u: ID = "edu") { inbox(unitId: $u) { totalCount } }', { u: null }), [{ projection: 'inbox', scope: 'unit:me' }]);
    // Not a plain string (an ID given as a number, variables that are not an object): all of it.
    assert.deepEqual(reads('query ($u: ID) { inbox(unitId: $u) { totalCount } }', { u: 7 }), [{ projection: 'inbox', scope: null }]);
    assert.deepEqual(reads('query ($u: ID) { inbox(unitId: $u) { totalCount } }', 'u'), [{ projection: 'inbox', scope: null }]);
    assert.deepEqual(reads('query ($d: ID!) { timeline(documentId: $d) { totalCount } }', { d: 'D1' }), [{ projection: 'audit', scope: 'document:D1' }]);
    assert.deepEqual(reads('{ unitTimeline(unitId: "edu") { totalCount } }'), [{ projection: 'audit', scope: 'unit:edu' }]);
    // A timeline without its key is not narrowed to the caller's unit.
    assert.deepEqual(reads('{ unitTimeline { totalCount } }'), [{ projection: 'audit', scope: null }]);
    assert.deepEqual(reads('{ searchDocuments(query: "x") { totalCount } }'), [{ projection: 'search', scope: null }]);
    assert.deepEqual(reads('{ a: inbox(unitId: "fin") { totalCount } b: inbox { totalCount } }'), [
      { projection: 'inbox', scope: 'unit:fin' },
      { projection: 'inbox', scope: 'unit:me' },
    ]);
  });

  test("the scopes a batch changes, from its events: an inbox's unit, a sent box's issuer (unknown from a receipt), a timeline's document and units", () => {
    const event = (type: string, data: Record<string, unknown>, actorUnitId = 'x') => ({ type, data, actor: { userId: 'u', unitId: actorUnitId, role: 'CLERK' } }) as unknown as RecordedEvent;
    const delivered = event('DocumentDelivered', { documentId: 'D', unitId: 'fin', issuerUnitId: 'edu' });
    const received = event('DocumentReceived', { documentId: 'D', unitId: 'hlth' }, 'hlth');
    assert.deepEqual(inboxScopes([delivered, received]), new Set(['unit:fin', 'unit:hlth']));
    assert.equal(inboxScopes([event('DocumentReceived', { documentId: 'D' })]), null);
    assert.deepEqual(sentBoxScopes([delivered, event('DocumentSent', { documentId: 'D', issuerUnitId: 'edu' })]), new Set(['unit:edu']));
    assert.equal(sentBoxScopes([delivered, received]), null);
    assert.deepEqual(auditScopes([received]), new Set(['document:D', 'unit:hlth']));
    assert.deepEqual(auditScopes([event('UserRegistered', { userId: 'p', unitId: 'fin' }, 'city-office')]), new Set(['unit:fin', 'unit:city-office']));
  });
});
