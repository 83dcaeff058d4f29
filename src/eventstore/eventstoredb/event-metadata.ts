import { z } from 'zod';
import { Actor } from '../../../schemas/common.ts';

/**
 * What an EventStoreDB event carries besides its id, type, stream, revision and data: the ledger's
 * envelope and its tamper evidence, as the event's custom metadata (JSON). Checked on every read.
 */
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const IsoMs = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

export const LedgerEventMetadata = z.object({
  schemaVersion: z.number().int().min(1),
  occurredAt: IsoMs,
  recordedAt: IsoMs,
  actor: Actor,
  commandId: z.string().min(1),
  commandHash: z.string().nullable(),
  correlationId: z.string().min(1),
  causationId: z.string().nullable(),
  prevHash: Hex64,
  hash: Hex64,
  mac: Hex64,
});
export type LedgerEventMetadata = z.infer<typeof LedgerEventMetadata>;

/**
 * The command record stream (`gongwen_command-<commandId>`), the adapter's substitute for the
 * PostgreSQL `commands` table. `CommandPlanned` is written BEFORE the events, with everything
 * needed to write them (so anyone can finish a plan whose writer died); `CommandAbandoned` closes a
 * plan whose place in its stream was taken by another command.
 */
export const PlannedEvent = z.object({
  eventId: z.string(),
  type: z.string(),
  data: z.unknown(),
  metadata: LedgerEventMetadata,
});
export type PlannedEvent = z.infer<typeof PlannedEvent>;

export const CommandPlanned = z.object({
  streamId: z.string().min(1),
  commandHash: z.string().nullable(),
  /** Revision the events were chained on (-1: a new stream); they take base+1 … base+n. */
  baseRevision: z.number().int().min(-1),
  events: z.array(PlannedEvent).min(1),
});
export type CommandPlanned = z.infer<typeof CommandPlanned>;

export const COMMAND_PLANNED = 'CommandPlanned';
export const COMMAND_ABANDONED = 'CommandAbandoned';
export const commandStream = (commandId: string) => `gongwen_command-${commandId}`;

/**
 * The steps of a command that spans several streams (`<commandId>/<step>`, see the port's
 * findCommandSteps): each step's id is noted on its parent's steps stream before the step's plan is
 * written, so a repeat of the parent finds every step without scanning $all. A note whose plan
 * never came is skipped.
 */
export const COMMAND_STEP_NOTED = 'CommandStepNoted';
export const CommandStepNoted = z.object({ stepCommandId: z.string().min(1) });
export const commandStepsStream = (commandId: string) => `gongwen_command_steps-${commandId}`;
export const parentCommandId = (commandId: string): string | null => {
  const slash = commandId.indexOf('/');
  return slash > 0 ? commandId.slice(0, slash) : null;
};
