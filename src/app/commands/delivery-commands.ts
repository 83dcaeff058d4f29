import * as C from '../../../schemas/commands/delivery.ts';
import type { CommandDefinition } from '../../../schemas/define.ts';
import { userDecider } from '../../domain/directory/index.ts';
import { deliveryDecider, type DeliveryContext } from '../../domain/delivery/index.ts';
import { documentDecider } from '../../domain/document/index.ts';
import { streams } from '../../domain/streams.ts';
import { handleCommand } from '../handle-command.ts';
import { loadState, retryPolicy, type CommandDeps } from './deps.ts';
import type { CommandRoute, Invocation } from './route.ts';

type DeliveryData = { documentId: string; unitId: string; assigneeUserId?: string; replyDocumentId?: string };

/** The facts a delivery decision may need beyond its stream: the assignee, the reply document. */
async function deliveryContext(deps: CommandDeps, inv: Invocation<DeliveryData>): Promise<DeliveryContext> {
  const context: DeliveryContext = { actor: inv.actor, now: inv.now };
  if (inv.data.assigneeUserId !== undefined) {
    const { state } = await loadState(deps.store, userDecider, streams.user(inv.data.assigneeUserId));
    context.assignee = state.exists ? { userId: state.userId, unitId: state.unitId, active: state.active } : null;
  }
  if (inv.data.replyDocumentId !== undefined) {
    const { state } = await loadState(deps.store, documentDecider, streams.document(inv.data.replyDocumentId));
    context.replyDocument = state.status === 'none' ? null : { documentId: state.documentId, issuerUnitId: state.issuerUnitId };
  }
  return context;
}

function route(definition: CommandDefinition): CommandRoute<DeliveryData> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.delivery(inv.data.documentId, inv.data.unitId),
          decider: deliveryDecider,
          context: () => deliveryContext(deps, inv),
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

export const deliveryRoutes: Record<string, CommandRoute> = Object.fromEntries(
  C.deliveryCommands.map((definition) => [definition.type, route(definition)]),
);
