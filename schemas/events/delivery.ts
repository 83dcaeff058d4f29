import { z } from 'zod';
import { Actor, CommandId, DocType, Id, Retention, Text, Timestamp, Urgency } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';

/**
 * Events of `delivery-<documentId>.<unitId>`: one stream per recipient unit of a sent document, so
 * recipients never contend on one stream and each unit's 收文 steps (签收 → 登记 → 初审 → 承办 →
 * 传阅 → 催办 → 答复 → 归档) are one ordered history.
 *
 * Every payload repeats documentId and unitId (the recipient) so that projections (inbox, sent box,
 * audit, supervision) can file an event without joining to the stream name or to another stream.
 * Every payload also names who acted and when: the envelope carries the same, but the decider only
 * sees payloads, and the inbox needs them without reading envelopes.
 */

const UserId = Actor.shape.userId;
const Key = { documentId: Id, unitId: Id } as const;

/** 主送 or 抄送: the sender's list the recipient was on. */
export const DeliveryKind = z.enum(['main', 'cc'], { error: '送达方式须为 main(主送) 或 cc(抄送)' });
export const InstructionKinds = ['批示', '拟办意见'] as const;
export const InstructionKind = z.enum(InstructionKinds, { error: '意见类别须为 批示 或 拟办意见' });
export const UrgeLevels = ['催办', '督办'] as const;
export const UrgeLevel = z.enum(UrgeLevels, { error: '催办级别须为 催办 或 督办' });
/** A due date is a calendar day (due by the end of it) or an exact time. */
export const DueDate = z.union([z.iso.date(), Timestamp], { error: '办理期限须为 ISO 日期 (2025-03-09) 或带时区的时间' });
/** 机构代码 of the 档号: a short code such as BGS, or the department's name in the DA/T 13-2022 form. */
export const OrganisationCode = z
  .string()
  .regex(/^[\p{Script=Han}A-Za-z0-9]{1,16}$/u, '机构代码须为 1 至 16 个汉字、字母或数字');

/** The document as the recipient first sees it: the inbox row is built from this event alone. */
export const DocumentDelivered = defineEvent(
  'DocumentDelivered',
  1,
  z.strictObject({
    ...Key,
    kind: DeliveryKind,
    issuerUnitId: Id,
    title: Text(500),
    docNumber: Text(64),
    docType: DocType,
    urgency: Urgency,
    /** 会议时间 of a 会议通知 (the supervision reckons its deadlines from it). */
    meetingAt: Timestamp.optional(),
    sentAt: Timestamp,
    /** The DocumentSent event this delivery came from: the process manager's idempotency key. */
    sentEventId: z.uuid(),
    deliveredAt: Timestamp,
  }),
);

/** 签收: the receipt (回执) the sender sees. */
export const DocumentReceived = defineEvent(
  'DocumentReceived',
  1,
  z.strictObject({ ...Key, receivedBy: UserId, receivedAt: Timestamp }),
);

/** 退回: the recipient refuses a misdelivered document before signing for it. */
export const DocumentReturned = defineEvent(
  'DocumentReturned',
  1,
  z.strictObject({ ...Key, reason: Text(500), returnedBy: UserId, returnedAt: Timestamp }),
);

/** One leg of the sender's recall (撤回); see src/domain/delivery/decide.ts for the protocol. */
export const DeliveryWithdrawn = defineEvent(
  'DeliveryWithdrawn',
  1,
  z.strictObject({ ...Key, recallCommandId: CommandId, reason: Text(500), withdrawnAt: Timestamp }),
);

/** Compensation: the recall was abandoned because another recipient had signed meanwhile. */
export const DeliveryReinstated = defineEvent(
  'DeliveryReinstated',
  1,
  z.strictObject({ ...Key, recallCommandId: CommandId, reinstatedAt: Timestamp }),
);

/** 收文登记: the recipient's own incoming register. */
export const IncomingRegistered = defineEvent(
  'IncomingRegistered',
  1,
  z.strictObject({
    ...Key,
    registerNo: Text(64).optional(),
    note: Text(500).optional(),
    registeredBy: UserId,
    registeredAt: Timestamp,
  }),
);

/** 初审: whether the document is this unit's to handle and complies with the rules. */
export const IncomingReviewed = defineEvent(
  'IncomingReviewed',
  1,
  z.strictObject({
    ...Key,
    accepted: z.boolean(),
    opinion: Text(2000).optional(),
    reviewedBy: UserId,
    reviewedAt: Timestamp,
  }),
);

/** 阅 / 传阅: one person has read it. */
export const DocumentRead = defineEvent('DocumentRead', 1, z.strictObject({ ...Key, readBy: UserId, readAt: Timestamp }));

/** 批示 / 拟办意见. */
export const InstructionGiven = defineEvent(
  'InstructionGiven',
  1,
  z.strictObject({ ...Key, kind: InstructionKind, text: Text(2000), givenBy: UserId, givenAt: Timestamp }),
);

/** 承办 / 分办: a later assignment supersedes an earlier one. */
export const HandlingAssigned = defineEvent(
  'HandlingAssigned',
  1,
  z.strictObject({
    ...Key,
    assigneeUserId: UserId.optional(),
    assigneeDepartment: Text(100).optional(),
    dueDate: DueDate,
    note: Text(500).optional(),
    assignedBy: UserId,
    assignedAt: Timestamp,
  }),
);

/** 催办 / 督办. */
export const HandlingUrged = defineEvent(
  'HandlingUrged',
  1,
  z.strictObject({ ...Key, level: UrgeLevel, message: Text(500), urgedBy: UserId, urgedAt: Timestamp }),
);

/** 办结. */
export const HandlingCompleted = defineEvent(
  'HandlingCompleted',
  1,
  z.strictObject({ ...Key, result: Text(2000), completedBy: UserId, completedAt: Timestamp }),
);

/** 答复: a reply to the issuer, optionally as a document of the recipient's own (e.g. a 复函). */
export const ReplySent = defineEvent(
  'ReplySent',
  1,
  z.strictObject({
    ...Key,
    text: Text(2000),
    replyDocumentId: Id.optional(),
    repliedBy: UserId,
    repliedAt: Timestamp,
  }),
);

/** 归档 on the recipient's side: the end of this delivery's life. */
export const IncomingFiled = defineEvent(
  'IncomingFiled',
  1,
  z.strictObject({
    ...Key,
    retention: Retention,
    organisationCode: OrganisationCode.optional(),
    remarks: Text(500).optional(),
    filedBy: UserId,
    filedAt: Timestamp,
  }),
);

export const deliveryEvents = [
  DocumentDelivered,
  DocumentReceived,
  DocumentReturned,
  DeliveryWithdrawn,
  DeliveryReinstated,
  IncomingRegistered,
  IncomingReviewed,
  DocumentRead,
  InstructionGiven,
  HandlingAssigned,
  HandlingUrged,
  HandlingCompleted,
  ReplySent,
  IncomingFiled,
] as const;

export type DeliveryEvent = EventOf<(typeof deliveryEvents)[number]>;
export type DeliveryEventType = DeliveryEvent['type'];
