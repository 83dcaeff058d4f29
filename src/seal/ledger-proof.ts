import { z } from 'zod';
import { Sm3Hex } from '../../schemas/common.ts';
import { Refusal } from '../domain/refusal.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { canonicalJson } from '../integrity/canonical-json.ts';
import { eventHash, type HashedEventFields } from '../integrity/event-hash.ts';
import { verifyInclusionProof, type InclusionProof, type MerkleLog } from '../integrity/merkle-log.ts';

/**
 * Proof that a sealing is in the ledger (存证): the DocumentSealed event as recorded, whose SM3
 * chain hash is a leaf of the ledger's Merkle log, with the audit path to a checkpoint the ledger
 * signed. An inspector holding only the exported file and the ledger's public key can check that
 * the sealing existed, exactly so, no later than the checkpoint's time.
 */

export interface LedgerProof {
  event: HashedEventFields & { prevHash: string; hash: string; globalPosition: number };
  inclusion: InclusionProof;
}

const Hex = z.string().regex(/^[0-9a-f]*$/);
const CheckpointSchema = z.strictObject({
  treeSize: z.number().int().nonnegative(),
  rootHash: Sm3Hex,
  createdAt: z.string(),
  keyId: z.string(),
  publicKey: Hex,
  signature: Hex,
});

export const LedgerProofSchema: z.ZodType<LedgerProof> = z.strictObject({
  event: z.strictObject({
    eventId: z.string(),
    type: z.string(),
    schemaVersion: z.number().int(),
    streamId: z.string(),
    revision: z.number().int().nonnegative(),
    occurredAt: z.string(),
    recordedAt: z.string(),
    actor: z.strictObject({ userId: z.string(), unitId: z.string(), role: z.string() }),
    commandId: z.string(),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    data: z.unknown(),
    prevHash: Sm3Hex,
    hash: Sm3Hex,
    globalPosition: z.number().int().nonnegative(),
  }),
  inclusion: z.strictObject({
    leafIndex: z.number().int().nonnegative(),
    treeSize: z.number().int().positive(),
    leaf: z.strictObject({
      streamId: z.string(),
      revision: z.number().int().nonnegative(),
      globalPosition: z.number().int().nonnegative(),
      eventId: z.string(),
      hash: Sm3Hex,
      mac: Hex,
    }),
    leafHash: Sm3Hex,
    rootHash: Sm3Hex,
    proof: z.array(Sm3Hex),
    checkpoint: CheckpointSchema.nullable(),
  }),
}) as z.ZodType<LedgerProof>;

/** The proof for a recorded event, signing a new checkpoint first if none covers it yet. */
export async function ledgerProofOf(merkleLog: MerkleLog, e: RecordedEvent): Promise<LedgerProof> {
  const inclusion = await merkleLog.inclusionProof(e.globalPosition).catch(async (error: unknown) => {
    if (!(error instanceof Refusal) || error.code !== 'NOT_FOUND') throw error;
    await merkleLog.checkpoint();
    return merkleLog.inclusionProof(e.globalPosition);
  });
  const { eventId, type, schemaVersion, streamId, revision, occurredAt, recordedAt, actor, commandId, correlationId, causationId, data, prevHash, hash, globalPosition } = e;
  return {
    event: { eventId, type, schemaVersion, streamId, revision, occurredAt, recordedAt, actor, commandId, correlationId, causationId, data, prevHash, hash, globalPosition },
    inclusion,
  };
}

export type LedgerProofCheck = { ok: true; treeSize: number; checkpointAt: string } | { ok: false; reason: string };

/** Whether the proof shows this very sealing inside a checkpoint signed by a trusted ledger key. */
export function checkLedgerProof(proof: LedgerProof, sealing: unknown, trustedLedgerKeys: readonly string[]): LedgerProofCheck {
  const { event, inclusion } = proof;
  const no = (reason: string): LedgerProofCheck => ({ ok: false, reason });
  if (event.type !== 'DocumentSealed' || canonicalJson(event.data) !== canonicalJson(sealing)) {
    return no('账本存证中的事件不是本次盖章记录 (the proven event is not this sealing)');
  }
  const { prevHash, hash, globalPosition, ...fields } = event;
  if (eventHash(prevHash, fields) !== hash) return no('盖章事件与其链式哈希不符 (the event does not match its chain hash)');
  const leaf = inclusion.leaf;
  if (leaf.hash !== hash || leaf.eventId !== event.eventId || leaf.streamId !== event.streamId || leaf.revision !== event.revision || leaf.globalPosition !== globalPosition) {
    return no('全局日志的叶子不是该盖章事件 (the Merkle leaf is another event)');
  }
  if (!inclusion.checkpoint || !trustedLedgerKeys.some((k) => verifyInclusionProof(inclusion, k.toLowerCase()))) {
    return no('审计路径或检查点签名验证未通过，或检查点不是可信账本密钥所签 (inclusion path or checkpoint signature does not verify with a trusted key)');
  }
  return { ok: true, treeSize: inclusion.treeSize, checkpointAt: inclusion.checkpoint.createdAt };
}
