import assert from 'node:assert/strict';

/** A Relay connection as a client reads it over HTTP. */
export interface RelayPage<N = unknown> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/**
 * Walks a connection forward (first/after) and backward (last/before) in pages of `size`, checking
 * at every page what a Relay client relies on: the start and end cursors are the first and last
 * edges' own, hasNextPage / hasPreviousPage are exact both ways, and totalCount is the list's
 * length. Asserts that the backward walk, turned round, is the forward walk (same edges, same
 * cursors), and returns the forward list.
 */
export async function walkBothWays<N>(page: (args: { first?: number; after?: string; last?: number; before?: string }) => Promise<RelayPage<N>>, size: number, what: string): Promise<RelayPage<N>['edges']> {
  const forward: RelayPage<N>['edges'] = [];
  let after: string | undefined;
  let total = -1;
  for (let i = 0; i < 1000; i++) {
    const p = await page(after === undefined ? { first: size } : { first: size, after });
    check(p, what);
    total = p.totalCount;
    assert.equal(p.pageInfo.hasPreviousPage, forward.length > 0, `${what}: hasPreviousPage forward at ${forward.length}`);
    forward.push(...p.edges);
    assert.equal(p.pageInfo.hasNextPage, forward.length < total, `${what}: hasNextPage forward at ${forward.length} of ${total}`);
    if (!p.pageInfo.hasNextPage) break;
    after = p.pageInfo.endCursor!;
  }
  assert.equal(forward.length, total, `${what}: the forward walk saw every item`);
  const backward: RelayPage<N>['edges'] = [];
  let before: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const p = await page(before === undefined ? { last: size } : { last: size, before });
    check(p, what);
    assert.equal(p.pageInfo.hasNextPage, backward.length > 0, `${what}: hasNextPage backward at ${backward.length}`);
    backward.unshift(...p.edges);
    assert.equal(p.pageInfo.hasPreviousPage, backward.length < total, `${what}: hasPreviousPage backward at ${backward.length} of ${total}`);
    if (!p.pageInfo.hasPreviousPage) break;
    before = p.pageInfo.startCursor!;
  }
  assert.deepEqual(backward, forward, `${what}: backward pages = forward pages reversed`);
  assert.equal(new Set(forward.map((e) => e.cursor)).size, forward.length, `${what}: every edge its own cursor`);
  return forward;
}

function check(p: RelayPage, what: string): void {
  assert.equal(p.pageInfo.startCursor, p.edges[0]?.cursor ?? null, `${what}: startCursor is the first edge's`);
  assert.equal(p.pageInfo.endCursor, p.edges.at(-1)?.cursor ?? null, `${what}: endCursor is the last edge's`);
}
