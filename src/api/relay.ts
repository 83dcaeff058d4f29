import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
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

/**
 * Whether the query selects the field at `path` below the field being resolved (through fragments
 * too): `selectsField(info, 'totalCount')`, or `selectsField(info, 'edges', 'node', 'hashStatus')`.
 * A list read inside a snapshot that closes before GraphQL resolves the connection's fields counts
 * its totalCount there, and only when asked; a timeline checks its entries' hashes only when shown.
 */
export function selectsField(info: GraphQLResolveInfo, ...path: [string, ...string[]]): boolean {
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined, depth: number): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === path[depth] && (depth === path.length - 1 || within(s.selectionSet, depth + 1));
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet, depth);
      const key = `${depth}:${s.name.value}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return within(info.fragments[s.name.value]?.selectionSet, depth);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet, 0));
}
