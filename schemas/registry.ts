import type { z } from 'zod';
import type { EventDefinition } from './define.ts';

/**
 * All event definitions by type. The event stores call `parse` before appending and after reading,
 * so nothing that breaks its schema enters the ledger or leaves it unnoticed.
 */
export interface EventRegistry {
  has(type: string): boolean;
  definition(type: string): EventDefinition | undefined;
  /** Returns the validated payload, or throws with the zod issues written out. */
  parse(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown };
}

export class EventSchemaError extends Error {
  constructor(
    readonly type: string,
    readonly issues: string,
  ) {
    super(`${type}: ${issues}`);
    this.name = 'EventSchemaError';
  }
}

export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function createEventRegistry(definitions: readonly EventDefinition[]): EventRegistry {
  const byType = new Map<string, EventDefinition>();
  for (const d of definitions) {
    if (byType.has(d.type)) throw new Error(`event type ${d.type} defined twice`);
    byType.set(d.type, d);
  }
  return {
    has: (type) => byType.has(type),
    definition: (type) => byType.get(type),
    parse(type, schemaVersion, data) {
      const def = byType.get(type);
      if (!def) throw new EventSchemaError(type, 'unknown event type');
      if (schemaVersion !== def.schemaVersion) {
        throw new EventSchemaError(type, `schemaVersion ${schemaVersion} is not the current ${def.schemaVersion} and no upcaster is registered`);
      }
      const result = def.data.safeParse(data);
      if (!result.success) throw new EventSchemaError(type, formatIssues(result.error));
      return { schemaVersion, data: result.data };
    },
  };
}
