import { GraphQLError, GraphQLScalarType, Kind, type ASTVisitor, type ValidationContext, type ValueNode } from 'graphql';
import { getNamedType, isInputObjectType } from 'graphql';

/**
 * RFC 3339 with an explicit offset (Z or ±hh:mm): the one form of an instant in the API, so that
 * a time never depends on the server's or the client's zone.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const isInstant = (v: unknown): v is string => typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
export const isDate = (v: unknown): v is string => typeof v === 'string' && DATE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

export const DATE_TIME_MESSAGE = '时间须为 RFC 3339 格式并带时区偏移，如 2026-12-01T09:00:00+08:00 (an RFC 3339 time with its offset)';
export const DUE_DATE_MESSAGE = '办理期限须为日期 2026-12-10 或带时区偏移的 RFC 3339 时间 (a date or an RFC 3339 time with its offset)';

const outputInstant = (value: unknown): string => {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (isInstant(value)) return value;
  throw new GraphQLError(`not an RFC 3339 instant: ${String(value)}`);
};

const scalar = (name: string, description: string, valid: (v: unknown) => v is string, message: string, serialize: (v: unknown) => string) =>
  new GraphQLScalarType({
    name,
    description,
    serialize,
    parseValue(value) {
      if (!valid(value)) throw new GraphQLError(message, { extensions: { code: 'VALIDATION_FAILED' } });
      return value;
    },
    parseLiteral(node) {
      // An invalid literal is reported by literalTimesRule, which names the argument.
      return node.kind === Kind.STRING && valid(node.value) ? node.value : undefined;
    },
  });

export const DateTime = scalar(
  'DateTime',
  '时刻：RFC 3339 格式并带时区偏移，如 2026-12-01T09:00:00+08:00 (an instant, RFC 3339 with its offset)',
  isInstant,
  DATE_TIME_MESSAGE,
  outputInstant,
);

export const DueDate = scalar(
  'DueDate',
  '办理期限：日期 2026-12-10（当日之内）或带时区偏移的 RFC 3339 时刻 (a due date: a calendar date, or an instant)',
  (v): v is string => isDate(v) || isInstant(v),
  DUE_DATE_MESSAGE,
  (v) => (isDate(v) ? v : outputInstant(v)),
);

const checks: Record<string, { valid: (v: unknown) => boolean; message: string }> = {
  DateTime: { valid: isInstant, message: DATE_TIME_MESSAGE },
  DueDate: { valid: (v) => isDate(v) || isInstant(v), message: DUE_DATE_MESSAGE },
};

/**
 * Literal times in a query (`from: "yesterday"`) refused as VALIDATION_FAILED naming the argument
 * or input field; graphql's own message names only the type. Variables are checked by the
 * scalars themselves (graphql's message names the variable).
 */
export function literalTimesRule(context: ValidationContext): ASTVisitor {
  const check = (node: ValueNode, field: string) => {
    const type = context.getInputType();
    const named = type && getNamedType(type);
    const rule = named && !isInputObjectType(named) ? checks[named.name] : undefined;
    if (!rule || node.kind !== Kind.STRING || rule.valid(node.value)) return;
    context.reportError(new GraphQLError(`「${field}」${rule.message}，收到 ${JSON.stringify(node.value)}`, { nodes: node, extensions: { code: 'VALIDATION_FAILED', field } }));
  };
  return {
    Argument: (node) => check(node.value, node.name.value),
    ObjectField: (node) => check(node.value, node.name.value),
  };
}

// ---- Calendar days and months: the supervision's periods (unitStatistics, unitRanking, dailyCheck) ----

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
export const isMonth = (v: unknown): v is string => typeof v === 'string' && MONTH.test(v);

export const DATE_MESSAGE = '日期须为实有的日期，形如 2026-11-30 (a calendar date, YYYY-MM-DD)';
export const MONTH_MESSAGE = '月份须形如 2026-11，月为 01 至 12 (a month, YYYY-MM)';

/** A day of the calendar (Beijing's, as the supervision counts days), no time and no zone. */
export const CalendarDate = scalar('Date', '日期：YYYY-MM-DD，如 2026-11-30（北京时间的一天）(a calendar day)', isDate, DATE_MESSAGE, (v) => {
  if (isDate(v)) return v;
  throw new GraphQLError(`not a calendar date: ${String(v)}`);
});

/** A month of the calendar, YYYY-MM. */
export const Month = scalar('Month', '月份：YYYY-MM，如 2026-11 (a month)', isMonth, MONTH_MESSAGE, (v) => {
  if (isMonth(v)) return v;
  throw new GraphQLError(`not a month: ${String(v)}`);
});

checks.Date = { valid: isDate, message: DATE_MESSAGE };
checks.Month = { valid: isMonth, message: MONTH_MESSAGE };
