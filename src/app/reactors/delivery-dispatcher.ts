import type { z } from 'zod';
import { DeliverDocument } from '../../../schemas/commands/delivery.ts';
import type { DocumentSent } from '../../../schemas/events/document.ts';
import { deliveryDecider } from '../../domain/delivery/index.ts';
import { streams } from '../../domain/streams.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import { SYSTEM_ACTOR } from '../authorization.ts';
import { retryPolicy, type CommandDeps } from '../commands/deps.ts';
import { handleCommand } from '../handle-command.ts';
import type { Reactor } from './reactor-runner.ts';

/**
 * 分发: when a document is sent, one delivery stream per recipient unit, so recipients never
 * contend on one stream. The commandId is derived from the DocumentSent event and the unit: a
 * replay after a crash returns the first outcome and appends nothing.
 */
export function deliveryDispatcher(deps: CommandDeps): Reactor {
  return {
    name: 'delivery-dispatcher',
    handles: new Set(['DocumentSent']),
    async handle(event: RecordedEvent) {
      const sent = event.data as z.infer<typeof DocumentSent.data>;
      for (const recipient of sent.recipients) {
        const data = DeliverDocument.input.parse({
          documentId: sent.documentId,
          unitId: recipient.unitId,
          kind: recipient.kind,
          issuerUnitId: sent.issuerUnitId,
          title: sent.title,
          docNumber: sent.docNumber,
          docType: sent.docType,
          urgency: sent.urgency,
          meetingAt: sent.meetingAt,
          sentAt: sent.sentAt,
          sentEventId: event.eventId,
        });
        await handleCommand(
          deps.store,
          {
            streamId: streams.delivery(sent.documentId, recipient.unitId),
            decider: deliveryDecider,
            context: () => ({ actor: SYSTEM_ACTOR, now: deps.now().toISOString() }),
          },
          {
            command: { type: 'DeliverDocument', data },
            commandId: `deliver:${event.eventId}:${recipient.unitId}`,
            actor: SYSTEM_ACTOR,
            correlationId: event.correlationId,
            causationId: event.eventId,
          },
          retryPolicy(deps),
        );
      }
    },
  };
}
