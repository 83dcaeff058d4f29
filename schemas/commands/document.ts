import { z } from 'zod';
import { Classification, CommandId, DocNumberPrefix, DocType, Id, Retention, Urgency } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import {
  ArchiveOrganisationCode,
  Attachments,
  DocumentBody,
  DocumentTitle,
  FondsCode,
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
  }),
);

/** Any of the content fields; null clears signerNote or remarks. */
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
      mainRecipients: contentShape.mainRecipients.optional(),
      ccRecipients: contentShape.ccRecipients.optional(),
      docNumberPrefix: contentShape.docNumberPrefix.optional(),
      signerNote: SignerNote.nullable().optional(),
      remarks: Remarks.nullable().optional(),
    })
    .refine(
      (c) => Object.entries(c).some(([k, v]) => k !== 'commandId' && k !== 'documentId' && v !== undefined),
      '修改稿件时至少要给出一项要修改的内容',
    ),
);

export const SignOffDocument = defineCommand(
  'SignOffDocument',
  z.strictObject({ commandId: CommandId, documentId: Id, opinion: Opinion.optional() }),
);

export const SealDocument = defineCommand('SealDocument', z.strictObject({ commandId: CommandId, documentId: Id, sealId: Id }));

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
