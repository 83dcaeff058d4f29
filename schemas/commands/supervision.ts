import { z } from 'zod';
import { CommandId, Id, Text } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { MobileNumber, SupervisionClock } from '../events/supervision.ts';

/** 暂停计时: a leader of the recipient unit, or an inspector, stops a deadline's clock, with a reason. */
export const PauseSupervisionClock = defineCommand(
  'PauseSupervisionClock',
  z.object({ commandId: CommandId, documentId: Id, unitId: Id, clock: SupervisionClock, reason: Text(500) }),
);

/** 恢复计时: the deadline moves by the working time the clock was paused. */
export const ResumeSupervisionClock = defineCommand(
  'ResumeSupervisionClock',
  z.object({ commandId: CommandId, documentId: Id, unitId: Id, clock: SupervisionClock, note: Text(500).optional() }),
);

/** 手机号码 for reminders; an administrator sets it (null removes it). */
export const SetUserMobile = defineCommand('SetUserMobile', z.object({ commandId: CommandId, userId: Id, mobile: MobileNumber.nullable() }));

export const supervisionCommands = [PauseSupervisionClock, ResumeSupervisionClock, SetUserMobile] as const;
export type SupervisionCommandInput = CommandOf<(typeof supervisionCommands)[number]>;
