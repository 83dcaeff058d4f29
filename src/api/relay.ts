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
 * Whether the query selects `name` on the field being resolved (through fragments too): a list read
 * inside a snapshot that closes before GraphQL resolves the connection's fields counts its
 * totalCount there, and only when asked.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return within(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet));
}
