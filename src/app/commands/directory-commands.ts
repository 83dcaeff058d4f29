import * as C from '../../../schemas/commands/directory.ts';
import type { CommandDefinition } from '../../../schemas/define.ts';
import { unitDecider, userDecider } from '../../domain/directory/index.ts';
import { streams } from '../../domain/streams.ts';
import { handleCommand } from '../handle-command.ts';
import { actorIsCityOfficeSuperAdmin, categoryHasStreams, loadUnits, retryPolicy, unitStatusLookup } from './deps.ts';
import type { CommandRoute } from './route.ts';

function unitRoute(definition: CommandDefinition): CommandRoute<{ unitId: string; parentUnitId?: string }> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.unit(inv.data.unitId),
          decider: unitDecider,
          context: async () => ({
            actor: inv.actor,
            now: inv.now,
            actorIsCityOfficeSuperAdmin: await actorIsCityOfficeSuperAdmin(deps.store, inv.actor),
            unitStatus: unitStatusLookup(await loadUnits(deps.store, [inv.data.unitId, ...(inv.data.parentUnitId ? [inv.data.parentUnitId] : [])])),
            cityHasUnits: await categoryHasStreams(deps.pool, 'unit'),
          }),
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

function userRoute(definition: CommandDefinition): CommandRoute<{ userId: string; unitId?: string }> {
  return {
    definition,
    subjectUserId: (data) => data.userId,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.user(inv.data.userId),
          decider: userDecider,
          async context(state) {
            const unitIds = [inv.actor.unitId, ...(inv.data.unitId ? [inv.data.unitId] : []), ...(state.exists ? [state.unitId] : [])];
            const units = await loadUnits(deps.store, unitIds);
            return {
              actor: inv.actor,
              now: inv.now,
              actorIsCityOfficeSuperAdmin: await actorIsCityOfficeSuperAdmin(deps.store, inv.actor),
              unitStatus: unitStatusLookup(units),
              unitKind: (unitId: string) => {
                const u = units.get(unitId);
                return u && u.status !== 'none' ? u.kind : undefined;
              },
              citySuperAdminExists: await categoryHasStreams(deps.pool, 'user'),
            };
          },
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

export const directoryRoutes: Record<string, CommandRoute> = {
  ...Object.fromEntries(C.unitCommands.map((d) => [d.type, unitRoute(d)])),
  ...Object.fromEntries(C.userCommands.map((d) => [d.type, userRoute(d)])),
};
