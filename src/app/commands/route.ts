import type { Actor } from '../../../schemas/common.ts';
import type { CommandDefinition } from '../../../schemas/define.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import type { CommandDeps } from './deps.ts';

/** What one command did: the events it appended (on a repeat: the first run's), across its streams. */
export interface CommandOutcome {
  events: RecordedEvent[];
  duplicate: boolean;
}

export interface Invocation<Data> {
  data: Data;
  commandId: string;
  actor: Actor;
  now: string;
  correlationId?: string;
  causationId?: string | null;
  /** The command's fingerprint, computed by the command service; its own append stores it. */
  commandHash?: string;
}

/** One command: its input schema and how it is carried out. */
export interface CommandRoute<Data = any> {
  definition: CommandDefinition;
  /** The user a directory command is about, for self-service (one's own credentials). */
  subjectUserId?(data: Data): string | undefined;
  /**
   * What identifies the command for idempotency, when not all of its input: secrets (passphrases)
   * and what differs on every honest retry (a randomised SM2 signature) stay out of it.
   */
  fingerprint?(data: Data): unknown;
  /**
   * Carries out the command. Its own append (the one under the bare commandId) must be its last:
   * once that is recorded, the command service answers repeats from it without calling run again;
   * earlier appends are steps (`<commandId>/<step>`), so repeating an interrupted run completes it.
   */
  run(deps: CommandDeps, invocation: Invocation<Data>): Promise<CommandOutcome>;
  /** Undecided, idempotent housekeeping a repeat also does (a crash may have come before it). */
  afterRepeat?(deps: CommandDeps, invocation: Invocation<Data>): Promise<void>;
}

export const outcomeOf = (...results: { events: RecordedEvent[]; duplicate: boolean }[]): CommandOutcome => ({
  events: results.flatMap((r) => r.events),
  duplicate: results.length > 0 && results.every((r) => r.duplicate),
});
