import { Refusal } from '../../domain/refusal.ts';
import type { SealSummary } from '../../domain/seal/index.ts';
import { unwrapSealKey, WrongPassphraseError, type WrappedSealKey } from '../../seal/key-wrap.ts';
import type { CommandDeps } from './deps.ts';
import { inTransaction } from '../../db/transaction.ts';

/**
 * Opening a server-held seal key with the keeper's passphrase: the one place that counts wrong
 * passphrases and locks the seal after too many, as a USB key locks after wrong PINs. Each try is
 * recorded as pending before the key is unwrapped, under a lock per seal (migration 011), and the
 * count includes pending tries: twenty wrong passphrases sent at once get at most the limit of
 * SEAL_PASSPHRASE_WRONG, the rest SEAL_LOCKED, and never more than the limit reach the key. Every
 * refusal also goes to the security log (the command service writes it) for inspectors.
 */

export const WRONG_PASSPHRASE = 'SEAL_PASSPHRASE_WRONG';

/** Claims a try: refuses when the window already holds the limit of wrong or unfinished tries. */
async function claimAttempt(deps: CommandDeps, seal: SealSummary): Promise<{ id: string; wrongSoFar: number }> {
  const now = deps.now();
  const since = new Date(now.getTime() - deps.config.GONGWEN_SEAL_LOCK_MINUTES * 60_000);
  const claim = await inTransaction(deps.pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('gongwen-seal-passphrase:' || $1, 0))`, [seal.sealId]);
    const { rows } = await client.query<{ count: number; last_at: Date | null }>(
      `SELECT count(*)::int AS count, max(at) AS last_at FROM seal_passphrase_attempts
        WHERE seal_id = $1 AND outcome <> 'right' AND at > $2`,
      [seal.sealId, since],
    );
    const { count, last_at: lastAt } = rows[0]!;
    if (count >= deps.config.GONGWEN_SEAL_MAX_WRONG_PASSPHRASES) return { locked: true as const, count, lastAt };
    const inserted = await client.query<{ id: string }>(`INSERT INTO seal_passphrase_attempts (seal_id, at) VALUES ($1, $2) RETURNING id`, [seal.sealId, now]);
    return { locked: false as const, id: inserted.rows[0]!.id, wrongSoFar: count };
  });
  if (!claim.locked) return claim;
  const until = new Date((claim.lastAt ?? now).getTime() + deps.config.GONGWEN_SEAL_LOCK_MINUTES * 60_000);
  throw new Refusal(
    'SEAL_LOCKED',
    `印章「${seal.name}」的密码已连续输错 ${claim.count} 次，已锁定至 ${until.toISOString()}，请稍后再试或联系市委办公室 (seal locked after wrong passphrases)`,
    { sealId: seal.sealId, lockedUntil: until.toISOString() },
  );
}

async function settleAttempt(deps: CommandDeps, id: string, outcome: 'wrong' | 'right'): Promise<void> {
  await deps.pool.query(`UPDATE seal_passphrase_attempts SET outcome = $2 WHERE id = $1`, [id, outcome]);
}

/** The vault's row for the seal's registered key; its absence is a seal that cannot seal here. */
async function wrappedKeyOf(deps: CommandDeps, seal: SealSummary): Promise<WrappedSealKey> {
  const wrapped = await deps.vault.get(seal.sealId, seal.publicKey);
  if (!wrapped) {
    throw new Refusal('SEAL_NOT_USABLE', `服务器上没有印章「${seal.name}」的私钥（可能已销毁），不能盖章 (no server-held key for this seal)`, {
      sealId: seal.sealId,
      reason: 'NO_KEY',
    });
  }
  return wrapped;
}

/** The plain private key, for the duration of one call, or a refusal that counts toward the lock. */
export async function unlockSealKey(deps: CommandDeps, seal: SealSummary, passphrase: string): Promise<{ privateKeyHex: string; wrapped: WrappedSealKey }> {
  const wrapped = await wrappedKeyOf(deps, seal);
  const attempt = await claimAttempt(deps, seal);
  let privateKeyHex: string;
  try {
    privateKeyHex = await unwrapSealKey(wrapped, passphrase);
  } catch (error) {
    // Anything but a wrong passphrase (a damaged row) stays pending: it counts, as a try it was.
    if (!(error instanceof WrongPassphraseError)) throw error;
    await settleAttempt(deps, attempt.id, 'wrong');
    const left = deps.config.GONGWEN_SEAL_MAX_WRONG_PASSPHRASES - attempt.wrongSoFar - 1;
    throw new Refusal(
      WRONG_PASSPHRASE,
      left > 0
        ? `印章「${seal.name}」的密码不正确，还可以再试 ${left} 次 (wrong seal passphrase)`
        : `印章「${seal.name}」的密码不正确，印章已锁定 ${deps.config.GONGWEN_SEAL_LOCK_MINUTES} 分钟 (wrong seal passphrase; seal now locked)`,
      { sealId: seal.sealId },
    );
  }
  await settleAttempt(deps, attempt.id, 'right');
  return { privateKeyHex, wrapped };
}
