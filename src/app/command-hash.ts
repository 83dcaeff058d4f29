import { canonicalJson } from '../integrity/canonical-json.ts';
import { sm3Hex } from '../integrity/sm3.ts';

/**
 * The fingerprint of a command (type and input, RFC 8785 canonical, SM3). Stored with its commandId
 * so the same key arriving with a different command is caught instead of silently answered with
 * the first command's outcome.
 */
export function commandHash(type: string, data: unknown): string {
  return sm3Hex(canonicalJson({ type, data }));
}
