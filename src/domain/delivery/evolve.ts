import type { DeliveryEvent } from '../../../schemas/events/delivery.ts';
import { withoutUndefined } from './compact.ts';
import { initialDeliveryState, type DeliveryState } from './state.ts';

/**
 * Folds one delivery event into state. Pure and total: events are facts already accepted, so
 * nothing here refuses; it copies values and never keeps a reference to an event's arrays.
 */
export function evolveDelivery(state: DeliveryState, event: DeliveryEvent): DeliveryState {
  switch (event.type) {
    case 'DocumentDelivered': {
      const { documentId, unitId, kind, issuerUnitId, title, docNumber, docType, urgency, meetingAt, sentAt, sentEventId, deliveredAt } = event.data;
      // A new delivery (the document sent again after a recall or a return) starts the recipient's
      // history afresh; only the memory of which sends were delivered carries over.
      return {
        ...initialDeliveryState(),
        status: 'delivered',
        delivery: { documentId, unitId, kind, issuerUnitId, title, docNumber, docType, urgency, ...(meetingAt ? { meetingAt } : {}), sentAt, sentEventId, deliveredAt },
        sentEventIds: [...state.sentEventIds, sentEventId],
        reinstatedRecalls: state.reinstatedRecalls,
      };
    }
    case 'DocumentReceived':
      return { ...state, status: 'received', receivedAt: event.data.receivedAt, receivedBy: event.data.receivedBy };
    case 'DocumentReturned':
      return {
        ...state,
        status: 'returned',
        returned: { reason: event.data.reason, returnedBy: event.data.returnedBy, returnedAt: event.data.returnedAt },
      };
    case 'DeliveryWithdrawn':
      return {
        ...state,
        status: 'withdrawn',
        withdrawn: { recallCommandId: event.data.recallCommandId, reason: event.data.reason, withdrawnAt: event.data.withdrawnAt },
      };
    case 'DeliveryReinstated':
      return {
        ...state,
        status: 'delivered',
        withdrawn: null,
        reinstatedRecalls: [...state.reinstatedRecalls, event.data.recallCommandId],
      };
    case 'IncomingRegistered': {
      const { registerNo, note, registeredBy, registeredAt } = event.data;
      return { ...state, registered: withoutUndefined({ registerNo, note, registeredBy, registeredAt }) };
    }
    case 'IncomingReviewed': {
      const { accepted, opinion, reviewedBy, reviewedAt } = event.data;
      return { ...state, reviewed: withoutUndefined({ accepted, opinion, reviewedBy, reviewedAt }) };
    }
    case 'DocumentRead':
      return state.readers.includes(event.data.readBy) ? state : { ...state, readers: [...state.readers, event.data.readBy] };
    case 'InstructionGiven': {
      const { kind, text, givenBy, givenAt } = event.data;
      return { ...state, instructions: [...state.instructions, { kind, text, givenBy, givenAt }] };
    }
    case 'HandlingAssigned': {
      const { assigneeUserId, assigneeDepartment, dueDate, note, assignedBy, assignedAt } = event.data;
      return { ...state, assignment: withoutUndefined({ assigneeUserId, assigneeDepartment, dueDate, note, assignedBy, assignedAt }) };
    }
    case 'HandlingUrged':
      return { ...state, urges: state.urges + 1 };
    case 'HandlingCompleted':
      return { ...state, completedAt: event.data.completedAt, completedBy: event.data.completedBy, result: event.data.result };
    case 'ReplySent': {
      const { text, replyDocumentId, repliedBy, repliedAt } = event.data;
      return { ...state, replies: [...state.replies, withoutUndefined({ text, replyDocumentId, repliedBy, repliedAt })] };
    }
    case 'IncomingFiled': {
      const { retention, organisationCode, remarks, filedBy, filedAt } = event.data;
      return { ...state, status: 'filed', filed: withoutUndefined({ retention, organisationCode, remarks, filedBy, filedAt }) };
    }
  }
}
