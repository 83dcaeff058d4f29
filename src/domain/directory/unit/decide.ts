import type { RegisterUnit, UnitCommand } from '../../../../schemas/commands/directory.ts';
import type { CommandOf } from '../../../../schemas/define.ts';
import type { UnitEvent } from '../../../../schemas/events/directory.ts';
import type { DecisionContext } from '../../decider.ts';
import { refuse } from '../../refusal.ts';
import { requireActiveUnit, type UnitStatusLookup } from '../unit-status.ts';
import type { Unit, UnitState } from './state.ts';

export interface UnitContext extends DecisionContext {
  /** Whether the actor is a SUPER_ADMIN of a city-office unit (市委办公室/市政府办公室), as the handler established. */
  actorIsCityOfficeSuperAdmin: boolean;
  unitStatus: UnitStatusLookup;
  /**
   * Whether any unit is registered in the directory yet. The SYSTEM actor may register only the
   * first one (the city office, at installation); after that nobody but a super administrator can.
   * Left out, it counts as true: the bootstrap path stays closed unless the handler opens it.
   */
  cityHasUnits?: boolean;
}

const NOT_SUPER_ADMIN = '只有市委办公室/市政府办公室的超级管理员可以登记、更名、停用单位 (only the city office super administrator manages units)';

export function decideUnit(command: UnitCommand, state: UnitState, context: UnitContext): UnitEvent[] {
  if (command.type === 'RegisterUnit') return register(command.data, state, context);
  if (!context.actorIsCityOfficeSuperAdmin) refuse('NOT_AUTHORISED', NOT_SUPER_ADMIN);
  const unit = requireActive(state, command.data.unitId);
  switch (command.type) {
    case 'RenameUnit': {
      const { name, shortName = unit.shortName } = command.data;
      if (name === unit.name && shortName === unit.shortName) {
        refuse('INVALID_STATE', `单位「${unit.name}」的名称和简称没有变化，无需更名 (nothing to rename)`, { unitId: unit.unitId });
      }
      return [
        {
          type: 'UnitRenamed',
          data: {
            unitId: unit.unitId,
            name,
            ...(shortName !== undefined && { shortName }),
            previousName: unit.name,
            ...(unit.shortName !== undefined && { previousShortName: unit.shortName }),
          },
        },
      ];
    }
    case 'DeactivateUnit':
      // Guards against an administrator locking the city out of its own directory by accident.
      if (unit.unitId === context.actor.unitId) {
        refuse('NOT_AUTHORISED', '不能停用自己所在的单位，请由其他单位的超级管理员办理 (cannot deactivate your own unit)', { unitId: unit.unitId });
      }
      return [{ type: 'UnitDeactivated', data: { unitId: unit.unitId, reason: command.data.reason } }];
    case 'AddDocNumberPrefix':
      if (unit.docNumberPrefixes.includes(command.data.prefix)) {
        refuse('ALREADY_EXISTS', `单位「${unit.name}」已有机关代字「${command.data.prefix}」 (prefix already registered)`, { unitId: unit.unitId });
      }
      return [{ type: 'DocNumberPrefixAdded', data: { unitId: unit.unitId, prefix: command.data.prefix } }];
  }
}

function register(c: CommandOf<typeof RegisterUnit>['data'], state: UnitState, context: UnitContext): UnitEvent[] {
  const bootstrap = context.actor.role === 'SYSTEM' && !context.actorIsCityOfficeSuperAdmin;
  if (bootstrap) {
    if (context.cityHasUnits ?? true) refuse('NOT_AUTHORISED', '系统初始化只能登记本市第一个单位（市委办公室或市政府办公室），其余单位须由超级管理员登记 (bootstrap registers only the first unit)');
    if (c.kind !== 'city-office') refuse('VALIDATION_FAILED', '本市登记的第一个单位须为市委办公室或市政府办公室 (kind city-office) (first unit must be the city office)');
    if (c.parentUnitId !== undefined) refuse('VALIDATION_FAILED', '本市登记的第一个单位没有上级单位 (first unit has no parent)');
  } else if (!context.actorIsCityOfficeSuperAdmin) {
    refuse('NOT_AUTHORISED', NOT_SUPER_ADMIN);
  }
  if (state.status !== 'none') refuse('ALREADY_EXISTS', `单位标识「${c.unitId}」已登记为「${state.name}」 (unit already exists)`, { unitId: c.unitId });
  if (c.parentUnitId !== undefined) {
    if (c.parentUnitId === c.unitId) refuse('VALIDATION_FAILED', '单位不能是自己的上级单位 (a unit cannot be its own parent)', { unitId: c.unitId });
    requireActiveUnit(context.unitStatus(c.parentUnitId), c.parentUnitId, '上级单位');
  }
  return [
    {
      type: 'UnitRegistered',
      data: {
        unitId: c.unitId,
        name: c.name,
        ...(c.shortName !== undefined && { shortName: c.shortName }),
        kind: c.kind,
        ...(c.parentUnitId !== undefined && { parentUnitId: c.parentUnitId }),
        ...(c.fondsCode !== undefined && { fondsCode: c.fondsCode }),
        ...(c.organisationCode !== undefined && { organisationCode: c.organisationCode }),
        docNumberPrefixes: c.docNumberPrefixes,
      },
    },
  ];
}

function requireActive(state: UnitState, unitId: string): Unit {
  if (state.status === 'none') return refuse('NOT_FOUND', `单位「${unitId}」尚未登记 (unit not found)`, { unitId });
  if (state.status === 'inactive') return refuse('INVALID_STATE', `单位「${state.name}」已停用，不能再办理更名、增加机关代字或停用 (unit is inactive)`, { unitId });
  return state;
}
