import { z } from 'zod';
import { Id, Text, Timestamp } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';

/**
 * Events of the seal registry, stream `seal-<sealId>`. Every event repeats `sealId` and `unitId` so
 * that a projection (usage log, seal-use anomalies, per-unit audit) can file it without keeping the
 * seal's earlier events around.
 */

export const SealTypes = ['单位公章', '公文专用章', '业务专用章', '财务专用章', '合同专用章'] as const;
export const SealType = z.enum(SealTypes, { error: `印章类型须为 ${SealTypes.join('、')} 之一` });
export type SealType = z.infer<typeof SealType>;

/**
 * SM2 public key as an uncompressed point (04 ‖ x ‖ y, 65 bytes = 130 hex digits). Events hold it in
 * lower case only, so two spellings of one key never look like two keys.
 */
export const Sm2PublicKeyHex = z.string().regex(/^04[0-9a-f]{128}$/, 'SM2 公钥须为以 04 开头的 130 位小写十六进制（未压缩点）');

/** A userId as carried by an actor (the SYSTEM actor's id need not follow the Id pattern). */
const ActorUserId = z.string().min(1).max(64);

export const SealReason = Text(500);

export const SealIssued = defineEvent(
  'SealIssued',
  1,
  z.object({
    sealId: Id,
    unitId: Id,
    name: Text(100),
    sealType: SealType,
    publicKey: Sm2PublicKeyHex.optional(),
    validFrom: Timestamp,
    validTo: Timestamp,
    keeperUserIds: z.array(Id),
    /** Set when this seal is the successor of a replaced one (更换). */
    replacesSealId: Id.optional(),
    issuedBy: ActorUserId,
  }),
);

export const SealReplaced = defineEvent(
  'SealReplaced',
  1,
  z.object({ sealId: Id, unitId: Id, replacedBy: Id, reason: SealReason }),
);

export const SealRevoked = defineEvent('SealRevoked', 1, z.object({ sealId: Id, unitId: Id, reason: SealReason }));

export const SealDestroyed = defineEvent('SealDestroyed', 1, z.object({ sealId: Id, unitId: Id, reason: SealReason }));

export const sealEvents = [SealIssued, SealReplaced, SealRevoked, SealDestroyed] as const;

export type SealEvent = EventOf<(typeof sealEvents)[number]>;
