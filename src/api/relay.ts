import type { Connection } from '../../projections/shared/keyset.ts';

/**
 * A read model's page as a Relay connection: each edge with its own cursor, pageInfo both ways,
 * and totalCount (a function: graphql-js calls it only when the query selects it, so a page that
 * does not ask for the count costs no count).
 */
export function relayConnection<T, N = T>(page: Connection<T>, node: (item: T) => N = (item) => item as unknown as N) {
  return {
    edges: page.items.map((item, i) => ({ cursor: page.cursors[i]!, node: node(item) })),
    pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: page.startCursor, endCursor: page.endCursor },
    totalCount: page.totalCount,
  };
}
