import type { z } from 'zod';

/**
 * An event type: its name, the version of its payload schema, and the schema. Every event is
 * validated against its definition before it is appended and again when it is read back.
 * When a payload changes shape, bump `schemaVersion` and add an upcaster beside the definition.
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  schemaVersion: number;
  data: S;
}

export function defineEvent<const T extends string, S extends z.ZodType>(type: T, schemaVersion: number, data: S): EventDefinition<T, S> {
  return { type, schemaVersion, data };
}

/** The plain event a decider emits: a type and its payload. The store adds the envelope. */
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? { type: T; data: z.infer<S> } : never;

/** A command: its name and its input schema (every command carries a commandId). */
export interface CommandDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  input: S;
}

export function defineCommand<const T extends string, S extends z.ZodType>(type: T, input: S): CommandDefinition<T, S> {
  return { type, input };
}

export type CommandOf<D> = D extends CommandDefinition<infer T, infer S> ? { type: T; data: z.infer<S> } : never;
