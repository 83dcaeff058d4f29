import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserCache } from '../../../src/api/user-cache.ts';
import type { UserState } from '../../../src/domain/directory/index.ts';

/** A loader that counts its reads and can be held mid-read. */
function source() {
  let version = 0;
  let hold: Promise<void> | null = null;
  const reads: string[] = [];
  return {
    reads,
    bump: () => version++,
    holdNext() {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return release;
    },
    load: async (userId: string) => {
      reads.push(userId);
      const seen = version;
      const h = hold;
      hold = null;
      await h;
      return { exists: true, userId, name: `v${seen}` } as unknown as UserState;
    },
  };
}

describe('UserCache', () => {
  test('folds a user once while the feed is followed, again after an event on their stream', async () => {
    const s = source();
    const cache = new UserCache(s.load, () => true);
    await cache.get('u1');
    await cache.get('u1');
    assert.deepEqual(s.reads, ['u1']);
    cache.forget([{ streamId: 'document-x' }, { streamId: 'user-u2' }]);
    await cache.get('u1');
    assert.deepEqual(s.reads, ['u1'], 'another stream or user leaves u1 cached');
    s.bump();
    cache.forget([{ streamId: 'user-u1' }]);
    assert.equal(((await cache.get('u1')) as unknown as { name: string }).name, 'v1');
    assert.deepEqual(s.reads, ['u1', 'u1']);
  });

  test('a fold that was reading when the user changed is answered but not kept', async () => {
    const s = source();
    const cache = new UserCache(s.load, () => true);
    const release = s.holdNext();
    const reading = cache.get('u1');
    s.bump();
    cache.forget([{ streamId: 'user-u1' }]);
    release();
    assert.equal(((await reading) as unknown as { name: string }).name, 'v0');
    assert.equal(((await cache.get('u1')) as unknown as { name: string }).name, 'v1', 'the stale fold was not kept');
  });

  test('nothing is kept while the feed is not followed (no one would drop it)', async () => {
    const s = source();
    let following = false;
    const cache = new UserCache(s.load, () => following);
    await cache.get('u1');
    await cache.get('u1');
    assert.equal(s.reads.length, 2);
    following = true;
    await cache.get('u1');
    await cache.get('u1');
    assert.equal(s.reads.length, 3);
    following = false;
    await cache.get('u1');
    assert.equal(s.reads.length, 4, 'what was kept is dropped when the following stops');
  });

  test('bounded: the oldest entry goes first', async () => {
    const s = source();
    const cache = new UserCache(s.load, () => true, 2);
    for (const u of ['a', 'b', 'c', 'c', 'b', 'a']) await cache.get(u);
    assert.deepEqual(s.reads, ['a', 'b', 'c', 'a']);
  });
});
