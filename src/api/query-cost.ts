import { GraphQLError, Kind, type ASTVisitor, type SelectionNode, type ValidationContext } from 'graphql';

/**
 * Rejects queries whose estimated cost exceeds `limit` before they run: each field costs 1,
 * multiplied by the page size (`first`, default 20) of every list it is nested in. Depth alone
 * does not stop a wide query that asks for 1,000 inboxes of 1,000 rows.
 */
export function queryCostRule(limit: number, variables: Record<string, unknown> = {}) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition: {
      enter(node) {
        const cost = selectionCost(node.selectionSet.selections, 1, { variables, context, seen: new Set() });
        if (cost > limit) {
          context.reportError(
            new GraphQLError(`查询过于复杂（估算代价 ${cost}，上限 ${limit}），请减少每页条数或嵌套字段 (query too complex)`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, limit },
            }),
          );
        }
      },
    },
  });
}

/**
 * Lists without a `first` argument (or whose `first` was left at its default), costed at the most
 * rows they can return: the unit tables of 电子监察 hold every unit of the city (a city of 150 units at most; the demo city has 123), a warning's
 * timeline its clock's few events.
 */
export const LIST_FIELD_SIZES: Readonly<Record<string, number>> = {
  overdue: 50,
  sendersCheck: 50,
  warnings: 50,
  unverifiedEntries: 50,
  unitStatistics: 150,
  unitRanking: 150,
  scorecard: 150,
  responsible: 10,
  timeline: 20,
  unsignedByUnit: 150,
  clerksWithoutSignIn: 500,
};

interface Walk {
  variables: Record<string, unknown>;
  context: ValidationContext;
  /** Fragments being expanded, so a (rejected anyway) cycle cannot loop here. */
  seen: Set<string>;
}

function selectionCost(selections: readonly SelectionNode[], multiplier: number, walk: Walk): number {
  let cost = 0;
  for (const s of selections) {
    if (s.kind === Kind.INLINE_FRAGMENT) {
      cost += selectionCost(s.selectionSet.selections, multiplier, walk);
    } else if (s.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = walk.context.getFragment(s.name.value);
      if (fragment && !walk.seen.has(s.name.value)) {
        walk.seen.add(s.name.value);
        cost += selectionCost(fragment.selectionSet.selections, multiplier, walk);
        walk.seen.delete(s.name.value);
      }
    } else {
      cost += multiplier;
      if (s.selectionSet) {
        const first = s.arguments?.find((a) => a.name.value === 'first');
        let page = LIST_FIELD_SIZES[s.name.value] ?? 1;
        if (first?.value.kind === Kind.INT) page = Number(first.value.value);
        else if (first?.value.kind === Kind.VARIABLE) page = Number(walk.variables[first.value.name.value] ?? LIST_FIELD_SIZES[s.name.value] ?? 20);
        cost += selectionCost(s.selectionSet.selections, multiplier * Math.max(1, page || 1), walk);
      }
    }
  }
  return cost;
}
