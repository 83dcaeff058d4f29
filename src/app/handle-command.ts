import type { Actor } from '../../schemas/common.ts';
import { fold, type Decider } from '../domain/decider.ts';
import { Refusal } from '../domain/refusal.ts';
import { CommandIdReusedError, ConcurrencyError, type AppendResult, type EventStore, type StreamRead } from '../eventstore/port.ts';
import { commandHash } from './command-hash.ts';

export interface DomainEvent {
  type: string;
  data: unknown;
}

export interface CommandEnvelope<C extends { type: string; data: unknown }> {
  command: C;
  commandId: string;
  actor: Actor;
  correlationId?: string;
  causationId?: string | null;
  /** Idempotency scope within one logical command that writes several streams (e.g. "number"). */
  step?: string;
  /**
   * What identifies the command when the decision is handed more than the caller chose — a key the
   * ledger generated for it — so that a repeat of the request is recognised as the same command.
   */
  fingerprint?: unknown;
}

export interface HandleSpec<S, C extends { type: string; data: unknown }, E extends DomainEvent, Ctx> {
  streamId: string;
  decider: Decider<S, C, E, Ctx>;
  /** Builds what the decision needs beyond the stream (other streams, configuration, time). */
  context(state: S, read: StreamRead): Promise<Ctx> | Ctx;
}

export interface RetryPolicy {
  maxAttempts: number;
}

/**
 * Load the stream, decide, append with the revision that was read. A concurrent writer makes the
 * append fail; then the whole decision is taken again on fresh state (the other writer may have
 * made the command invalid), up to `maxAttempts`, with jittered backoff so many contenders on one
 * stream (numbering) spread out instead of colliding in lockstep.
 *
 * A commandId already seen returns its first outcome before anything is decided, so a client
 * repeating a request after a timeout gets the same answer, not a refusal caused by its own first
 * success.
 */
export async function handleCommand<S, C extends { type: string; data: unknown }, E extends DomainEvent, Ctx>(
  store: EventStore,
  spec: HandleSpec<S, C, E, Ctx>,
  envelope: CommandEnvelope<C>,
  policy: RetryPolicy,
): Promise<AppendResult> {
  const commandId = envelope.step ? `${envelope.commandId}/${envelope.step}` : envelope.commandId;
  const hash = commandHash(envelope.command.type, envelope.fingerprint ?? envelope.command.data);
  const first = await store.findCommand(commandId);
  if (first) {
    if (first.commandHash && first.commandHash !== hash) throw reusedRefusal(envelope.commandId);
    return first;
  }
  for (let attempt = 1; ; attempt++) {
    const read = await store.readStream(spec.streamId);
    const state = fold(spec.decider, read.events as unknown as E[]);
    const context = await spec.context(state, read);
    const events = spec.decider.decide(envelope.command, state, context);
    if (events.length === 0) return { streamId: spec.streamId, revision: read.revision ?? -1, events: [], duplicate: false };
    try {
      return await store.append(spec.streamId, events, {
        expectedRevision: read.revision ?? 'no_stream',
        commandId,
        commandHash: hash,
        actor: envelope.actor,
        correlationId: envelope.correlationId ?? envelope.commandId,
        causationId: envelope.causationId ?? null,
      });
    } catch (error) {
      if (error instanceof CommandIdReusedError) throw reusedRefusal(envelope.commandId);
      if (!(error instanceof ConcurrencyError)) throw error;
      // The same command may have won meanwhile through another request (a client retrying).
      const raced = await store.findCommand(commandId);
      if (raced) return raced;
      if (attempt >= policy.maxAttempts) {
        throw new Refusal('CONFLICT', `有其他操作同时修改了该记录，已重试 ${attempt} 次仍未成功，请稍后再试 (concurrent update on ${spec.streamId})`, {
          streamId: spec.streamId,
          attempts: attempt,
        });
      }
      await backoff(attempt);
    }
  }
}

function reusedRefusal(commandId: string): Refusal {
  return new Refusal('COMMAND_ID_REUSED', `commandId「${commandId}」已用于另一项操作，请为新操作生成新的 commandId`, { commandId });
}

const backoff = (attempt: number) =>
  new Promise((ok) => setTimeout(ok, Math.random() * Math.min(100, 2 ** attempt)));
