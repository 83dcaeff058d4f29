import type { z } from 'zod';
import * as C from '../../../schemas/commands/dossier.ts';
import { parseArchivalCodeForms } from '../../../archive-formats/archival-code/per-fonds.ts';
import { fondsName, filedItems } from '../../../projections/catalogue/dossier-items.ts';
import { profileNames } from '../../../archive-formats/profiles/index.ts';
import { dossierDecider } from '../../domain/dossier/index.ts';
import { streams } from '../../domain/streams.ts';
import { handleCommand } from '../handle-command.ts';
import { loadUnit, retryPolicy, type CommandDeps } from './deps.ts';
import type { CommandRoute, Invocation } from './route.ts';

type Data<D extends { input: z.ZodType }> = z.infer<D['input']>;

/** The fonds an archivist works for: their unit's 全宗号, or unit:<unitId> when it has none. */
async function fondsOfActor(deps: CommandDeps, actor: { role: string; unitId: string }): Promise<string | null> {
  if (actor.role === 'SYSTEM') return null;
  const unit = await loadUnit(deps.store, actor.unitId);
  if (unit.status === 'none') return `unit:${actor.unitId}`;
  return unit.fondsCode ?? `unit:${actor.unitId}`;
}

/**
 * Every dossier command decides on the dossier stream with the year's filed items from the
 * catalogue: a filing the catalogue has not yet seen when a dossier closes is a late filing, and
 * goes into the next supplementary batch like any other.
 */
function dossierRoute<D extends (typeof C.dossierCommands)[number]>(definition: D): CommandRoute<Data<D>> {
  return {
    definition,
    run: (deps, inv: Invocation<Data<D>>) => {
      const { fonds, year } = inv.data as { fonds: string; year: number };
      return handleCommand(
        deps.store,
        {
          streamId: streams.dossier(fonds, year),
          decider: dossierDecider,
          context: async () => ({
            actor: inv.actor,
            now: inv.now,
            actorFonds: await fondsOfActor(deps, inv.actor),
            filed: definition.type === 'ArrangeDossierItem' || definition.type === 'CloseDossier' ? await filedItems(deps.pool, fonds, year) : [],
            template: parseArchivalCodeForms(deps.config.GONGWEN_ARCHIVAL_CODE_FORMS)(fonds),
            fondsName: (await fondsName(deps.pool, fonds)) ?? fonds,
            profileExists: (name: string) => profileNames().includes(name),
          }),
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      );
    },
  };
}

export const dossierRoutes: Record<string, CommandRoute> = Object.fromEntries(C.dossierCommands.map((d) => [d.type, dossierRoute(d)]));
