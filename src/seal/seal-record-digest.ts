import { canonicalJson } from '../integrity/canonical-json.ts';
import { sm3Hex } from '../integrity/sm3.ts';

/**
 * The name of a seal record: SM3 over its RFC 8785 canonical JSON. A sealing records it, so the
 * seal a signature was made under is fixed even if the registry's record were ever altered.
 */
export const sealRecordDigest = (record: unknown): string => sm3Hex(canonicalJson(record));
