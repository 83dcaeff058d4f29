import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import * as audit from '../../projections/audit/queries.ts';
import * as S from '../../projections/supervision/queries.ts';
import type { Principal } from '../app/authorization.ts';
import type { Ledger } from '../app/ledger.ts';
import { refuse } from '../domain/refusal.ts';
import type { SupervisionClock, WarningLevel } from '../../schemas/events/supervision.ts';
import { beijingDay } from '../supervision/calendar.ts';
import { computeDailyCheck } from '../supervision/daily-check.ts';
import { monthRange, rankUnits, scorecard, unitMonthFigures } from '../supervision/statistics.ts';
import { apiError, guarded } from './errors.ts';
import { absentIfNull } from './query-resolvers.ts';
import { relayConnection, selectsField } from './relay.ts';
import { relayPage } from './query-cost.ts';
import { DATE_MESSAGE, DATE_TIME_MESSAGE, isDate, isInstant, isMonth, MONTH_MESSAGE } from './scalars.ts';
import type { PageArgs } from '../../projections/shared/keyset.ts';
import { requireInspector, supervisionScope, unitScope } from './read-access.ts';

type User = Extract<Principal, { kind: 'user' }>;
type Ctx = { auth: { ok: true; principal: User } | { ok: false; reason: string } };

/**
 * The arguments the SDL's scalars check (Month, Date, DateTime), checked again here for the CSV
 * downloads, which take the same arguments from a query string: one message for each, the scalar's.
 */
function checkArgs(a: { month?: string; day?: string; from?: string | null; to?: string | null; year?: number }): void {
  if (a.month !== undefined && !isMonth(a.month)) refuse('VALIDATION_FAILED', `「month」${MONTH_MESSAGE}，收到 ${JSON.stringify(a.month)}`, { month: a.month });
  if (a.day !== undefined && !isDate(a.day)) refuse('VALIDATION_FAILED', `「day」${DATE_MESSAGE}，收到 ${JSON.stringify(a.day)}`, { day: a.day });
  for (const [field, t] of [['from', a.from], ['to', a.to]] as const) {
    if (t != null && !isInstant(t)) refuse('VALIDATION_FAILED', `「${field}」${DATE_TIME_MESSAGE}，收到 ${JSON.stringify(t)}`, { [field]: t });
  }
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
  const withHours = (page: S.Connection<S.OverdueItem>, now: Date) => ({ ...page, items: page.items.map((i) => ({ ...i, overdueWorkingHours: overdueHours(i.dueAt, now.getTime()) })) });
  /**
   * The list's size, counted inside the snapshot (with the figures and the basis it states) when
   * the caller asks for it (`count`): the snapshot's connection goes back to the pool before
   * GraphQL resolves the connection's fields.
   */
  const counted = async <C extends { totalCount: () => Promise<number> }>(page: C, count: boolean | undefined): Promise<C> => {
    const total = count ? await page.totalCount() : undefined;
    return {
      ...page,
      totalCount: async () => {
        if (total === undefined) throw new Error('totalCount was not counted in the snapshot: pass count: true');
        return total;
      },
    };
  };

  const months = (year: number) => Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);

  return {
    // The lists take domain values (特急, sign, yellow): the schema's enums map the API's names to them.
    async overdue(p: User, a: Counted & { unitId?: string; userId?: string; clock?: SupervisionClock; urgency?: string }) {
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const page = withHours(await counted(await S.overdue(s.tx, { ...pageOf(a), now, unitIds, userId: a.userId, clock: a.clock, urgency: a.urgency }), a.count), now);
        return { page, basis: basis(s, `至 ${now.toISOString()}`, now, page.items.some((i) => i.provisional)) };
      });
    },
    async sendersCheck(p: User, a: Counted & { unitId?: string; urgency?: string }) {
      const issuerUnitId = unitScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const page = withHours(await counted(await S.overdue(s.tx, { ...pageOf(a), now, unitIds: null, issuerUnitId, urgency: a.urgency }), a.count), now);
        return { page, basis: basis(s, `至 ${now.toISOString()}`, now, page.items.some((i) => i.provisional)) };
      });
    },
    async warnings(p: User, a: Counted & { unitId?: string; userId?: string; urgency?: string; level?: WarningLevel; clock?: SupervisionClock; from?: string; to?: string; activeOnly?: boolean }) {
      checkArgs(a);
      const unitIds = supervisionScope(p, a.unitId);
      const now = new Date();
      return S.inSnapshot(pool, async (s) => {
        const found = await counted(await S.warnings(s.tx, { ...pageOf(a), unitIds, userId: a.userId, urgency: a.urgency, level: a.level, clock: a.clock, from: a.from, to: a.to, activeOnly: a.activeOnly }), a.count);
        const timelines = await S.clockTimelines(s.tx, found.items);
        const items = found.items.map((w) => ({
          ...w,
          overdueWorkingHours: overdueHours(w.dueAt, w.clearedAt ? Date.parse(w.clearedAt) : now.getTime()),
          timeline: timelines.get(S.timelineKey(w.documentId, w.unitId, w.clock)) ?? [],
        }));
        const period = `${a.from ?? '…'} 至 ${a.to ?? now.toISOString()}`;
        return { page: { ...found, items }, basis: basis(s, period, now, false) };
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
    async unverifiedEntries(p: User, a: PageArgs) {
      requireInspector(p);
      return audit.unverifiedEntries(pool, pageOf(a));
    },
  };
}

/** Relay's page arguments; `count`: the query asks for the list's totalCount. */
type Counted = PageArgs & { count?: boolean };

/** Relay's page arguments, null meaning absent. */
const pageOf = (a: PageArgs): PageArgs => ({ first: a.first ?? undefined, after: a.after ?? undefined, last: a.last ?? undefined, before: a.before ?? undefined });

/** The GraphQL resolvers of schemas/graphql/supervision.graphql. */
export function supervisionResolvers(ledger: Ledger, log: FastifyBaseLogger): Record<string, (root: unknown, args: any, ctx: Ctx, info: GraphQLResolveInfo) => Promise<unknown>> {
  const reads = supervisionReads(ledger);
  // An argument written `null` means the same as leaving it out (its default, if it has one).
  const read =
    <A>(work: (p: User, args: A, info: GraphQLResolveInfo) => Promise<unknown>) =>
    (_root: unknown, args: A, ctx: Ctx, info: GraphQLResolveInfo) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        return work(ctx.auth.principal, absentIfNull(args, info), info);
      });
  return {
    overdue: read(async (p, a: any, info) => {
      const r = await reads.overdue(p, { ...a, ...relayPage(info, a), count: selectsField(info, 'totalCount') });
      return { ...relayConnection(r.page), basis: r.basis };
    }),
    sendersCheck: read(async (p, a: any, info) => {
      const r = await reads.sendersCheck(p, { ...a, ...relayPage(info, a), count: selectsField(info, 'totalCount') });
      return { ...relayConnection(r.page), basis: r.basis };
    }),
    warnings: read(async (p, a: any, info) => {
      const r = await reads.warnings(p, { ...a, ...relayPage(info, a), count: selectsField(info, 'totalCount') });
      return { ...relayConnection(r.page), basis: r.basis };
    }),
    unitStatistics: read((p, a: any) => reads.unitStatistics(p, a)),
    unitRanking: read((p, a: any) => reads.unitRanking(p, a)),
    scorecard: read((p, a: any) => reads.scorecard(p, a)),
    dailyCheck: read((p, a: any) => reads.dailyCheck(p, a)),
    unverifiedEntries: read(async (p, a: any, info) =>
      relayConnection(await reads.unverifiedEntries(p, relayPage(info, a)), (e) => ({ ...e, globalPosition: String(e.globalPosition), actorUserId: e.actor.userId, actorUnitId: e.actor.unitId, actorRole: e.actor.role })),
    ),
  };
}
