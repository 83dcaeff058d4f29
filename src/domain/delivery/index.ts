import type { DeliveryCommand } from '../../../schemas/commands/delivery.ts';
import type { DeliveryEvent } from '../../../schemas/events/delivery.ts';
import type { Decider } from '../decider.ts';
import { decideDelivery } from './decide.ts';
import { evolveDelivery } from './evolve.ts';
import { initialDeliveryState, type DeliveryContext, type DeliveryState } from './state.ts';

/** One recipient unit's copy of a sent document: `delivery-<documentId>.<unitId>`. */
export const deliveryDecider: Decider<DeliveryState, DeliveryCommand, DeliveryEvent, DeliveryContext> = {
  initialState: initialDeliveryState,
  evolve: evolveDelivery,
  decide: decideDelivery,
};

export { decideDelivery, chinaDate, isBeforeToday } from './decide.ts';
export { evolveDelivery } from './evolve.ts';
export { initialDeliveryState } from './state.ts';
export type { Assignment, DeliveryContext, DeliveryHeader, DeliveryState, DeliveryStatus } from './state.ts';
export type {
  DeliveryCommand,
  DeliveryCommandType,
  DeliveryRecipientCommand,
  DeliverySystemCommand,
} from '../../../schemas/commands/delivery.ts';
export type { DeliveryEvent, DeliveryEventType } from '../../../schemas/events/delivery.ts';
