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
}

/** One command: its input schema and how it is carried out. */
export interface CommandRoute<Data = any> {
  definition: CommandDefinition;
  /** The user a directory command is about, for self-service (one's own credentials). */
  subjectUserId?(data: Data): string | undefined;
  run(deps: CommandDeps, invocation: Invocation<Data>): Promise<CommandOutcome>;
}

export const outcomeOf = (...results: { events: RecordedEvent[]; duplicate: boolean }[]): CommandOutcome => ({
  events: results.flatMap((r) => r.events),
  duplicate: results.length > 0 && results.every((r) => r.duplicate),
});
