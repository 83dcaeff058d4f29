import type { Actor } from '../../schemas/common.ts';
import { canonicalJson } from '../integrity/canonical-json.ts';
import { sm3Hex } from '../integrity/sm3.ts';

/**
 * The fingerprint of a command (type, input and who sent it, RFC 8785 canonical, SM3). Stored with
 * its commandId so the same key arriving with a different command, or from another user, is caught
 * instead of silently answered with the first command's outcome (which would hand one unit's
 * events to another unit's user without any authorisation).
 */
export function commandHash(type: string, data: unknown, by: Pick<Actor, 'userId' | 'unitId'>): string {
  return sm3Hex(canonicalJson({ type, data, by: { userId: by.userId, unitId: by.unitId } }));
}
