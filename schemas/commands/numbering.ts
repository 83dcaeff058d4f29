import { z } from 'zod';
import { CommandId, DocNumberPrefix, Id, Timestamp } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { DocYear } from '../events/document.ts';

/**
 * Take a 发文字号 of `numbering-<unitId>.<prefix>.<year>` for a document, under its current sign-off.
 * Issued by PrepareSealing and SealDocument (the year is yearOf(now, configured zone)); repeating it
 * for the same document and sign-off returns the number the document already holds.
 */
export const ReserveDocumentNumber = defineCommand(
  'ReserveDocumentNumber',
  z.strictObject({ commandId: CommandId, documentId: Id, unitId: Id, prefix: DocNumberPrefix, year: DocYear, signedOffAt: Timestamp }),
);

/** Give back the document's reservation in this stream if the document can no longer use it. */
export const ReleaseDocumentNumber = defineCommand(
  'ReleaseDocumentNumber',
  z.strictObject({ commandId: CommandId, documentId: Id, unitId: Id, prefix: DocNumberPrefix, year: DocYear }),
);

export const numberingCommands = [ReserveDocumentNumber, ReleaseDocumentNumber] as const;

export type NumberingCommand = CommandOf<(typeof numberingCommands)[number]>;
