import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * Rejects operations nested deeper than `limit` fields, as QUERY_TOO_COMPLEX like the cost rule
 * (one answer for "this query asks too much"). A fragment spread adds no level of its own; each
 * fragment's depth is reckoned once, so a fan-out of fragments costs no more than its size.
 */
export function queryDepthRule(limit: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentDepths = new Map<string, number>();
    const depthOf = (set: SelectionSetNode, visiting: Set<string>): number => {
      let max = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) max = Math.max(max, 1 + (s.selectionSet ? depthOf(s.selectionSet, visiting) : 0));
        else if (s.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(s.selectionSet, visiting));
        else {
          const name = s.name.value;
          let depth = fragmentDepths.get(name);
          if (depth === undefined) {
            const fragment = context.getFragment(name);
            // Unknown and cyclic fragments are other rules' errors.
            if (!fragment || visiting.has(name)) continue;
            visiting.add(name);
            depth = depthOf(fragment.selectionSet, visiting);
            visiting.delete(name);
            fragmentDepths.set(name, depth);
          }
          max = Math.max(max, depth);
        }
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > limit) {
          context.reportError(
            new GraphQLError(`查询嵌套过深（${depth} 层，上限 ${limit} 层），请减少嵌套 (query too deep)`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX', depth, limit },
            }),
          );
        }
        return false;
      },
    };
  };
}
