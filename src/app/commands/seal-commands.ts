import type { z } from 'zod';
import * as C from '../../../schemas/commands/seal.ts';
import type { CommandDefinition } from '../../../schemas/define.ts';
import { sealDecider, sealSummary, type SealContext, type SealSummary } from '../../domain/seal/index.ts';
import { streams } from '../../domain/streams.ts';
import { handleCommand } from '../handle-command.ts';
import { actorIsCityOfficeSuperAdmin, loadState, loadUnits, retryPolicy, unitStatusLookup, type CommandDeps } from './deps.ts';
import { outcomeOf, type CommandRoute, type Invocation } from './route.ts';

async function sealContext(deps: CommandDeps, inv: Invocation<unknown>, unitIds: string[], predecessor?: string): Promise<SealContext> {
  const units = await loadUnits(deps.store, unitIds);
  const context: SealContext = {
    actor: inv.actor,
    now: inv.now,
    actorIsCityOfficeSuperAdmin: await actorIsCityOfficeSuperAdmin(deps.store, inv.actor),
    unitStatus: unitStatusLookup(units),
  };
  if (predecessor !== undefined) {
    const summary: SealSummary | undefined = sealSummary((await loadState(deps.store, sealDecider, streams.seal(predecessor))).state);
    context.sealSummaryOf = (id) => (id === predecessor ? summary : undefined);
  }
  return context;
}

function issueSeal(deps: CommandDeps, inv: Invocation<z.infer<typeof C.IssueSeal.input>>, step?: string) {
  return handleCommand(
    deps.store,
    { streamId: streams.seal(inv.data.sealId), decider: sealDecider, context: () => sealContext(deps, inv, [inv.data.unitId], inv.data.replacesSealId) },
    { command: { type: 'IssueSeal', data: inv.data }, ...inv, step },
    retryPolicy(deps),
  );
}

/** Lifecycle commands on an existing seal: the unit is the seal's own. */
function lifecycle(definition: CommandDefinition): CommandRoute<{ sealId: string }> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.seal(inv.data.sealId),
          decider: sealDecider,
          context: (state) => sealContext(deps, inv, state.status === 'none' ? [] : [state.unitId]),
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

/**
 * 更换: the old seal is marked replaced, then its successor is issued (naming its predecessor).
 * Two streams, two appends with step commandIds: repeating an interrupted replacement finishes it.
 */
const replaceSeal: CommandRoute<z.infer<typeof C.ReplaceSeal.input>> = {
  definition: C.ReplaceSeal,
  async run(deps, inv) {
    const old = await lifecycle(C.ReplaceSeal).run(deps, inv);
    const { state } = await loadState(deps.store, sealDecider, streams.seal(inv.data.sealId));
    const unitId = sealSummary(state)!.unitId;
    const issued = await issueSeal(
      deps,
      { ...inv, data: { commandId: inv.commandId, sealId: inv.data.newSealId, unitId, replacesSealId: inv.data.sealId, ...inv.data.newSeal } },
      'successor',
    );
    return outcomeOf(old, issued);
  },
};

export const sealRoutes: Record<string, CommandRoute> = {
  IssueSeal: { definition: C.IssueSeal, run: (deps, inv) => issueSeal(deps, inv) },
  ReplaceSeal: replaceSeal,
  RevokeSeal: lifecycle(C.RevokeSeal),
  DestroySeal: lifecycle(C.DestroySeal),
};
