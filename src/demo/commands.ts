import { randomUUID } from 'node:crypto';
import type { Principal } from '../app/authorization.ts';
import type { CommandOutcome } from '../app/commands/route.ts';
import type { Ledger } from '../app/ledger.ts';
import type { DemoPerson } from './city.ts';

/**
 * Every change the demo makes goes through the ledger's own command service, exactly as a request
 * from the API would: validated, authorised by role and unit, decided, hash-chained.
 */
export type RunCommand = (principal: Principal, type: string, input: Record<string, unknown>) => Promise<CommandOutcome>;

export interface DemoCommands {
  run: RunCommand;
  /** How many commands of each type were carried out so far (for the summary). */
  readonly counts: ReadonlyMap<string, number>;
}

export function demoCommands(ledger: Ledger, now: () => Date = () => new Date()): DemoCommands {
  const counts = new Map<string, number>();
  return {
    async run(principal, type, input) {
      // A person's first request of the day signs them in (the daily check asks who never did).
      if (principal.kind === 'user') await ledger.signIns.record(principal, now());
      const outcome = await ledger.commands.execute(principal, type, { commandId: `demo-${randomUUID()}`, ...input });
      counts.set(type, (counts.get(type) ?? 0) + 1);
      return outcome;
    },
    counts,
  };
}

export const SYSTEM: Principal = { kind: 'system' };

/** The principal a person acts as once signed in: their unit and the roles they were given. */
export const as = (p: DemoPerson): Principal => ({ kind: 'user', userId: p.userId, unitId: p.unitId, roles: p.roles, active: true });

/** The 发文字号 the seal step gave a document (from the DocumentSealed event of its outcome). */
export function docNumberOf(outcome: CommandOutcome): string {
  const sealed = outcome.events.find((e) => e.type === 'DocumentSealed');
  if (!sealed) throw new Error('the sealing outcome has no DocumentSealed event');
  return (sealed.data as { docNumber: string }).docNumber;
}
