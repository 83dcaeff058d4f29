import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import * as audit from '../../projections/audit/queries.ts';
import * as S from '../../projections/supervision/queries.ts';
import type { Principal } from '../app/authorization.ts';
import type { Ledger } from '../app/ledger.ts';
import { refuse } from '../domain/refusal.ts';
import { beijingDay } from '../supervision/calendar.ts';
import { computeDailyCheck } from '../supervision/daily-check.ts';
import { monthRange, rankUnits, scorecard, unitMonthFigures } from '../supervision/statistics.ts';
import { apiError, guarded } from './errors.ts';
import { absentIfNull } from './query-resolvers.ts';
import { relayConnection } from './relay.ts';
import { requireInspector, supervisionScope, unitScope } from './read-access.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string } };

const Clocks = new Set(['sign', 'handle']);
const Levels = new Set(['yellow', 'red']);

function checkArgs(a: { clock?: string | null; level?: string | null; month?: string; day?: string; from?: string | null; to?: string | null; year?: number }): void {
  if (a.clock && !Clocks.has(a.clock)) refuse('VALIDATION_FAILED', '时限类别须为 sign(签收) 或 handle(办理) (clock: sign or handle)');
  if (a.level && !Levels.has(a.level)) refuse('VALIDATION_FAILED', '预警级别须为 yellow(黄牌) 或 red(红牌) (level: yellow or red)');
  if (a.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(a.month)) refuse('VALIDATION_FAILED', '月份须形如 2026-11 (month: YYYY-MM)');
  if (a.day !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(a.day) || Number.isNaN(Date.parse(a.day)))) refuse('VALIDATION_FAILED', '日期须形如 2026-11-30 (day: YYYY-MM-DD)');
  for (const t of [a.from, a.to]) if (t && Number.isNaN(Date.parse(t))) refuse('VALIDATION_FAILED', `时间「${t}」须为 ISO 8601 格式 (from/to: ISO time or date)`);
  if (a.year !== undefined && (!Number.isInteger(a.year) || a.year < 2000 || a.year > 2100)) refuse('VALIDATION_FAILED', '年度须为 2000 至 2100 之间的整数 (year)');
}

/**
 * The supervision reads, each a plain function of the caller and the arguments, for GraphQL and
 * for the CSV downloads alike (one place for each rule).
 */
export function supervisionReads(ledger: Ledger) {
  const pool = ledger.db.pool;
  const { calendar, policy } = ledger.supervision;
  const basis = (s: S.Snapshot, period: string, now: Date, provisional: boolean) => ({
    period,
    calendarVersion: calendar.version,
    policyVersion: policy.version,
    ledgerPosition: s.position,
    eventsApplied: s.eventsApplied,
    computedAt: now.toISOString(),
    provisional,
  });
  const overdueHours = (dueAt: string, until: number) => Math.round((calendar.workingMsBetween(Date.parse(dueAt), until) / 3600_000) * 100) / 100;
  const withHours = (page: S.Page<S.OverdueItem>, now: Date) => page.items.map((i) => ({ ...i, overdueWorkingHours: overdueHours(i.dueAt, now.getTime()) }));

  const months = (year: number) => Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);

  return {
    async overdue(p: User, a: { unitId?: string; userId?: string; clock?: string; urgency?: string; first: number; after?: string }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const page = await S.overdue(s.tx, { now, unitIds, userId: a.userId, clock: a.clock as never, urgency: a.urgency, first: a.first, after: a.after });
        return { items: withHours(page, now), page, basis: basis(s, `至 ${now.toISOString()}`, now, page.items.some((i) => i.provisional)) };
      });
    },
    async sendersCheck(p: User, a: { unitId?: string; urgency?: string; first: number; after?: string }) {
      const issuerUnitId = unitScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const page = await S.overdue(s.tx, { now, unitIds: null, issuerUnitId, urgency: a.urgency, first: a.first, after: a.after });
        return { items: withHours(page, now), page, basis: basis(s, `至 ${now.toISOString()}`, now, page.items.some((i) => i.provisional)) };
      });
    },
    async warnings(p: User, a: { unitId?: string; userId?: string; urgency?: string; level?: string; clock?: string; from?: string; to?: string; activeOnly?: boolean; first: number; after?: string }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const page = await S.warnings(s.tx, { unitIds, userId: a.userId, urgency: a.urgency, level: a.level as never, clock: a.clock as never, from: a.from, to: a.to, activeOnly: a.activeOnly, first: a.first, after: a.after });
        const timelines = await S.clockTimelines(s.tx, page.items);
        const items = page.items.map((w) => ({
          ...w,
          overdueWorkingHours: overdueHours(w.dueAt, w.clearedAt ? Date.parse(w.clearedAt) : now.getTime()),
          timeline: timelines.get(S.timelineKey(w.documentId, w.unitId, w.clock)) ?? [],
        }));
        const period = `${a.from ?? '…'} 至 ${a.to ?? now.toISOString()}`;
        return { items, page, basis: basis(s, period, now, false) };
      });
    },
    async unitStatistics(p: User, a: { month: string; unitId?: string }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      const { from, to } = monthRange(a.month);
      return S.inSnapshot(pool, async (s) => {
        const units = unitMonthFigures(await S.monthData(s.tx, from, to, unitIds), a.month, calendar, now);
        return { units, basis: basis(s, a.month, now, units.some((u) => u.provisional) || !calendar.isPublished(Number(a.month.slice(0, 4)))) };
      });
    },
    async unitRanking(p: User, a: { month: string }) {
      checkArgs(a);
      requireInspector(p);
      const now = new Date();
      const { from, to } = monthRange(a.month);
      return S.inSnapshot(pool, async (s) => {
        const units = rankUnits(unitMonthFigures(await S.monthData(s.tx, from, to, null), a.month, calendar, now));
        return { units, basis: basis(s, a.month, now, units.some((u) => u.provisional)) };
      });
    },
    async scorecard(p: User, a: { year: number; unitId?: string }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      const currentMonth = beijingDay(now.getTime()).slice(0, 7);
      return S.inSnapshot(pool, async (s) => {
        const perMonth = [];
        for (const month of months(a.year).filter((m) => m <= currentMonth)) {
          const { from, to } = monthRange(month);
          perMonth.push(unitMonthFigures(await S.monthData(s.tx, from, to, unitIds), month, calendar, now));
        }
        const units = scorecard(perMonth, a.year).sort((x, y) => y.score - x.score || (x.unitId < y.unitId ? -1 : 1));
        return { units, basis: basis(s, String(a.year), now, units.some((u) => u.provisional) || !calendar.isPublished(a.year)) };
      });
    },
    async dailyCheck(p: User, a: { day: string }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, null);
      const recorded = (await S.dailyCheck(pool, a.day)) as Awaited<ReturnType<typeof computeDailyCheck>> & { checkedAt: string; policyVersion: string; calendarVersion: string } | null;
      const check = recorded ?? { ...(await computeDailyCheck({ pool, now: () => new Date(), supervision: ledger.supervision }, a.day)), checkedAt: new Date().toISOString(), policyVersion: policy.version, calendarVersion: calendar.version };
      const mine = <T extends { unitId: string }>(rows: T[]) => (unitIds ? rows.filter((r) => unitIds.includes(r.unitId)) : rows);
      return { ...check, recorded: recorded !== null, unsignedByUnit: mine(check.unsignedByUnit), clerksWithoutSignIn: mine(check.clerksWithoutSignIn) };
    },
    async unverifiedEntries(p: User, a: { first?: number; after?: string; last?: number; before?: string }) {
      requireInspector(p);
      return audit.unverifiedEntries(pool, { first: a.first, after: a.after, last: a.last, before: a.before });
    },
  };
}

/** Forward-only pages: hasPreviousPage says whether the page was read after a cursor (as PageInfo describes). */
const connection = <T>(items: T[], page: { endCursor: string | null; hasNextPage: boolean }, after: unknown) => ({
  edges: items.map((node) => ({ node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor, hasPreviousPage: after != null, startCursor: null },
});

/** Relay's page arguments with null meaning absent (the first's SDL default applies when neither size is given). */
const absentIfNullArgs = (a: { first?: number | null; after?: string | null; last?: number | null; before?: string | null }) => ({
  first: a.first ?? undefined,
  after: a.after ?? undefined,
  last: a.last ?? undefined,
  before: a.before ?? undefined,
});

/** The GraphQL resolvers of schemas/graphql/supervision.graphql. */
export function supervisionResolvers(ledger: Ledger, log: FastifyBaseLogger): Record<string, (root: unknown, args: any, ctx: Ctx, info: GraphQLResolveInfo) => Promise<unknown>> {
  const reads = supervisionReads(ledger);
  // An argument written `null` means the same as leaving it out (its default, if it has one).
  const read =
    <A>(work: (p: User, args: A) => Promise<unknown>) =>
    (_root: unknown, args: A, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        return work(ctx.auth.principal, absentIfNull(args, info));
      });
  return {
    overdue: read(async (p, a: any) => {
      const r = await reads.overdue(p, a);
      return { ...connection(r.items, r.page, a.after), basis: r.basis };
    }),
    sendersCheck: read(async (p, a: any) => {
      const r = await reads.sendersCheck(p, a);
      return { ...connection(r.items, r.page, a.after), basis: r.basis };
    }),
    warnings: read(async (p, a: any) => {
      const r = await reads.warnings(p, a);
      return { ...connection(r.items, r.page, a.after), basis: r.basis };
    }),
    unitStatistics: read((p, a: any) => reads.unitStatistics(p, a)),
    unitRanking: read((p, a: any) => reads.unitRanking(p, a)),
    scorecard: read((p, a: any) => reads.scorecard(p, a)),
    dailyCheck: read((p, a: any) => reads.dailyCheck(p, a)),
    unverifiedEntries: read(async (p, a: any) =>
      relayConnection(await reads.unverifiedEntries(p, absentIfNullArgs(a)), (e) => ({ ...e, globalPosition: String(e.globalPosition), actorUserId: e.actor.userId, actorUnitId: e.actor.unitId, actorRole: e.actor.role })),
    ),
  };
}
