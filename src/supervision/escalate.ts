import type { z } from 'zod';
import type { HandlingUrged } from '../../schemas/events/delivery.ts';
import type { WarningIssued } from '../../schemas/events/supervision.ts';
import { SYSTEM_ACTOR } from '../app/authorization.ts';
import { retryPolicy, type CommandDeps } from '../app/commands/deps.ts';
import { handleCommand, type CommandEnvelope } from '../app/handle-command.ts';
import type { Decider, DecisionContext } from '../domain/decider.ts';
import { deliveryDecider } from '../domain/delivery/index.ts';
import type { DeliveryState } from '../domain/delivery/state.ts';
import { streams } from '../domain/streams.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { clockStopped, type SupervisionState } from './decide.ts';

/**
 * Escalation on the document's side: a warning raised by the supervision jobs is also a 催办
 * (yellow) or 督办 (red) of the recipient's copy, recorded as the domain's own HandlingUrged on
 * `delivery-<documentId>.<unitId>`, so the document's timeline and the recipient's inbox show it
 * like an urge by a person. One urge per warning: the commandId is the warning's event id, so a
 * review repeated (a duplicate job, a restart between the warning and its urge, two servers)
 * returns the first outcome instead of urging twice.
 */

export type Warning = z.infer<typeof WarningIssued.data>;
type Urged = { type: 'HandlingUrged'; data: z.infer<typeof HandlingUrged.data> };
interface EscalateCommand {
  type: 'EscalateWarning';
  data: Warning & { warningId: string };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The urge's words: what is late, since when, and that the supervision raised it. */
export function urgeMessage(w: Warning): string {
  const what = w.clock === 'sign' ? '签收' : '办理';
  return `电子监察${w.escalation}：《${clip(w.title, 120)}》（${w.docNumber}）${what}已超过期限 ${w.dueAt}，${w.level === 'red' ? '逾期已超一个工作日，请单位领导督促' : '请立即'}${what}。`;
}

export const escalationDecider: Decider<DeliveryState, EscalateCommand, Urged, DecisionContext> = {
  initialState: deliveryDecider.initialState,
  evolve: deliveryDecider.evolve,
  decide(command, state, ctx) {
    const w = command.data;
    // The clock stopped meanwhile (signed, completed, returned, withdrawn, filed): nothing to urge.
    if (state.delivery === null || state.delivery.sentEventId !== w.sentEventId || clockStopped(state, w.clock)) return [];
    return [{ type: 'HandlingUrged', data: { documentId: w.documentId, unitId: w.unitId, level: w.escalation, message: urgeMessage(w), urgedBy: SYSTEM_ACTOR.userId, urgedAt: ctx.now } }];
  },
};

/** The warnings of a supervision stream still active for their clock's current deadline: each is urged once. */
export function warningsToUrge(supervisionEvents: readonly RecordedEvent[], state: SupervisionState): RecordedEvent<Warning>[] {
  return supervisionEvents.filter((e): e is RecordedEvent<Warning> => {
    if (e.type !== 'WarningIssued') return false;
    const w = e.data as Warning;
    const c = state.clocks[w.clock];
    return c !== undefined && c.active.has(w.level) && c.dueAt === w.dueAt;
  });
}

/** The urge of one warning, as a command: its id is the warning's, so it is made once. */
export function urgeEnvelope(warning: RecordedEvent<Warning>): CommandEnvelope<EscalateCommand> {
  return {
    command: { type: 'EscalateWarning', data: { ...warning.data, warningId: warning.eventId } },
    commandId: `supervision-urge:${warning.eventId}`,
    fingerprint: { warningId: warning.eventId },
    actor: SYSTEM_ACTOR,
    correlationId: warning.correlationId ?? undefined,
    causationId: warning.eventId,
  };
}

/**
 * Urges, on the delivery stream, every warning of the supervision stream still active for the
 * clock's current deadline. Returns the urges appended now (none when all were urged before).
 */
export async function escalateWarnings(deps: CommandDeps, supervisionEvents: readonly RecordedEvent[], state: SupervisionState): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (const warning of warningsToUrge(supervisionEvents, state)) {
    const w = warning.data;
    const outcome = await handleCommand(
      deps.store,
      { streamId: streams.delivery(w.documentId, w.unitId), decider: escalationDecider, context: () => ({ actor: SYSTEM_ACTOR, now: deps.now().toISOString() }) },
      urgeEnvelope(warning),
      retryPolicy(deps),
    );
    if (!outcome.duplicate) out.push(...outcome.events);
  }
  return out;
}
