import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  parse,
  print,
  visit,
  type ASTVisitor,
  type FieldDefinitionNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { Refusal } from '../domain/refusal.ts';

/**
 * What a query may cost, estimated before it runs from the schema's own declarations
 * (schemas/graphql/limits.graphql):
 *
 * - every field costs its `@cost(weight:)`, 1 when undeclared (about one short value, ≲ 100 bytes
 *   of response); heavy text (SVG pictures, bodies, packages) declares its weight;
 * - a list field declares `@listSize(max:, sizeArgument:, sizedField:)`: its items (or, for a
 *   connection, the items of its `sizedField`, e.g. `edges`) count `min(size asked, max)` times,
 *   the size asked being the `sizeArgument` (`first`, `limit`) or its default, else `max`;
 * - a list nobody declared counts as UNDECLARED_LIST_SIZE items (test/api/query-cost.test.ts
 *   fails on such a field, so a new one gets declared);
 * - every mutation costs MUTATION_WEIGHT (a command is work whatever it returns);
 * - introspection (`__schema`, `__type`) costs INTROSPECTION_WEIGHT as a whole.
 *
 * Each fragment is costed once and reused wherever it is spread, so the time is linear in the
 * document however often fragments spread each other (`...F1 ...F1` thirty levels deep costs
 * 2^30 and is refused at once). Costs are JavaScript numbers: they may grow huge, never wrong.
 */
export const UNDECLARED_LIST_SIZE = 100;
export const MUTATION_WEIGHT = 10_000;
export const INTROSPECTION_WEIGHT = 5_000;

export interface FieldLimits {
  weight: number;
  list?: { max: number; sizeArgument?: string; sizedField?: string; defaultSize?: number };
}

/** `Type.field` → its declared weight and list size, read once from the schema's directives. */
export function declaredLimits(schema: GraphQLSchema): Map<string, FieldLimits> {
  const table = new Map<string, FieldLimits>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const limits: FieldLimits = { weight: 1 };
      for (const d of field.astNode?.directives ?? []) {
        const arg = (name: string) => d.arguments?.find((a) => a.name.value === name)?.value;
        if (d.name.value === 'cost') limits.weight = intOf(arg('weight')) ?? 1;
        if (d.name.value === 'listSize') {
          limits.list = {
            max: intOf(arg('max')) ?? UNDECLARED_LIST_SIZE,
            sizeArgument: stringOf(arg('sizeArgument')),
            sizedField: stringOf(arg('sizedField')),
            defaultSize: intOf(arg('defaultSize')),
          };
        }
      }
      table.set(`${type.name}.${field.name}`, limits);
    }
  }
  return table;
}

const intOf = (v: ValueNode | undefined) => (v?.kind === Kind.INT ? Number(v.value) : undefined);
const stringOf = (v: ValueNode | undefined) => (v?.kind === Kind.STRING ? v.value : undefined);

/** The limits of a field, as a sentence for its description (so clients see them in GraphiQL). */
export function describeLimits(field: FieldDefinitionNode): string | undefined {
  const arg = (directive: string, name: string) => field.directives?.find((d) => d.name.value === directive)?.arguments?.find((a) => a.name.value === name)?.value;
  const parts: string[] = [];
  const max = intOf(arg('listSize', 'max'));
  if (max !== undefined) {
    const sizeArgument = stringOf(arg('listSize', 'sizeArgument'));
    const defaultSize = intOf(arg('listSize', 'defaultSize'));
    parts.push(`at most ${max} items${sizeArgument ? ` (${sizeArgument} ≤ ${max})` : ''} / 最多 ${max} 条`);
    if (defaultSize !== undefined) parts.push(`${defaultSize} a page unless first or last says otherwise / 默认每页 ${defaultSize} 条`);
  }
  const weight = intOf(arg('cost', 'weight'));
  if (weight !== undefined) parts.push(`query cost ${weight} each / 查询代价 ${weight}`);
  return parts.length ? `[${parts.join('; ')}]` : undefined;
}

/** The SDL with each field's declared limits appended to its description. */
export function withLimitsInDescriptions(sdl: string): string {
  return print(
    visit(parse(sdl), {
      FieldDefinition(node) {
        const text = describeLimits(node);
        if (!text) return undefined;
        const old = node.description?.value;
        return { ...node, description: { kind: Kind.STRING, value: old ? `${old} ${text}` : text, block: false } };
      },
    }),
  );
}

const tables = new WeakMap<GraphQLSchema, Map<string, FieldLimits>>();
const limitsOf = (schema: GraphQLSchema) => {
  let table = tables.get(schema);
  if (!table) tables.set(schema, (table = declaredLimits(schema)));
  return table;
};

/**
 * The size a resolver may return for a list field, from its declaration: the size argument when
 * given (refused outside 1..max), else its default, else the maximum. The SQL LIMIT and the cost
 * estimate thus read the same number.
 */
export function declaredListSize(info: { schema: GraphQLSchema; parentType: { name: string }; fieldName: string }, asked: unknown): number {
  const list = limitsOf(info.schema).get(`${info.parentType.name}.${info.fieldName}`)?.list;
  if (!list) throw new Error(`${info.parentType.name}.${info.fieldName} declares no @listSize`);
  if (asked === undefined || asked === null) return list.max;
  if (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1 || asked > list.max) {
    throw new Refusal('VALIDATION_FAILED', `${list.sizeArgument ?? 'limit'} 须为 1 至 ${list.max} 之间的整数 (${list.sizeArgument ?? 'limit'} must be an integer from 1 to ${list.max})`, {
      field: list.sizeArgument,
    });
  }
  return asked;
}

/** Rejects operations whose estimated cost exceeds `limit`, before anything runs. */
export function queryCostRule(limit: number, variables: Record<string, unknown> = {}) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition: {
      enter(node) {
        const cost = operationCost(context, node, variables);
        if (cost > limit) {
          context.reportError(
            new GraphQLError(`查询过于复杂（估算代价 ${formatCost(cost)}，上限 ${limit}），请减少每页条数、别名或嵌套字段 (query too complex)`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX', cost: Number.isFinite(cost) && cost < Number.MAX_SAFE_INTEGER ? cost : String(cost), limit },
            }),
          );
        }
        return false;
      },
    },
  });
}

const formatCost = (cost: number) => (cost < 1e15 ? String(cost) : cost.toExponential(2));

/** The estimated cost of one operation of a document (exported for tests and tools). */
export function operationCost(context: ValidationContext, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  const schema = context.getSchema();
  const walk: Walk = {
    schema,
    limits: limitsOf(schema),
    variables: { ...defaultsOf(operation), ...variables },
    fragments: new Map(context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f])),
    fragmentCosts: new Map(),
  };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;
  if (operation.operation === 'mutation') return countRootFields(operation.selectionSet, walk) * MUTATION_WEIGHT + selectionCost(operation.selectionSet, root, walk);
  return selectionCost(operation.selectionSet, root, walk);
}

interface Walk {
  schema: GraphQLSchema;
  limits: Map<string, FieldLimits>;
  variables: Record<string, unknown>;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Each fragment's cost once computed (NaN while being computed: a cycle, refused elsewhere, costs 0 here). */
  fragmentCosts: Map<string, number>;
}

function defaultsOf(operation: OperationDefinitionNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue?.kind === Kind.INT) out[v.variable.name.value] = Number(v.defaultValue.value);
  }
  return out;
}

/** Inside a connection: its list field (`edges`) and the page size it holds. */
interface Sized {
  field: string;
  size: number;
}

function selectionCost(set: SelectionSetNode, parent: GraphQLNamedType, walk: Walk, sized?: Sized): number {
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.INLINE_FRAGMENT) {
      const type = s.typeCondition ? walk.schema.getType(s.typeCondition.name.value) : parent;
      cost += type ? selectionCost(s.selectionSet, type, walk, sized) : 0;
    } else if (s.kind === Kind.FRAGMENT_SPREAD) {
      cost += fragmentCost(s.name.value, walk, sized);
    } else {
      cost += fieldCost(s.name.value, s.arguments ?? [], s.selectionSet, parent, walk, sized);
    }
  }
  return cost;
}

function fragmentCost(name: string, walk: Walk, sized: Sized | undefined): number {
  const key = sized ? `${name}|${sized.field}:${sized.size}` : name;
  const known = walk.fragmentCosts.get(key);
  if (known !== undefined) return Number.isNaN(known) ? 0 : known;
  const fragment = walk.fragments.get(name);
  const type = fragment && walk.schema.getType(fragment.typeCondition.name.value);
  if (!fragment || !type) return 0;
  walk.fragmentCosts.set(key, NaN);
  const cost = selectionCost(fragment.selectionSet, type, walk, sized);
  walk.fragmentCosts.set(key, cost);
  return cost;
}

function fieldCost(
  name: string,
  args: readonly { name: { value: string }; value: ValueNode }[],
  selectionSet: SelectionSetNode | undefined,
  parent: GraphQLNamedType,
  walk: Walk,
  sized: Sized | undefined,
): number {
  if (name === '__typename') return 1;
  if (name === '__schema' || name === '__type') return INTROSPECTION_WEIGHT;
  const field: GraphQLField<unknown, unknown> | undefined = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
  // Unknown fields are refused by the schema's own rules; unions have only __typename directly.
  if (!field) return isUnionType(parent) ? 0 : 1;
  const limits = walk.limits.get(`${parent.name}.${name}`) ?? { weight: 1 };
  const isList = isListType(getNullableType(field.type));
  const type = getNamedType(field.type);
  if (limits.list?.sizedField) {
    // A connection: its `edges` (sizedField) hold the page; the rest (pageInfo, counts) is once.
    const page = { field: limits.list.sizedField, size: listSize(limits.list, field, args, walk) };
    return limits.weight + (selectionSet ? selectionCost(selectionSet, type, walk, page) : 0);
  }
  const size = sized?.field === name ? sized.size : limits.list ? listSize(limits.list, field, args, walk) : isList ? UNDECLARED_LIST_SIZE : 1;
  const count = isList ? size : 1;
  return count * (limits.weight + (selectionSet ? selectionCost(selectionSet, type, walk) : 0));
}

function listSize(list: NonNullable<FieldLimits['list']>, field: GraphQLField<unknown, unknown>, args: readonly { name: { value: string }; value: ValueNode }[], walk: Walk): number {
  if (!list.sizeArgument) return list.max;
  const argument = (name: string): unknown => {
    const given = args.find((a) => a.name.value === name)?.value;
    if (given?.kind === Kind.INT) return Number(given.value);
    if (given?.kind === Kind.VARIABLE) return walk.variables[given.name.value];
    return given === undefined ? undefined : null;
  };
  let asked = argument(list.sizeArgument);
  // A Relay connection is read `first` after a cursor or `last` before one; neither: its declared default.
  if (asked === undefined && list.sizeArgument === 'first' && field.args.some((a) => a.name === 'last')) asked = argument('last') ?? list.defaultSize;
  if (asked === undefined) asked = field.args.find((a) => a.name === list.sizeArgument)?.defaultValue;
  // A size outside 1..max is refused by the resolver; here it costs the maximum.
  return typeof asked === 'number' && Number.isInteger(asked) && asked >= 0 ? Math.min(asked, list.max) : list.max;
}

/**
 * Relay's page arguments of a connection field, its declared default filled in: `first` is the
 * declared `defaultSize` when neither `first` nor `last` is given, so the page read and the cost
 * estimated are the same number. Sizes outside 1..max are refused by the list itself.
 */
export function relayPage(
  info: { schema: GraphQLSchema; parentType: { name: string }; fieldName: string },
  args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null },
): { first?: number; after?: string; last?: number; before?: string } {
  const list = limitsOf(info.schema).get(`${info.parentType.name}.${info.fieldName}`)?.list;
  if (list?.defaultSize === undefined) throw new Error(`${info.parentType.name}.${info.fieldName} declares no @listSize(defaultSize:)`);
  const out: { first?: number; after?: string; last?: number; before?: string } = {};
  if (args.first != null) out.first = args.first;
  if (args.last != null) out.last = args.last;
  if (args.first == null && args.last == null) out.first = list.defaultSize;
  if (args.after != null) out.after = args.after;
  if (args.before != null) out.before = args.before;
  return out;
}

function countRootFields(set: SelectionSetNode, walk: Walk, seen = new Set<string>()): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n += s.name.value === '__typename' ? 0 : 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countRootFields(s.selectionSet, walk, seen);
    else if (!seen.has(s.name.value)) {
      // Executed once however often it is spread (graphql merges the fields), so counted once.
      seen.add(s.name.value);
      const f = walk.fragments.get(s.name.value);
      if (f) n += countRootFields(f.selectionSet, walk, seen);
    }
  }
  return n;
}
