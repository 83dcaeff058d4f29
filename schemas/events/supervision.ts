import { z } from 'zod';
import { Actor, DocType, Id, Text, Timestamp, Urgency } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';

/**
 * 电子监察. Events of `supervision-<documentId>.<unitId>` (one per delivery, beside its
 * `delivery-` stream): the deadlines of that copy's two clocks — 签收 (sign) and 办理 (handle) —
 * and the warnings raised and cleared on them. Written by the ledger's supervision jobs (actor
 * SYSTEM), except pauses and resumptions, which a leader or inspector decides with a reason.
 *
 * Also: `signin-<userId>.<day>` (UserSignedIn, once per user and Beijing day, for the daily check),
 * `contact-<userId>` (UserMobileSet: the directory's mobile number, set by an administrator) and
 * `dailycheck-<day>` (DailyCheckRecorded).
 *
 * Every deadline and warning names the policy and calendar versions it was computed with, so a
 * figure an inspector quotes can be recomputed.
 */

const UserId = Actor.shape.userId;
const Key = { documentId: Id, unitId: Id } as const;
export const SupervisionClocks = ['sign', 'handle'] as const;
export const SupervisionClock = z.enum(SupervisionClocks, { error: '时限类别须为 sign(签收) 或 handle(办理)' });
export type SupervisionClock = z.infer<typeof SupervisionClock>;
export const WarningLevel = z.enum(['yellow', 'red'], { error: '预警级别须为 yellow(黄牌) 或 red(红牌)' });
export type WarningLevel = z.infer<typeof WarningLevel>;
const Versions = { policyVersion: z.string().min(1).max(64), calendarVersion: z.string().min(1).max(200) } as const;

/** A clock's deadline: first computed from the policy, again after an assignment or a resumption. */
export const DeadlineSet = defineEvent(
  'DeadlineSet',
  1,
  z.strictObject({
    ...Key,
    clock: SupervisionClock,
    /** The delivery (DocumentDelivered.sentEventId) the deadline belongs to: a new sending starts afresh. */
    sentEventId: z.uuid(),
    /** What the deadline was computed from (the delivery, the assignment, a resumption): a new basis, a new deadline. */
    basisKey: z.string().min(1).max(200),
    /** In words, e.g. 特急：2 小时（含非办公时间）. */
    rule: Text(200),
    startedAt: Timestamp,
    dueAt: Timestamp,
    /** When a red warning follows if the clock is still running. */
    redAt: Timestamp,
    /** The calendar for a year the State Council has not yet published was assumed (weekends only). */
    provisional: z.boolean(),
    ...Versions,
    setAt: Timestamp,
  }),
);

/** 黄牌 (at the deadline) or 红牌 (one working day later, by default): a 催办 or 督办 to the people named. */
export const WarningIssued = defineEvent(
  'WarningIssued',
  1,
  z.strictObject({
    ...Key,
    clock: SupervisionClock,
    level: WarningLevel,
    escalation: z.enum(['催办', '督办']),
    sentEventId: z.uuid(),
    dueAt: Timestamp,
    /** The working moment the warning fell due (the deadline, or the red moment); the event's recordedAt says when it was raised. */
    fellDueAt: Timestamp,
    issuerUnitId: Id,
    title: Text(500),
    docNumber: Text(64),
    docType: DocType,
    urgency: Urgency,
    /** The unit answerable, and its people at that moment: the clerks (签收), the assignee (办理), and for 督办 the leaders. */
    responsibleUnitId: Id,
    responsibleUserIds: z.array(UserId),
    ...Versions,
  }),
);

export const ClearReasons = ['signed', 'returned', 'withdrawn', 'completed', 'filed', 'rescheduled', 'redelivered'] as const;

/** The clock stopped (签收, 办结 …) or the deadline moved: the active warnings of the clock end. */
export const WarningCleared = defineEvent(
  'WarningCleared',
  1,
  z.strictObject({
    ...Key,
    clock: SupervisionClock,
    levels: z.array(WarningLevel).min(1),
    reason: z.enum(ClearReasons),
    clearedAt: Timestamp,
  }),
);

/** A clock stopped with a reason (e.g. 等待上级答复): no warning falls due while it is paused. */
export const ClockPaused = defineEvent(
  'ClockPaused',
  1,
  z.strictObject({ ...Key, clock: SupervisionClock, reason: Text(500), pausedBy: UserId, pausedAt: Timestamp }),
);

/** The clock runs again; the DeadlineSet after it moves the deadline by the working time paused. */
export const ClockResumed = defineEvent(
  'ClockResumed',
  1,
  z.strictObject({ ...Key, clock: SupervisionClock, note: Text(500).optional(), resumedBy: UserId, resumedAt: Timestamp, pausedWorkingMs: z.number().int().nonnegative() }),
);

/** The first successful sign-in of a user on a Beijing day (the daily check's 登录 record). */
export const UserSignedIn = defineEvent('UserSignedIn', 1, z.strictObject({ userId: Id, unitId: Id, day: z.iso.date(), signedInAt: Timestamp }));

/** 手机号码 for reminders (短信). Only administrators set it; null removes it. */
export const MobileNumber = z.string().regex(/^1[3-9][0-9]{9}$/, '手机号码须为 11 位中国大陆手机号 (mobile: 11 digits starting with 1)');
export const UserMobileSet = defineEvent('UserMobileSet', 1, z.strictObject({ userId: Id, unitId: Id, mobile: MobileNumber.nullable(), setBy: UserId }));

/** 每日检查 at a working day's close: units with unsigned deliveries, clerks who never signed in. */
export const DailyCheckRecorded = defineEvent(
  'DailyCheckRecorded',
  1,
  z.strictObject({
    day: z.iso.date(),
    unsignedByUnit: z.array(z.strictObject({ unitId: Id, unsigned: z.number().int().positive(), overdue: z.number().int().nonnegative() })),
    clerksWithoutSignIn: z.array(z.strictObject({ userId: Id, unitId: Id })),
    ...Versions,
    checkedAt: Timestamp,
  }),
);

export const supervisionEvents = [DeadlineSet, WarningIssued, WarningCleared, ClockPaused, ClockResumed, UserSignedIn, UserMobileSet, DailyCheckRecorded] as const;
export type SupervisionEvent = EventOf<(typeof supervisionEvents)[number]>;
