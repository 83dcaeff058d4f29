import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DocTypes, Urgencies } from '../../schemas/common.ts';
import { formatIssues } from '../../schemas/registry.ts';
import type { WorkingCalendar } from './calendar.ts';

/**
 * The deadline policy (时限规则) as data: a JSON file, validated here at start-up, versioned, and
 * named by its version in every deadline and warning computed with it. The default is
 * src/supervision/deadline-policy.json; GONGWEN_DEADLINE_POLICY names another file.
 */

const amount = (what: string) => z.number({ error: `${what}须为数字` }).finite().nonnegative(`${what}不能为负数 (must not be negative)`);

/**
 * A length of time: working hours or working days (office time only, on the working-day calendar),
 * or hours on the clock, which run outside office hours too (特急: 急事急办).
 */
export const Duration = z
  .strictObject({
    workingHours: amount('工作小时数').optional(),
    workingDays: amount('工作日数').optional(),
    hours: amount('小时数').optional(),
  })
  .refine((d) => [d.workingHours, d.workingDays, d.hours].filter((v) => v !== undefined).length === 1, '须且只须给出 workingHours、workingDays 或 hours 之一 (exactly one of workingHours, workingDays, hours)');
export type Duration = z.infer<typeof Duration>;

const byUrgency = z.strictObject(Object.fromEntries(Urgencies.map((u) => [u, Duration])) as Record<(typeof Urgencies)[number], typeof Duration>);
const byDocType = z.strictObject(Object.fromEntries(DocTypes.map((t) => [t, Duration.optional()])) as Record<(typeof DocTypes)[number], z.ZodOptional<typeof Duration>>);

export const DeadlinePolicy = z.strictObject({
  version: z.string().regex(/^[0-9A-Za-z._-]{1,32}$/, '版本号须为 1 至 32 位字母、数字、点、下划线或连字符'),
  description: z.string().max(1000).optional(),
  /** 签收时限 by urgency (特急 / 加急 / 平件; another key is refused). */
  signFor: byUrgency,
  handling: z.strictObject({
    /** 办理时限 by 文种 when the assignment names no due date (请示: 10 working days). */
    byDocType: byDocType,
  }),
  /**
   * A 会议通知 is due before its meeting: signed for this long before it at the latest
   * (`signBefore`, or by its urgency's deadline if that is earlier), and handled (attendees named,
   * 回执 sent) `handleBefore` it. A notice arriving after that moment is due when the meeting begins.
   */
  meetingNotice: z.strictObject({
    signBefore: Duration,
    handleBefore: Duration,
  }),
  warnings: z.strictObject({
    /** Yellow is raised at the deadline; red this long after it. */
    redAfter: Duration,
  }),
  /** What a warning means for the unit: yellow a 催办 to the clerk, red a 督办 to the leaders too. */
  escalation: z.strictObject({ yellow: z.literal('催办'), red: z.literal('督办') }),
  reminders: z.strictObject({
    /** A reminder goes to the responsible clerk this long before a deadline. */
    beforeDeadline: Duration,
  }),
});
export type DeadlinePolicy = z.infer<typeof DeadlinePolicy>;

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('./deadline-policy.json', import.meta.url));

export class PolicyError extends Error {
  constructor(file: string, detail: string) {
    super(`时限规则文件 ${file} 有误 (invalid deadline policy): ${detail}`);
    this.name = 'PolicyError';
  }
}

/** Parses a policy; every problem names its field (e.g. `signFor.特急.hours: 小时数不能为负数`). */
export function parsePolicy(json: unknown, file = '(inline)'): DeadlinePolicy {
  const parsed = DeadlinePolicy.safeParse(json);
  if (!parsed.success) throw new PolicyError(file, formatIssues(parsed.error));
  return parsed.data;
}

export function loadPolicy(file: string = DEFAULT_POLICY_FILE): DeadlinePolicy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicyError(file, (error as Error).message);
  }
  return parsePolicy(json, file);
}

/** The instant a duration before `toMs` begins, on the calendar. */
export function subtractDuration(calendar: WorkingCalendar, toMs: number, d: Duration): number {
  if (d.hours !== undefined) return toMs - d.hours * 3600_000;
  if (d.workingHours !== undefined) return calendar.subtractWorkingTime(toMs, d.workingHours * 3600_000);
  return calendar.subtractWorkingTime(toMs, d.workingDays! * calendar.dayMinutes * 60_000);
}

/** The instant a duration after `fromMs` ends, on the calendar. */
export function addDuration(calendar: WorkingCalendar, fromMs: number, d: Duration): number {
  if (d.hours !== undefined) return fromMs + d.hours * 3600_000;
  if (d.workingHours !== undefined) return calendar.addWorkingTime(fromMs, d.workingHours * 3600_000);
  return calendar.addWorkingDays(fromMs, d.workingDays!);
}
