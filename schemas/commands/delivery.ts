import { z } from 'zod';
import { CommandId, DocType, Id, Retention, Text, Timestamp, Urgency } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { DeliveryKind, DueDate, InstructionKind, OrganisationCode, UrgeLevel } from '../events/delivery.ts';

/**
 * Commands on `delivery-<documentId>.<unitId>`. `unitId` is always the recipient unit.
 *
 * Three are issued only by the ledger itself (actor role SYSTEM), never by a client:
 * DeliverDocument (the process manager reacting to DocumentSent) and WithdrawDelivery /
 * ReinstateDelivery (the legs of a recall). They carry no commandId of their own: their natural
 * keys (sentEventId, recallCommandId) make them idempotent in `decide`, and the handler derives the
 * store's commandId from those keys plus the unit.
 */

const Key = { documentId: Id, unitId: Id } as const;
const Recipient = { commandId: CommandId, ...Key } as const;

export const DeliverDocument = defineCommand(
  'DeliverDocument',
  z.strictObject({
    ...Key,
    kind: DeliveryKind,
    issuerUnitId: Id,
    title: Text(500),
    docNumber: Text(64),
    docType: DocType,
    urgency: Urgency,
    meetingAt: Timestamp.optional(),
    sentAt: Timestamp,
    sentEventId: z.uuid(),
  }),
);

export const ReceiveDocument = defineCommand('ReceiveDocument', z.strictObject({ ...Recipient }));

export const ReturnDocument = defineCommand(
  'ReturnDocument',
  z.strictObject({ ...Recipient, reason: Text(500) }),
);

export const WithdrawDelivery = defineCommand(
  'WithdrawDelivery',
  z.strictObject({ ...Key, recallCommandId: CommandId, reason: Text(500) }),
);

export const ReinstateDelivery = defineCommand(
  'ReinstateDelivery',
  z.strictObject({ ...Key, recallCommandId: CommandId }),
);

export const RegisterIncoming = defineCommand(
  'RegisterIncoming',
  z.strictObject({ ...Recipient, registerNo: Text(64).optional(), note: Text(500).optional() }),
);

export const ReviewIncoming = defineCommand(
  'ReviewIncoming',
  z.strictObject({ ...Recipient, accepted: z.boolean(), opinion: Text(2000).optional() }),
);

export const MarkDocumentRead = defineCommand('MarkDocumentRead', z.strictObject({ ...Recipient }));

export const GiveInstruction = defineCommand(
  'GiveInstruction',
  z.strictObject({ ...Recipient, kind: InstructionKind, text: Text(2000) }),
);

export const AssignHandling = defineCommand(
  'AssignHandling',
  z
    .strictObject({
      ...Recipient,
      assigneeUserId: Id.optional(),
      assigneeDepartment: Text(100).optional(),
      dueDate: DueDate,
      note: Text(500).optional(),
    })
    .refine((c) => c.assigneeUserId !== undefined || c.assigneeDepartment !== undefined, {
      message: '须指定承办人或承办部门 (name an assignee or a department)',
      path: ['assigneeUserId'],
    }),
);

export const UrgeHandling = defineCommand(
  'UrgeHandling',
  z.strictObject({ ...Recipient, level: UrgeLevel, message: Text(500) }),
);

export const CompleteHandling = defineCommand(
  'CompleteHandling',
  z.strictObject({ ...Recipient, result: Text(2000) }),
);

export const SendReply = defineCommand(
  'SendReply',
  z.strictObject({ ...Recipient, text: Text(2000), replyDocumentId: Id.optional() }),
);

export const FileIncoming = defineCommand(
  'FileIncoming',
  z.strictObject({
    ...Recipient,
    retention: Retention,
    organisationCode: OrganisationCode.optional(),
    remarks: Text(500).optional(),
  }),
);

/** Issued by the ledger's process managers; a client sending one is refused by the authorisation layer. */
export const deliverySystemCommands = [DeliverDocument, WithdrawDelivery, ReinstateDelivery] as const;

/** Issued by people of the recipient unit. */
export const deliveryRecipientCommands = [
  ReceiveDocument,
  ReturnDocument,
  RegisterIncoming,
  ReviewIncoming,
  MarkDocumentRead,
  GiveInstruction,
  AssignHandling,
  UrgeHandling,
  CompleteHandling,
  SendReply,
  FileIncoming,
] as const;

export const deliveryCommands = [...deliverySystemCommands, ...deliveryRecipientCommands] as const;

export type DeliverySystemCommand = CommandOf<(typeof deliverySystemCommands)[number]>;
export type DeliveryRecipientCommand = CommandOf<(typeof deliveryRecipientCommands)[number]>;
export type DeliveryCommand = DeliverySystemCommand | DeliveryRecipientCommand;
export type DeliveryCommandType = DeliveryCommand['type'];
