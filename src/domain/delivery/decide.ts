import type { DeliveryCommand, DeliveryRecipientCommand } from '../../../schemas/commands/delivery.ts';
import type { DeliveryEvent } from '../../../schemas/events/delivery.ts';
import { refuse } from '../refusal.ts';
import { withoutUndefined } from './compact.ts';
import type { DeliveryContext, DeliveryHeader, DeliveryState } from './state.ts';

/**
 * The rules of one recipient's copy of a document (`delivery-<documentId>.<unitId>`).
 *
 * Who may act: roles are checked by the authorisation layer before `decide` runs; here the unit is
 * checked, because it is a fact of this stream: only people of the recipient unit act on its copy,
 * and the three system commands only come from the ledger itself (actor role SYSTEM). The unit is
 * checked before anything else so that a stranger cannot learn from the refusal whether another
 * unit received a document.
 *
 * Recall across several streams (a design addition). The sender may recall (撤回) only while no
 * recipient has signed, but each recipient's receipt lives in its own stream and the ledger has no
 * multi-stream transaction. So a recall is a small saga run by the process manager:
 *   1. WithdrawDelivery(recallCommandId) on every recipient's stream. Each is decided on that
 *      stream's current revision, so it races safely with ReceiveDocument: exactly one of them wins
 *      the append, and a withdrawn copy can no longer be signed for.
 *   2. If every leg succeeded, the document stream records DocumentRecalled.
 *   3. If any leg is refused because that recipient had already signed, the recall is abandoned and
 *      ReinstateDelivery(recallCommandId) puts back every copy this recall withdrew.
 * Both legs are idempotent by recallCommandId, so the process manager may crash and run again; a
 * reinstated recall replayed later withdraws nothing.
 *
 * Sending again. A copy that was returned (退回) or withdrawn by a concluded recall can be delivered
 * again by a later DocumentSent (a new sentEventId): the recipient's history starts afresh. Every
 * sentEventId ever delivered is remembered, so a process manager replaying an old send adds nothing.
 */
export function decideDelivery(command: DeliveryCommand, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  switch (command.type) {
    case 'DeliverDocument':
      return deliver(command.data, state, context);
    case 'WithdrawDelivery':
      return withdraw(command.data, state, context);
    case 'ReinstateDelivery':
      return reinstate(command.data, state, context);
    default:
      return decideRecipient(command, state, context);
  }
}

type Data<T extends DeliveryCommand['type']> = Extract<DeliveryCommand, { type: T }>['data'];

// ---------------------------------------------------------------------------------------------
// System commands

function requireSystem(context: DeliveryContext, what: string): void {
  if (context.actor.role !== 'SYSTEM') {
    refuse('NOT_AUTHORISED', `${what}由系统在发文流程中自动执行，不能手工发起 (only the ledger itself may do this)`, {
      actor: context.actor.userId,
    });
  }
}

function deliver(c: Data<'DeliverDocument'>, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  requireSystem(context, '分发');
  assertSameStream(c, state);
  // Before any state check: the process manager may deliver the same send again at any time.
  if (state.sentEventIds.includes(c.sentEventId)) return [];
  if (c.unitId === c.issuerUnitId) {
    refuse('RECIPIENT_INVALID', '发文单位不能作为自己的收文单位 (the issuer is not its own recipient)', { unitId: c.unitId });
  }
  if (state.status !== 'absent' && state.status !== 'returned' && state.status !== 'withdrawn') {
    refuse('ALREADY_EXISTS', '该单位已收到此公文，不能重复分发；如需重发，请先撤回或由收文单位退回 (already delivered to this unit)', {
      documentId: c.documentId,
      unitId: c.unitId,
      status: state.status,
    });
  }
  const { documentId, unitId, kind, issuerUnitId, title, docNumber, docType, urgency, meetingAt, sentAt, sentEventId } = c;
  return [
    {
      type: 'DocumentDelivered',
      data: withoutUndefined({ documentId, unitId, kind, issuerUnitId, title, docNumber, docType, urgency, meetingAt, sentAt, sentEventId, deliveredAt: context.now }),
    },
  ];
}

function withdraw(c: Data<'WithdrawDelivery'>, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  requireSystem(context, '撤回');
  assertSameStream(c, state);
  const delivery = requireDelivery(state);
  if (state.reinstatedRecalls.includes(c.recallCommandId)) return [];
  switch (state.status) {
    case 'delivered':
      return [
        {
          type: 'DeliveryWithdrawn',
          data: { documentId: delivery.documentId, unitId: delivery.unitId, recallCommandId: c.recallCommandId, reason: c.reason, withdrawnAt: context.now },
        },
      ];
    case 'withdrawn':
      if (state.withdrawn?.recallCommandId === c.recallCommandId) return [];
      return refuse('INVALID_STATE', '该收文单位的公文已被另一次撤回收回，请等待那次撤回结束 (withdrawn by another recall)', {
        recallCommandId: state.withdrawn?.recallCommandId,
      });
    case 'returned':
      // Already back with the sender: nothing to take away, and no reason to stop the recall.
      return [];
    case 'received':
    case 'filed':
      return refuse('INVALID_STATE', '收文单位已签收，不能撤回；只有在所有收文单位签收之前才能撤回 (already signed for)', {
        unitId: delivery.unitId,
        receivedBy: state.receivedBy,
        receivedAt: state.receivedAt,
      });
    case 'absent':
      return []; // unreachable: requireDelivery has refused
  }
}

function reinstate(c: Data<'ReinstateDelivery'>, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  requireSystem(context, '恢复送达');
  assertSameStream(c, state);
  const delivery = requireDelivery(state);
  if (state.reinstatedRecalls.includes(c.recallCommandId)) return [];
  if (state.status !== 'withdrawn' || state.withdrawn?.recallCommandId !== c.recallCommandId) {
    refuse('INVALID_STATE', '该公文未被此次撤回收回，无需恢复送达 (not withdrawn by this recall)', {
      recallCommandId: c.recallCommandId,
      status: state.status,
    });
  }
  return [
    {
      type: 'DeliveryReinstated',
      data: { documentId: delivery.documentId, unitId: delivery.unitId, recallCommandId: c.recallCommandId, reinstatedAt: context.now },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Recipient commands

function decideRecipient(command: DeliveryRecipientCommand, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  const c = command.data;
  if (context.actor.unitId !== c.unitId) {
    refuse('NOT_AUTHORISED', '只有收文单位的人员才能办理本单位收到的公文 (only the recipient unit may act on its copy)', {
      actorUnitId: context.actor.unitId,
      unitId: c.unitId,
    });
  }
  assertSameStream(c, state);
  requireDelivery(state);
  if (state.status === 'filed') {
    refuse('INVALID_STATE', '该公文已归档，收文办理已经结束，不能再办理 (already filed)', { filedAt: state.filed?.filedAt });
  }
  const key = { documentId: c.documentId, unitId: c.unitId };
  const by = context.actor.userId;
  const at = context.now;

  switch (command.type) {
    case 'ReceiveDocument':
      requireAwaitingReceipt(state, '签收');
      return [{ type: 'DocumentReceived', data: { ...key, receivedBy: by, receivedAt: at } }];

    case 'ReturnDocument':
      if (state.status === 'received') {
        refuse('INVALID_STATE', '已签收的公文不能退回；退回只能在签收之前进行 (already signed for)', { receivedAt: state.receivedAt });
      }
      requireAwaitingReceipt(state, '退回');
      return [{ type: 'DocumentReturned', data: { ...key, reason: command.data.reason, returnedBy: by, returnedAt: at } }];

    case 'RegisterIncoming': {
      requireReceived(state, '登记');
      if (state.registered) {
        refuse('INVALID_STATE', '该公文已登记，不能重复登记 (already registered)', { registerNo: state.registered.registerNo });
      }
      const { registerNo, note } = command.data;
      return [{ type: 'IncomingRegistered', data: withoutUndefined({ ...key, registerNo, note, registeredBy: by, registeredAt: at }) }];
    }

    case 'ReviewIncoming': {
      requireReceived(state, '初审');
      const { accepted, opinion } = command.data;
      return [{ type: 'IncomingReviewed', data: withoutUndefined({ ...key, accepted, opinion, reviewedBy: by, reviewedAt: at }) }];
    }

    case 'MarkDocumentRead':
      requireReceived(state, '阅');
      // Reading is a fact about a person, not an action to repeat: a second read adds nothing.
      if (state.readers.includes(by)) return [];
      return [{ type: 'DocumentRead', data: { ...key, readBy: by, readAt: at } }];

    case 'GiveInstruction': {
      requireReceived(state, command.data.kind);
      const { kind, text } = command.data;
      return [{ type: 'InstructionGiven', data: { ...key, kind, text, givenBy: by, givenAt: at } }];
    }

    case 'AssignHandling':
      return assign(command.data, state, context);

    case 'UrgeHandling': {
      const level = command.data.level;
      requireReceived(state, level);
      if (!state.assignment) refuse('INVALID_STATE', `尚未交办，请先交办承办人或承办部门再${level} (not assigned yet)`);
      if (state.completedAt) refuse('INVALID_STATE', `已办结，无需${level} (handling already completed)`, { completedAt: state.completedAt });
      return [{ type: 'HandlingUrged', data: { ...key, level, message: command.data.message, urgedBy: by, urgedAt: at } }];
    }

    case 'CompleteHandling':
      requireReceived(state, '办结');
      if (!state.assignment) refuse('INVALID_STATE', '尚未交办，不能办结；请先交办承办人或承办部门 (assign handling first)');
      if (state.completedAt) refuse('INVALID_STATE', '已办结，不能重复办结 (already completed)', { completedAt: state.completedAt });
      return [{ type: 'HandlingCompleted', data: { ...key, result: command.data.result, completedBy: by, completedAt: at } }];

    case 'SendReply': {
      requireReceived(state, '答复');
      const { text, replyDocumentId } = command.data;
      if (replyDocumentId !== undefined) requireOwnReplyDocument(replyDocumentId, c.unitId, context);
      return [{ type: 'ReplySent', data: withoutUndefined({ ...key, text, replyDocumentId, repliedBy: by, repliedAt: at }) }];
    }

    case 'FileIncoming': {
      requireReceived(state, '归档');
      if (state.assignment && !state.completedAt) {
        refuse('INVALID_STATE', '承办尚未办结，请先办结再归档 (complete handling before filing)', { dueDate: state.assignment.dueDate });
      }
      const { retention, organisationCode, remarks } = command.data;
      return [{ type: 'IncomingFiled', data: withoutUndefined({ ...key, retention, organisationCode, remarks, filedBy: by, filedAt: at }) }];
    }
  }
}

function assign(c: Data<'AssignHandling'>, state: DeliveryState, context: DeliveryContext): DeliveryEvent[] {
  requireReceived(state, '交办');
  if (state.completedAt) {
    refuse('INVALID_STATE', '已办结，不能再交办 (handling already completed)', { completedAt: state.completedAt });
  }
  const { assigneeUserId, assigneeDepartment, dueDate, note } = c;
  if (assigneeUserId === undefined && assigneeDepartment === undefined) {
    refuse('VALIDATION_FAILED', '须指定承办人或承办部门 (name an assignee or a department)');
  }
  if (assigneeUserId !== undefined) {
    const user = context.assignee;
    if (!user || user.userId !== assigneeUserId) {
      refuse('NOT_FOUND', '承办人不存在，请先在本单位登记该用户 (unknown assignee)', { assigneeUserId });
    } else if (user.unitId !== c.unitId) {
      refuse('VALIDATION_FAILED', '承办人须是本单位人员 (the assignee must belong to the recipient unit)', {
        assigneeUserId,
        assigneeUnitId: user.unitId,
      });
    } else if (!user.active) {
      refuse('VALIDATION_FAILED', '承办人账号已停用，请改派其他人员 (the assignee is deactivated)', { assigneeUserId });
    }
  }
  if (isBeforeToday(dueDate, context.now)) {
    refuse('VALIDATION_FAILED', '办理期限不能早于今天，请重新设定期限 (the due date is in the past)', { dueDate, now: context.now });
  }
  return [
    {
      type: 'HandlingAssigned',
      data: withoutUndefined({
        documentId: c.documentId,
        unitId: c.unitId,
        assigneeUserId,
        assigneeDepartment,
        dueDate,
        note,
        assignedBy: context.actor.userId,
        assignedAt: context.now,
      }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Guards

function requireDelivery(state: DeliveryState): DeliveryHeader {
  if (state.status === 'absent' || !state.delivery) {
    return refuse('NOT_FOUND', '未收到该公文：发文单位分发之后才能办理 (no delivery of this document to this unit)');
  }
  return state.delivery;
}

/** 签收 and 退回 both happen at the door: the copy must be waiting, not yet taken in or sent away. */
function requireAwaitingReceipt(state: DeliveryState, action: string): void {
  switch (state.status) {
    case 'delivered':
      return;
    case 'received':
      refuse('INVALID_STATE', `已签收，不能再${action}；一个收文单位只签收一次 (already signed for)`, {
        receivedBy: state.receivedBy,
        receivedAt: state.receivedAt,
      });
      return;
    case 'withdrawn':
      refuse('INVALID_STATE', `发文单位已撤回该公文，不能${action}；如有疑问请联系发文单位 (recalled by the sender)`, {
        withdrawnAt: state.withdrawn?.withdrawnAt,
      });
      return;
    case 'returned':
      refuse('INVALID_STATE', `该公文已退回发文单位，不能${action}；须由发文单位重新发送 (already returned)`, {
        returnedAt: state.returned?.returnedAt,
      });
      return;
    default:
      refuse('INVALID_STATE', `当前状态不能${action}`, { status: state.status });
  }
}

/** Reading, instructing, handling, replying and filing all need a copy that was signed for. */
function requireReceived(state: DeliveryState, action: string): void {
  switch (state.status) {
    case 'received':
      return;
    case 'delivered':
      refuse('INVALID_STATE', `尚未签收，请先签收再${action} (sign for the document first)`);
      return;
    case 'withdrawn':
      refuse('INVALID_STATE', `发文单位已撤回该公文，不能${action} (recalled by the sender)`, { withdrawnAt: state.withdrawn?.withdrawnAt });
      return;
    case 'returned':
      refuse('INVALID_STATE', `该公文已退回发文单位，不能${action} (returned to the sender)`, { returnedAt: state.returned?.returnedAt });
      return;
    default:
      refuse('INVALID_STATE', `当前状态不能${action}`, { status: state.status });
  }
}

function requireOwnReplyDocument(replyDocumentId: string, unitId: string, context: DeliveryContext): void {
  const reply = context.replyDocument;
  // Another unit's document is refused exactly as a missing one: the refusal reveals nothing of it.
  if (!reply || reply.documentId !== replyDocumentId || reply.issuerUnitId !== unitId) {
    refuse('NOT_FOUND', '答复所引用的公文不存在或不是本单位的公文，请先起草答复公文 (unknown reply document)', { replyDocumentId });
  }
}

/** The handler loads the stream by these ids; a mismatch is a bug in the caller, not a refusal. */
function assertSameStream(c: { documentId: string; unitId: string }, state: DeliveryState): void {
  const d = state.delivery;
  if (d && (d.documentId !== c.documentId || d.unitId !== c.unitId)) {
    throw new Error(`delivery command for ${c.documentId}.${c.unitId} decided on the stream of ${d.documentId}.${d.unitId}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

/**
 * The ledger serves units in one city, so "today" is the calendar day in China Standard Time
 * (UTC+8, no daylight saving), whatever offset the handler's clock wrote `now` with.
 */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export function chinaDate(isoTimestamp: string): string {
  return new Date(Date.parse(isoTimestamp) + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * A date-only due date may be today (due by the end of the day); an exact due time may not be in
 * the past, since a deadline already missed when set would only raise a warning at once.
 */
export function isBeforeToday(dueDate: string, now: string): boolean {
  if (/^\d{4}-\d{2}-\d{2}$/.test(dueDate)) return dueDate < chinaDate(now);
  return Date.parse(dueDate) < Date.parse(now);
}
