import type { Actor } from '../../schemas/common.ts';
import { fold, type Decider } from '../domain/decider.ts';
import { Refusal } from '../domain/refusal.ts';
import { CommandIdReusedError, ConcurrencyError, type AppendOptions, type AppendResult, type EventStore, type StreamRead } from '../eventstore/port.ts';
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
  /**
   * Idempotency scope within one logical command that writes several streams (e.g. "number"): the
   * append is recorded as `<commandId>/<step>`. A function of the stream's revision names a step
   * that is decided afresh on every run (its idempotency is the stream's state, not its id).
   */
  step?: string | ((revision: number | null) => string);
  /**
   * What identifies the command when the decision is handed more than the caller chose — a key the
   * ledger generated for it — so that a repeat of the request is recognised as the same command.
   */
  fingerprint?: unknown;
  /**
   * The fingerprint the command service computed for the command (commandFingerprint): stored with
   * the command's own append, so that its look-up before the route runs recognises a repeat. Steps
   * keep their own.
   */
  commandHash?: string;
  /** Whose command a step carried out as the ledger (SYSTEM) is part of: in the step's fingerprint. */
  requestedBy?: Actor;
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
  const { step } = envelope;
  const idOf = (revision: number | null) =>
    step === undefined ? envelope.commandId : `${envelope.commandId}/${typeof step === 'string' ? step : step(revision)}`;
  const hash = envelopeHash(envelope);
  // The command service has just looked the command's own id up (that is where commandHash comes
  // from); a twin arriving meanwhile is caught by the append itself.
  if (typeof step !== 'function' && !(step === undefined && envelope.commandHash)) {
    const first = await store.findCommand(idOf(null));
    if (first) return sameCommand(first, hash, envelope.commandId);
  }
  for (let attempt = 1; ; attempt++) {
    const read = await store.readStream(spec.streamId);
    const commandId = idOf(read.revision);
    const state = fold(spec.decider, read.events as unknown as E[]);
    const context = await spec.context(state, read);
    const events = spec.decider.decide(envelope.command, state, context);
    if (events.length === 0) return { streamId: spec.streamId, revision: read.revision ?? -1, events: [], duplicate: false };
    try {
      return await store.append(spec.streamId, events, appendOptions(envelope, commandId, hash, read.revision));
    } catch (error) {
      if (error instanceof CommandIdReusedError) throw reusedRefusal(envelope.commandId);
      if (!(error instanceof ConcurrencyError)) throw error;
      // The same command may have won meanwhile through another request (a client retrying); or
      // another command took the id meanwhile, which is no outcome of this one.
      const raced = await store.findCommand(commandId);
      if (raced) return sameCommand(raced, hash, envelope.commandId);
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

/**
 * How a command's events are appended (its append id, fingerprint, actor and correlation) on the
 * stream revision its decision was taken on: handleCommand's, and a batch decided the same way
 * (the supervision scan's reviews) writes exactly what the command alone would.
 */
export function appendOptions(envelope: CommandEnvelope<{ type: string; data: unknown }>, commandId: string, hash: string, revision: number | null): AppendOptions {
  return {
    expectedRevision: revision ?? 'no_stream',
    commandId,
    commandHash: hash,
    actor: envelope.actor,
    correlationId: envelope.correlationId ?? envelope.commandId,
    causationId: envelope.causationId ?? null,
  };
}

/** The fingerprint stored with a command's append (the command service's own, or one of its kind, fingerprint and actor). */
export const envelopeHash = (envelope: CommandEnvelope<{ type: string; data: unknown }>): string =>
  (envelope.step === undefined && envelope.commandHash) ||
  commandHash(envelope.command.type, envelope.fingerprint ?? envelope.command.data, envelope.requestedBy ?? envelope.actor);

/** A recorded outcome is this command's only if its fingerprint is this command's. */
export function sameCommand(found: AppendResult, hash: string, commandId: string): AppendResult {
  if (found.commandHash && found.commandHash !== hash) throw reusedRefusal(commandId);
  return found;
}

function reusedRefusal(commandId: string): Refusal {
  return new Refusal('COMMAND_ID_REUSED', `commandId「${commandId}」已用于另一项操作，请为新操作生成新的 commandId`, { commandId });
}

const backoff = (attempt: number) =>
  new Promise((ok) => setTimeout(ok, Math.random() * Math.min(100, 2 ** attempt)));
