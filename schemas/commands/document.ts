import { z } from 'zod';
import { Classification, CommandId, DocNumberPrefix, DocType, Id, Retention, Sm3Hex, Urgency } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import {
  ArchiveOrganisationCode,
  Attachments,
  DocumentBody,
  DocumentTitle,
  FondsCode,
  MeetingAt,
  Opinion,
  PageCount,
  RecallReason,
  RecipientList,
  Remarks,
  SignerNote,
} from '../events/document.ts';

/**
 * Commands on `document-<documentId>`. Shapes only: the rules that need state or other streams
 * (classification, attachment limit, recipients, prefixes, order of steps) are the decider's, so
 * they come back as typed refusals with their own codes. Classification accepts the classified marks
 * for that reason: the domain refuses them with CLASSIFIED_REFUSED rather than a shape error.
 */

const MEETING_AT = '会议时间 of a 会议通知 (docType 通知 only), ISO 8601 with its zone, e.g. 2026-12-08T09:00:00+08:00: the recipients must sign for and handle the notice before the meeting';

const contentShape = {
  title: DocumentTitle,
  docType: DocType,
  urgency: Urgency,
  classification: Classification,
  body: DocumentBody,
  attachments: Attachments,
  mainRecipients: RecipientList,
  ccRecipients: RecipientList,
  docNumberPrefix: DocNumberPrefix,
} as const;

export const DraftDocument = defineCommand(
  'DraftDocument',
  z.strictObject({
    commandId: CommandId,
    documentId: Id,
    ...contentShape,
    urgency: Urgency.default('平件'),
    classification: Classification.default('非密'),
    attachments: Attachments.default([]),
    ccRecipients: RecipientList.default([]),
    signerNote: SignerNote.optional(),
    remarks: Remarks.optional(),
    meetingAt: MeetingAt.optional().describe(MEETING_AT),
  }),
);

/**
 * One of a draft's attachments, by its SM3 digest or by its position in the draft's current list
 * (0 = the first); exactly one of the two.
 */
export const AttachmentRef = z
  .strictObject({
    sm3: Sm3Hex.optional().describe("The attachment's SM3 digest (64 lower-case hex digits), as the document shows it."),
    index: z.number().int('附件序号须为整数').min(0, '附件序号从 0 开始').max(99, '附件不能超过 100 个').optional().describe("The attachment's position in the draft's current list, 0 for the first."),
  })
  .refine((r) => (r.sm3 === undefined) !== (r.index === undefined), '指定附件须给出 sm3 摘要或序号 index 之一 (give either sm3 or index)')
  .describe('One attachment of the draft, named by sm3 or by index (exactly one of the two).');

/**
 * Any of the content fields; null clears signerNote or remarks. Attachments change either as a whole
 * list (`attachments`) or one by one: `removeAttachments` names those to drop from the current list,
 * `addAttachments` appends new ones; the rest are kept as they are.
 */
export const ReviseDraft = defineCommand(
  'ReviseDraft',
  z
    .strictObject({
      commandId: CommandId,
      documentId: Id,
      title: contentShape.title.optional(),
      docType: contentShape.docType.optional(),
      urgency: contentShape.urgency.optional(),
      classification: contentShape.classification.optional(),
      body: contentShape.body.optional(),
      attachments: contentShape.attachments.optional(),
      addAttachments: contentShape.attachments.min(1, '要添加的附件不能为空列表').optional(),
      removeAttachments: z
        .array(AttachmentRef)
        .min(1, '要删除的附件不能为空列表')
        .max(100, '附件不能超过 100 个')
        .optional()
        .describe('Attachments to drop from the draft, by sm3 or by index in its current list; the others are kept. Naming one the draft does not have is refused (NOT_FOUND).'),
      mainRecipients: contentShape.mainRecipients.optional(),
      ccRecipients: contentShape.ccRecipients.optional(),
      docNumberPrefix: contentShape.docNumberPrefix.optional(),
      signerNote: SignerNote.nullable().optional(),
      remarks: Remarks.nullable().optional(),
      meetingAt: MeetingAt.nullable().optional().describe(`${MEETING_AT}; null clears it`),
    })
    .refine(
      (c) => Object.entries(c).some(([k, v]) => k !== 'commandId' && k !== 'documentId' && v !== undefined),
      '修改稿件时至少要给出一项要修改的内容',
    )
    .refine((c) => c.attachments === undefined || (c.addAttachments === undefined && c.removeAttachments === undefined), {
      message: '附件要么整体替换（attachments），要么逐个添加、删除（addAttachments、removeAttachments），不能同时给出 (give attachments or the single changes, not both)',
      path: ['attachments'],
    }),
);

export const SignOffDocument = defineCommand(
  'SignOffDocument',
  z.strictObject({ commandId: CommandId, documentId: Id, opinion: Opinion.optional() }),
);

/** A seal keeper's passphrase for a server-held seal key: checked by decrypting, never stored or logged. */
export const SealPassphrase = z.string().min(1, '请输入印章密码').max(256, '印章密码不能超过 256 个字符');

/**
 * 盖章. A server-held seal (keyCustody server) is unlocked with the keeper's `passphrase`; a seal
 * on the keeper's USB key (client) sends the `signature` it made over the digest that
 * PrepareSealing reserved the number for and the `sealingContent` query shows — DER or raw r‖s, hex.
 * Neither goes into the command's fingerprint or any record: the ledger records its own verified
 * signature in DocumentSealed.
 */
export const SealDocument = defineCommand(
  'SealDocument',
  z
    .strictObject({
      commandId: CommandId,
      documentId: Id,
      sealId: Id,
      passphrase: SealPassphrase.optional(),
      signature: z.string().regex(/^[0-9a-fA-F]{16,200}$/, '签名值须为十六进制（DER 或 r‖s）').optional(),
    })
    .refine((c) => (c.passphrase === undefined) !== (c.signature === undefined), {
      message: '盖章须提供印章密码（服务器托管的印章）或 USB Key 的签名值（客户端印章）之一 (give either passphrase or signature)',
    }),
);

/**
 * 预留文号: the first step of sealing with a USB key. It runs the sealing checks, reserves the
 * document's number, and makes the content to sign final; the `sealingContent` query then shows
 * the digest the key signs.
 */
// Not a command of the document decider: it appends to the numbering stream only (see the route).
export const PrepareSealing = defineCommand('PrepareSealing', z.strictObject({ commandId: CommandId, documentId: Id, sealId: Id }));

export const SendDocument = defineCommand('SendDocument', z.strictObject({ commandId: CommandId, documentId: Id }));

export const RecallDocument = defineCommand(
  'RecallDocument',
  z.strictObject({ commandId: CommandId, documentId: Id, reason: RecallReason }),
);

export const FileDocument = defineCommand(
  'FileDocument',
  z.strictObject({
    commandId: CommandId,
    documentId: Id,
    retention: Retention,
    fondsCode: FondsCode.optional(),
    organisationCode: ArchiveOrganisationCode.optional(),
    pages: PageCount.optional(),
    remarks: Remarks.optional(),
  }),
);

export const documentCommands = [
  DraftDocument,
  ReviseDraft,
  SignOffDocument,
  SealDocument,
  SendDocument,
  RecallDocument,
  FileDocument,
] as const;

export type DocumentCommand = CommandOf<(typeof documentCommands)[number]>;
export type DocumentCommandType = DocumentCommand['type'];
export type DocumentCommandOf<T extends DocumentCommandType> = Extract<DocumentCommand, { type: T }>;
