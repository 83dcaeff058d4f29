import type { z } from 'zod';
import type { DocType, Urgency } from '../../schemas/common.ts';
import type * as S from '../../schemas/events/supervision.ts';
import type { SupervisionClock, SupervisionEvent, WarningLevel } from '../../schemas/events/supervision.ts';
import type { Actor } from '../../schemas/common.ts';
import type { Decider } from '../domain/decider.ts';
import type { DeliveryState } from '../domain/delivery/state.ts';
import { refuse } from '../domain/refusal.ts';
import { beijingTime, type WorkingCalendar } from './calendar.ts';
import { addDuration, subtractDuration, type DeadlinePolicy, type Duration } from './policy.ts';

/**
 * The supervision of one delivery (`supervision-<documentId>.<unitId>`), as a pure decider.
 *
 * `ReviewDeadlines` (the jobs, actor SYSTEM) compares the delivery as its own stream tells it with
 * the supervision stream and the clock, and returns only what is missing: the deadline of each
 * running clock, a yellow warning once a deadline has passed, a red one once the red moment has
 * passed, and the clearing of active warnings once the clock has stopped. Because it only adds what
 * the stream lacks, a review repeated (a duplicate job, a restart after a crash, two servers) adds
 * nothing; and because it looks at when things happened rather than when it runs, a review that
 * comes late (a server down over a weekend, a ledger filled by the demo) still records every
 * warning that fell due, each with the moment it fell due.
 *
 * Pauses and resumptions are decided here too, with their reason.
 */

type Data<E extends { data: z.ZodType }> = z.infer<E['data']>;

interface ClockState {
  basisKey: string;
  sentEventId: string;
  dueAt: string;
  redAt: string;
  /** Levels raised for the current deadline. */
  raised: Set<WarningLevel>;
  /** Levels raised and not yet cleared. */
  active: Set<WarningLevel>;
  paused: { reason: string; at: string } | null;
  /** The clock's last DeadlineSet, for a resumption to move. */
  deadline: Data<typeof S.DeadlineSet>;
}

export interface SupervisionState {
  clocks: Partial<Record<SupervisionClock, ClockState>>;
}

export type SupervisionCommand =
  | { type: 'ReviewDeadlines'; data: { documentId: string; unitId: string } }
  | { type: 'PauseSupervisionClock'; data: { documentId: string; unitId: string; clock: SupervisionClock; reason: string } }
  | { type: 'ResumeSupervisionClock'; data: { documentId: string; unitId: string; clock: SupervisionClock; note?: string } };

export interface SupervisionContext {
  actor: Actor;
  now: string;
  delivery: DeliveryState;
  policy: DeadlinePolicy;
  calendar: WorkingCalendar;
  /** The unit's people at this moment, by role, from the directory. */
  people: { clerks: string[]; leaders: string[] };
}

export const initialSupervisionState = (): SupervisionState => ({ clocks: {} });

export function evolveSupervision(state: SupervisionState, event: SupervisionEvent): SupervisionState {
  const clocks = { ...state.clocks };
  switch (event.type) {
    case 'DeadlineSet': {
      const d = event.data;
      const previous = clocks[d.clock];
      const sameBasis = previous && previous.basisKey === d.basisKey;
      clocks[d.clock] = {
        basisKey: d.basisKey,
        sentEventId: d.sentEventId,
        dueAt: d.dueAt,
        redAt: d.redAt,
        // A resumption keeps the basis: what was raised stays raised; a new basis starts afresh.
        raised: sameBasis ? new Set(previous.raised) : new Set(),
        active: new Set(previous?.active ?? []),
        paused: sameBasis ? previous.paused : null,
        deadline: d,
      };
      break;
    }
    case 'WarningIssued': {
      const c = clocks[event.data.clock];
      if (c) clocks[event.data.clock] = { ...c, raised: new Set([...c.raised, event.data.level]), active: new Set([...c.active, event.data.level]) };
      break;
    }
    case 'WarningCleared': {
      const c = clocks[event.data.clock];
      if (c) clocks[event.data.clock] = { ...c, active: new Set([...c.active].filter((l) => !event.data.levels.includes(l))) };
      break;
    }
    case 'ClockPaused': {
      const c = clocks[event.data.clock];
      if (c) clocks[event.data.clock] = { ...c, paused: { reason: event.data.reason, at: event.data.pausedAt } };
      break;
    }
    case 'ClockResumed': {
      const c = clocks[event.data.clock];
      if (c) clocks[event.data.clock] = { ...c, paused: null };
      break;
    }
    default:
      return state;
  }
  return { clocks };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function describeDuration(d: Duration): string {
  if (d.hours !== undefined) return `${d.hours} 小时（含非办公时间）`;
  if (d.workingHours !== undefined) return `${d.workingHours} 个工作小时`;
  return `${d.workingDays} 个工作日`;
}

/** What a clock of the delivery runs from and to, as its stream tells it; null when the clock does not apply. */
interface ClockFacts {
  basisKey: string;
  rule: string;
  startedAt: number;
  dueAt: number;
  /** The meeting a 会议通知 calls: the red warning comes at the latest when it begins. */
  meetingAt?: number;
  /** When and why the clock stopped, if it has. */
  stopped: { at: number; reason: (typeof S.ClearReasons)[number] } | null;
  responsible: string[];
}

/**
 * When a 会议通知 is due: `before` its meeting, or when the meeting begins if it arrived later
 * than that; null when the meeting had begun before the clock started (the ordinary rule applies).
 */
function meetingDue(calendar: WorkingCalendar, startedAt: number, meetingAt: string | undefined, before: Duration): { dueAt: number; meetingAt: number } | null {
  if (meetingAt === undefined) return null;
  const meeting = Date.parse(meetingAt);
  if (meeting <= startedAt) return null;
  const cutoff = subtractDuration(calendar, meeting, before);
  return { dueAt: cutoff > startedAt ? cutoff : meeting, meetingAt: meeting };
}

function signClock(delivery: DeliveryState, policy: DeadlinePolicy, calendar: WorkingCalendar, people: SupervisionContext['people']): ClockFacts | null {
  const h = delivery.delivery;
  if (!h) return null;
  const duration = policy.signFor[h.urgency];
  const startedAt = Date.parse(h.deliveredAt);
  const byUrgency = addDuration(calendar, startedAt, duration);
  const meeting = meetingDue(calendar, startedAt, h.meetingAt, policy.meetingNotice.signBefore);
  const stopped = delivery.receivedAt
    ? { at: Date.parse(delivery.receivedAt), reason: 'signed' as const }
    : delivery.returned
      ? { at: Date.parse(delivery.returned.returnedAt), reason: 'returned' as const }
      : delivery.withdrawn
        ? { at: Date.parse(delivery.withdrawn.withdrawnAt), reason: 'withdrawn' as const }
        : null;
  const before = meeting !== null && meeting.dueAt < byUrgency;
  return {
    basisKey: `delivery:${h.sentEventId}`,
    rule: before ? `会议通知签收时限 会前 ${describeDuration(policy.meetingNotice.signBefore)}（会议 ${h.meetingAt}）` : `${h.urgency}签收时限 ${describeDuration(duration)}`,
    startedAt,
    dueAt: before ? meeting.dueAt : byUrgency,
    ...(meeting ? { meetingAt: meeting.meetingAt } : {}),
    stopped,
    responsible: people.clerks,
  };
}

/** The end of a due date's day (its last office closing), or the exact time given. */
const dueDateInstant = (calendar: WorkingCalendar, due: string): number =>
  /^\d{4}-\d{2}-\d{2}$/.test(due) ? beijingTime(due, calendar.spans.at(-1)!.end) : Date.parse(due);

function handleClock(delivery: DeliveryState, policy: DeadlinePolicy, calendar: WorkingCalendar, people: SupervisionContext['people']): ClockFacts | null {
  const h = delivery.delivery;
  if (!h || !delivery.receivedAt) return null;
  const a = delivery.assignment;
  const byType: Duration | undefined = policy.handling.byDocType[h.docType as z.infer<typeof DocType>];
  // A 会议通知 to a main recipient is handled before the meeting (an assignment's later due date too).
  const meeting = h.kind === 'main' ? meetingDue(calendar, Date.parse(delivery.receivedAt), h.meetingAt, policy.meetingNotice.handleBefore) : null;
  const meetingRule = `会议通知办理时限 会前 ${describeDuration(policy.meetingNotice.handleBefore)}（会议 ${h.meetingAt}）`;
  let basis: Pick<ClockFacts, 'basisKey' | 'rule' | 'startedAt' | 'dueAt' | 'meetingAt'>;
  if (a) {
    const assigned = dueDateInstant(calendar, a.dueDate);
    basis = { basisKey: `assignment:${h.sentEventId}:${a.assignedAt}`, rule: `承办期限 ${a.dueDate}`, startedAt: Date.parse(a.assignedAt), dueAt: assigned };
    if (meeting) basis = meeting.dueAt < assigned ? { ...basis, rule: meetingRule, dueAt: meeting.dueAt, meetingAt: meeting.meetingAt } : { ...basis, meetingAt: meeting.meetingAt };
  } else if (meeting) {
    basis = { basisKey: `meeting:${h.sentEventId}`, rule: meetingRule, startedAt: Date.parse(delivery.receivedAt), dueAt: meeting.dueAt, meetingAt: meeting.meetingAt };
  } else if (byType && h.kind === 'main') {
    const startedAt = Date.parse(delivery.receivedAt);
    basis = { basisKey: `doctype:${h.sentEventId}`, rule: `${h.docType}办理时限 ${describeDuration(byType)}`, startedAt, dueAt: addDuration(calendar, startedAt, byType) };
  } else {
    return null;
  }
  const stopped = delivery.completedAt
    ? { at: Date.parse(delivery.completedAt), reason: 'completed' as const }
    : delivery.filed
      ? { at: Date.parse(delivery.filed.filedAt), reason: 'filed' as const }
      : delivery.withdrawn
        ? { at: Date.parse(delivery.withdrawn.withdrawnAt), reason: 'withdrawn' as const }
        : null;
  const responsible = a?.assigneeUserId ? [a.assigneeUserId] : people.clerks;
  return { ...basis, stopped, responsible };
}

function review(state: SupervisionState, ctx: SupervisionContext): SupervisionEvent[] {
  const { delivery, policy, calendar, now } = ctx;
  const h = delivery.delivery;
  if (!h) return [];
  const nowMs = Date.parse(now);
  const out: SupervisionEvent[] = [];
  const versions = { policyVersion: policy.version, calendarVersion: calendar.version };
  const key = { documentId: h.documentId, unitId: h.unitId };
  const clocks: [SupervisionClock, ClockFacts | null][] = [
    ['sign', signClock(delivery, policy, calendar, ctx.people)],
    ['handle', handleClock(delivery, policy, calendar, ctx.people)],
  ];
  for (const [clock, facts] of clocks) {
    let c = state.clocks[clock];
    if (!facts) continue;
    if (!c || c.basisKey !== facts.basisKey) {
      // A new deadline: warnings of the old one end (the document was sent again, or reassigned).
      if (c && c.active.size > 0) {
        const reason = c.sentEventId !== h.sentEventId ? 'redelivered' : 'rescheduled';
        out.push({ type: 'WarningCleared', data: { ...key, clock, levels: [...c.active], reason, clearedAt: now } });
      }
      const afterDue = addDuration(calendar, facts.dueAt, policy.warnings.redAfter);
      // A meeting notice still lying when its meeting begins is red then: after it, it is moot.
      const redAt = facts.meetingAt !== undefined && facts.meetingAt > facts.dueAt ? Math.min(afterDue, facts.meetingAt) : afterDue;
      const set: Data<typeof S.DeadlineSet> = {
        ...key,
        clock,
        sentEventId: h.sentEventId,
        basisKey: facts.basisKey,
        rule: facts.rule,
        startedAt: iso(facts.startedAt),
        dueAt: iso(facts.dueAt),
        redAt: iso(redAt),
        provisional: calendar.isProvisional(facts.startedAt, redAt),
        ...versions,
        setAt: now,
      };
      out.push({ type: 'DeadlineSet', data: set });
      c = { basisKey: set.basisKey, sentEventId: set.sentEventId, dueAt: set.dueAt, redAt: set.redAt, raised: new Set(), active: new Set(), paused: null, deadline: set };
    }
    const stoppedAt = facts.stopped?.at ?? Number.POSITIVE_INFINITY;
    if (!c.paused) {
      for (const [level, at] of [['yellow', Date.parse(c.dueAt)], ['red', Date.parse(c.redAt)]] as const) {
        // Raised when its moment has come and the clock was still running then.
        if (c.raised.has(level) || at > nowMs || at >= stoppedAt) continue;
        const red = level === 'red';
        out.push({
          type: 'WarningIssued',
          data: {
            ...key,
            clock,
            level,
            escalation: red ? policy.escalation.red : policy.escalation.yellow,
            sentEventId: h.sentEventId,
            dueAt: c.dueAt,
            fellDueAt: iso(at),
            issuerUnitId: h.issuerUnitId,
            title: h.title,
            docNumber: h.docNumber,
            docType: h.docType,
            urgency: h.urgency as z.infer<typeof Urgency>,
            responsibleUnitId: h.unitId,
            responsibleUserIds: [...new Set(red ? [...facts.responsible, ...ctx.people.leaders] : facts.responsible)],
            ...versions,
          },
        });
        c = { ...c, raised: new Set([...c.raised, level]), active: new Set([...c.active, level]) };
      }
    }
    if (facts.stopped && c.active.size > 0) {
      out.push({ type: 'WarningCleared', data: { ...key, clock, levels: [...c.active], reason: facts.stopped.reason, clearedAt: iso(facts.stopped.at) } });
    }
  }
  return out;
}

/**
 * The next moment a review of this subject may find something to do (a warning falling due), or
 * null when every running clock has raised all it can; the jobs set a timer for it.
 */
export function nextCheckAt(state: SupervisionState, delivery: DeliveryState): string | null {
  let next = Number.POSITIVE_INFINITY;
  for (const clock of ['sign', 'handle'] as const) {
    const c = state.clocks[clock];
    if (!c || c.paused || clockStopped(delivery, clock)) continue;
    if (!c.raised.has('yellow')) next = Math.min(next, Date.parse(c.dueAt));
    else if (!c.raised.has('red')) next = Math.min(next, Date.parse(c.redAt));
  }
  return Number.isFinite(next) ? iso(next) : null;
}

export function clockStopped(delivery: DeliveryState, clock: SupervisionClock): boolean {
  if (delivery.status === 'returned' || delivery.status === 'withdrawn' || delivery.status === 'filed') return true;
  return clock === 'sign' ? delivery.receivedAt !== null : delivery.completedAt !== null;
}

function decide(command: SupervisionCommand, state: SupervisionState, ctx: SupervisionContext): SupervisionEvent[] {
  if (command.type === 'ReviewDeadlines') return review(state, ctx);
  const { documentId, unitId, clock } = command.data;
  if (ctx.actor.role !== 'INSPECTOR' && !(ctx.actor.role === 'LEADER' && ctx.actor.unitId === unitId)) {
    refuse('NOT_AUTHORISED', '只有本单位领导或纪检监察人员可以暂停或恢复计时 (only the unit\'s leaders or inspectors)');
  }
  const c = state.clocks[clock];
  if (!c || ctx.delivery.delivery === null) refuse('NOT_FOUND', `公文「${documentId}」在单位「${unitId}」没有正在计算的${clock === 'sign' ? '签收' : '办理'}时限 (no such deadline)`);
  if (clockStopped(ctx.delivery, clock)) refuse('INVALID_STATE', '该事项已办结或已签收，无需暂停或恢复计时 (the clock has stopped)');
  const by = ctx.actor.userId;
  if (command.type === 'PauseSupervisionClock') {
    if (c!.paused) refuse('INVALID_STATE', `计时已于 ${c!.paused.at} 暂停（${c!.paused.reason}）(already paused)`);
    return [{ type: 'ClockPaused', data: { documentId, unitId, clock, reason: command.data.reason, pausedBy: by, pausedAt: ctx.now } }];
  }
  if (!c!.paused) refuse('INVALID_STATE', '计时没有暂停，无需恢复 (not paused)');
  const paused = ctx.calendar.workingMsBetween(Date.parse(c!.paused!.at), Date.parse(ctx.now));
  // Working time lost to the pause is given back to both moments still ahead; a moment already
  // passed before the pause stays where it was (a pause does not undo a warning).
  const pausedAt = Date.parse(c!.paused!.at);
  const move = (at: string) => (Date.parse(at) > pausedAt ? iso(ctx.calendar.addWorkingTime(Date.parse(at), paused)) : at);
  return [
    { type: 'ClockResumed', data: { documentId, unitId, clock, ...(command.data.note ? { note: command.data.note } : {}), resumedBy: by, resumedAt: ctx.now, pausedWorkingMs: Math.round(paused) } },
    { type: 'DeadlineSet', data: { ...c!.deadline, dueAt: move(c!.dueAt), redAt: move(c!.redAt), rule: `${c!.deadline.rule.replace(/（计时暂停后顺延）$/, '')}（计时暂停后顺延）`, setAt: ctx.now } },
  ];
}

export const supervisionDecider: Decider<SupervisionState, SupervisionCommand, SupervisionEvent, SupervisionContext> = {
  initialState: initialSupervisionState,
  evolve: evolveSupervision,
  decide,
};
