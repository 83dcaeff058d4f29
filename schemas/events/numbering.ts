import { z } from 'zod';
import { DocNumberPrefix, Id } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';
import { DocNumber, DocYear, SerialNumber } from './document.ts';

/**
 * `numbering-<unitId>.<prefix>.<year>`: one stream per 机关代字 and year. Each reservation takes the
 * next serial number; two units sealing at once both append at the revision they read and one of
 * them conflicts and retries, so numbers are unique and without gaps. The payload carries the
 * stream's whole key, so the stream can be checked against its name and projected without parsing it.
 */
export const DocumentNumberReserved = defineEvent(
  'DocumentNumberReserved',
  1,
  z.strictObject({
    documentId: Id,
    unitId: Id,
    prefix: DocNumberPrefix,
    year: DocYear,
    number: SerialNumber,
    docNumber: DocNumber,
  }),
);

export const numberingEvents = [DocumentNumberReserved] as const;

export type NumberingEvent = EventOf<(typeof numberingEvents)[number]>;
