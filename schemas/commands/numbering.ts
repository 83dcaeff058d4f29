import { z } from 'zod';
import { CommandId, DocNumberPrefix, Id } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { DocYear } from '../events/document.ts';

/**
 * Take the next 发文字号 of `numbering-<unitId>.<prefix>.<year>` for a document. Issued by the
 * SealDocument handler before it seals (the year is yearOf(now, configured zone)); repeating it
 * for the same document returns the number the document already holds.
 */
export const ReserveDocumentNumber = defineCommand(
  'ReserveDocumentNumber',
  z.strictObject({ commandId: CommandId, documentId: Id, unitId: Id, prefix: DocNumberPrefix, year: DocYear }),
);

export const numberingCommands = [ReserveDocumentNumber] as const;

export type NumberingCommand = CommandOf<(typeof numberingCommands)[number]>;
