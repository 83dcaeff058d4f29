import type { z } from 'zod';
import * as C from '../../../schemas/commands/supervision.ts';
import type { UserMobileSet } from '../../../schemas/events/supervision.ts';
import type { Decider, DecisionContext } from '../../domain/decider.ts';
import { deliveryDecider } from '../../domain/delivery/index.ts';
import { requireManagerOf } from '../../domain/directory/user/authority.ts';
import type { UserState } from '../../domain/directory/user/state.ts';
import { refuse } from '../../domain/refusal.ts';
import { streams } from '../../domain/streams.ts';
import { supervisionDecider, type SupervisionCommand } from '../../supervision/decide.ts';
import { unitPeople } from '../../supervision/review.ts';
import { handleCommand } from '../handle-command.ts';
import { actorIsCityOfficeSuperAdmin, loadState, loadUser, retryPolicy } from './deps.ts';
import type { CommandRoute } from './route.ts';

type PauseData = z.infer<typeof C.PauseSupervisionClock.input>;

/** 暂停 / 恢复计时 on `supervision-<documentId>.<unitId>`, decided by the supervision decider. */
function clockRoute(definition: typeof C.PauseSupervisionClock | typeof C.ResumeSupervisionClock): CommandRoute<PauseData> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.supervision(inv.data.documentId, inv.data.unitId),
          decider: supervisionDecider,
          context: async () => ({
            actor: inv.actor,
            now: inv.now,
            delivery: (await loadState(deps.store, deliveryDecider, streams.delivery(inv.data.documentId, inv.data.unitId))).state,
            policy: deps.supervision.policy,
            calendar: deps.supervision.calendar,
            people: await unitPeople(deps.pool, inv.data.unitId),
          }),
        },
        { command: { type: definition.type, data: inv.data } as SupervisionCommand, ...inv },
        retryPolicy(deps),
      ),
  };
}

type MobileEvent = { type: 'UserMobileSet'; data: z.infer<typeof UserMobileSet.data> };
interface ContactContext extends DecisionContext {
  user: UserState;
  actorIsCityOfficeSuperAdmin: boolean;
}

/** `contact-<userId>`: a user's mobile number, set only by an administrator who manages that user. */
const contactDecider: Decider<{ mobile: string | null }, { type: 'SetUserMobile'; data: z.infer<typeof C.SetUserMobile.input> }, MobileEvent, ContactContext> = {
  initialState: () => ({ mobile: null }),
  evolve: (_s, e) => ({ mobile: e.data.mobile }),
  decide(command, state, ctx) {
    const user = ctx.user;
    if (!user.exists) return refuse('NOT_FOUND', `用户「${command.data.userId}」不存在 (no such user)`);
    requireManagerOf(ctx, user, { allowSelf: false });
    if (state.mobile === command.data.mobile) return [];
    return [{ type: 'UserMobileSet', data: { userId: user.userId, unitId: user.unitId, mobile: command.data.mobile, setBy: ctx.actor.userId } }];
  },
};

const setMobileRoute: CommandRoute<z.infer<typeof C.SetUserMobile.input>> = {
  definition: C.SetUserMobile,
  run: (deps, inv) =>
    handleCommand(
      deps.store,
      {
        streamId: streams.contact(inv.data.userId),
        decider: contactDecider,
        context: async () => ({
          actor: inv.actor,
          now: inv.now,
          user: await loadUser(deps.store, inv.data.userId),
          actorIsCityOfficeSuperAdmin: await actorIsCityOfficeSuperAdmin(deps.store, inv.actor),
        }),
      },
      { command: { type: 'SetUserMobile', data: inv.data }, ...inv },
      retryPolicy(deps),
    ),
};

export const supervisionRoutes: Record<string, CommandRoute> = {
  PauseSupervisionClock: clockRoute(C.PauseSupervisionClock),
  ResumeSupervisionClock: clockRoute(C.ResumeSupervisionClock),
  SetUserMobile: setMobileRoute,
};
