import type { FastifyBaseLogger } from 'fastify';
import type { Ledger } from '../app/ledger.ts';
import { apiError, guarded } from './errors.ts';

type Ctx = { auth: { ok: true } | { ok: false; reason: string } };

/**
 * The Merkle log's proofs for outside monitors. Read rule: any signed-in user — a consistency
 * proof is tree sizes and subtree hashes, nothing of any document, and a monitor must not need
 * an inspector's powers to check that the ledger only grows. Cost: O(log n) indexed lookups, and
 * one field of the query-cost rule per field asked.
 */
export function ledgerProofResolvers(ledger: Ledger, log: FastifyBaseLogger) {
  return {
    ledgerConsistency: (_root: unknown, args: { fromSize: number; toSize?: number | null }, ctx: Ctx) =>
      guarded(log, async () => {
        if (!ctx.auth.ok) throw apiError('UNAUTHENTICATED', ctx.auth.reason);
        return ledger.merkleLog.consistencyProof(args.fromSize, args.toSize ?? undefined);
      }),
  };
}
