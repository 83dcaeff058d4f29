import { z } from 'zod';
import { DocNumberPrefix, Id } from '../common.ts';
import { defineEvent } from '../define.ts';
import { DocNumber, DocYear, SerialNumber } from './document.ts';

/**
 * Why a reserved 发文字号 went back to its stream: the document it was reserved for can no longer
 * carry it. SIGN_OFF_VOIDED: the draft was revised after the reservation (so the sign-off it was
 * reserved under is void, for good); PREFIX_CHANGED: the draft now uses another 机关代字.
 */
export const NumberReleaseReason = z.enum(['SIGN_OFF_VOIDED', 'PREFIX_CHANGED']);

/**
 * A reservation on `numbering-<unitId>.<prefix>.<year>` given back: the number is free again and
 * the next reservation of that stream takes it (lowest first), so the register has no silent gap.
 * Until it is taken again, the register shows it with this reason.
 */
export const DocumentNumberReleased = defineEvent(
  'DocumentNumberReleased',
  1,
  z.strictObject({
    documentId: Id,
    unitId: Id,
    prefix: DocNumberPrefix,
    year: DocYear,
    number: SerialNumber,
    docNumber: DocNumber,
    reason: NumberReleaseReason,
  }),
);
