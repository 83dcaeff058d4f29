import { z } from 'zod';
import { DocNumberPrefix, Id, Timestamp } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';
import { DocNumber, DocYear, SerialNumber } from './document.ts';
import { DocumentNumberReleased } from './numbering-release.ts';

/**
 * `numbering-<unitId>.<prefix>.<year>`: one stream per 机关代字 and year. Each reservation takes the
 * lowest released number, else the next serial number; two units sealing at once both append at the revision they read and one of
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
    /**
     * The sign-off the number was reserved under (absent on reservations recorded before it was
     * kept): a revision voids that sign-off for good, and with it the reservation.
     */
    signedOffAt: Timestamp.optional(),
  }),
);

export const numberingEvents = [DocumentNumberReserved, DocumentNumberReleased] as const;

export type NumberingEvent = EventOf<(typeof numberingEvents)[number]>;
