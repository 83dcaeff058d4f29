import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import type { Ledger } from '../app/ledger.ts';
import { Refusal, refuse } from '../domain/refusal.ts';
import { apiEnum } from './enums.ts';
import { authenticate } from './authenticate.ts';
import { sendApiError } from './http-errors.ts';
import { supervisionReads } from './supervision-resolvers.ts';

type Row = Record<string, unknown>;
const MAX_ROWS = 20_000;

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; arrays joined with 、. */
export function toCsv(rows: readonly Row[], columns: readonly string[]): string {
  const cell = (v: unknown): string => {
    const text = v === null || v === undefined ? '' : Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x ? ((x as { name?: string; userId?: string }).name ?? (x as { userId?: string }).userId) : x)).join('、') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

/** UTF-8 with a byte-order mark (so Excel reads it as UTF-8), or GB18030 for older Excel and WPS. */
export function encodeCsv(text: string, encoding: 'utf-8' | 'gb18030'): Buffer {
  return encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

/**
 * A query-string argument that GraphQL types as an enum: the same API name as there (EXTRA_URGENT,
 * YELLOW, SIGN), read as the domain value behind it (特急, yellow, sign); absent when not given.
 */
export function domainValue(enumName: string, field: string, given: string | undefined): string | undefined {
  if (given === undefined || given === '') return undefined;
  const values = [...apiEnum(enumName).values];
  const found = values.find(([, v]) => v.name === given);
  if (found) return found[0];
  const names = values.map(([, v]) => v.name).join('、');
  return refuse('VALIDATION_FAILED', `「${field}」须为 ${names} 之一，收到 ${JSON.stringify(given)} (${field}: one of ${names})`, { [field]: given });
}

/**
 * GET /supervision/<table>.csv?<the GraphQL query's arguments>[&encoding=gb18030]: every supervision
 * table as a CSV download, read by the same functions (and the same access rules) as GraphQL; enum
 * arguments by the same names (urgency=EXTRA_URGENT). The cells keep the domain's terms (特急, yellow).
 * The basis of the figures (period, calendar and policy versions, ledger position) closes the file.
 */
export function registerSupervisionCsv(app: FastifyInstance, ledger: Ledger): void {
  const reads = supervisionReads(ledger);
  const all = async <T>(read: (after: string | undefined) => Promise<{ page: { items: T[]; endCursor: string | null; hasNextPage: boolean }; basis?: Row }>) => {
    const items: T[] = [];
    let after: string | undefined;
    let basis: Row | undefined;
    for (;;) {
      const { page, basis: b } = await read(after);
      items.push(...page.items);
      basis = b;
      if (!page.hasNextPage || items.length >= MAX_ROWS) return { items, basis };
      after = page.endCursor ?? undefined;
    }
  };
  const tables: Record<string, (p: any, q: Record<string, string>) => Promise<{ rows: Row[]; basis?: Row }>> = {
    overdue: async (p, q) => {
      const r = await all((after) => reads.overdue(p, { unitId: q.unitId, userId: q.userId, clock: domainValue('SupervisionClock', 'clock', q.clock) as never, urgency: domainValue('Urgency', 'urgency', q.urgency), first: 100, after }));
      return { rows: r.items as unknown as Row[], basis: r.basis };
    },
    sendersCheck: async (p, q) => {
      const r = await all((after) => reads.sendersCheck(p, { unitId: q.unitId, urgency: domainValue('Urgency', 'urgency', q.urgency), first: 100, after }));
      return { rows: r.items as unknown as Row[], basis: r.basis };
    },
    warnings: async (p, q) => {
      const args = {
        unitId: q.unitId,
        userId: q.userId,
        urgency: domainValue('Urgency', 'urgency', q.urgency),
        level: domainValue('WarningLevel', 'level', q.level) as never,
        clock: domainValue('SupervisionClock', 'clock', q.clock) as never,
        from: q.from,
        to: q.to,
        activeOnly: q.activeOnly === 'true',
      };
      const r = await all((after) => reads.warnings(p, { ...args, first: 100, after }));
      return { rows: r.items.map(({ timeline: _t, ...w }) => w), basis: r.basis };
    },
    unitStatistics: async (p, q) => {
      const r = await reads.unitStatistics(p, { month: q.month ?? '', unitId: q.unitId });
      return { rows: r.units as unknown as Row[], basis: r.basis };
    },
    unitRanking: async (p, q) => {
      const r = await reads.unitRanking(p, { month: q.month ?? '' });
      return { rows: r.units as unknown as Row[], basis: r.basis };
    },
    scorecard: async (p, q) => {
      const r = await reads.scorecard(p, { year: Number(q.year), unitId: q.unitId });
      return { rows: r.units as unknown as Row[], basis: r.basis };
    },
    dailyCheck: async (p, q) => {
      const r = await reads.dailyCheck(p, { day: q.day ?? '' });
      const rows: Row[] = [
        ...r.unsignedByUnit.map((u) => ({ day: r.day, item: 'unsigned', unitId: u.unitId, userId: '', unsigned: u.unsigned, overdue: u.overdue })),
        ...r.clerksWithoutSignIn.map((c) => ({ day: r.day, item: 'no-sign-in', unitId: c.unitId, userId: c.userId, unsigned: '', overdue: '' })),
      ];
      return { rows, basis: { period: r.day, calendarVersion: r.calendarVersion, policyVersion: r.policyVersion, computedAt: r.checkedAt } };
    },
    unverifiedEntries: async (p) => {
      const r = await all(async (after) => {
        const page = await reads.unverifiedEntries(p, { first: 100, after });
        return { page: { ...page, items: page.items.map((e) => ({ ...e, actor: e.actor.userId })) } };
      });
      return { rows: r.items as unknown as Row[] };
    },
  };

  app.get<{ Params: { file: string }; Querystring: Record<string, string> }>('/supervision/:file', async (request, reply) => {
    const table = /^(\w+)\.csv$/.exec(request.params.file)?.[1];
    const read = table ? tables[table] : undefined;
    if (!read) return sendApiError(request, reply, 'NOT_FOUND', `没有这张表：${request.params.file}；可下载 ${Object.keys(tables).map((t) => `${t}.csv`).join('、')} (no such table)`);
    const auth = await authenticate(ledger.store, request.headers.authorization, new Date());
    if (!auth.ok) return sendApiError(request, reply, 'UNAUTHENTICATED', auth.reason);
    const { encoding = 'utf-8', ...query } = request.query;
    if (encoding !== 'utf-8' && encoding !== 'gb18030') return sendApiError(request, reply, 'VALIDATION_FAILED', '编码须为 utf-8 或 gb18030 (encoding)');
    try {
      const { rows, basis } = await read(auth.principal, query);
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : ['(无数据)'];
      let text = toCsv(rows, columns);
      if (basis) text += `\r\n${toCsv([basis], Object.keys(basis))}`;
      return reply
        .header('content-type', `text/csv; charset=${encoding}`)
        .header('content-disposition', `attachment; filename="${table}.csv"`)
        .send(encodeCsv(text, encoding));
    } catch (error) {
      const e = error as { extensions?: { code?: string }; message: string };
      const code = error instanceof Refusal ? error.code : e.extensions?.code;
      if (!code) throw error;
      return sendApiError(request, reply, code, e.message);
    }
  });
}
