import { refuse } from '../refusal.ts';

/**
 * Whether a unit may take part in new business. Deciders of other streams (seals, users, units'
 * parents, document recipients) learn it from the handler through their context.
 */
export type UnitStatus = 'active' | 'inactive';
export type UnitStatusLookup = (unitId: string) => UnitStatus | undefined;

/**
 * Refuses unless the unit is registered (NOT_FOUND) and active (VALIDATION_FAILED: the command
 * names a unit that can no longer be used, which the caller must correct).
 * `what` names the unit's part in the command, e.g. 印章所属单位.
 */
export function requireActiveUnit(status: UnitStatus | undefined, unitId: string, what: string): void {
  if (status === undefined) refuse('NOT_FOUND', `${what}「${unitId}」尚未登记 (unit not registered)`, { unitId });
  if (status === 'inactive') refuse('VALIDATION_FAILED', `${what}「${unitId}」已停用，不能再办理新业务 (unit is inactive)`, { unitId });
}
