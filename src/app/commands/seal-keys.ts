import { Refusal } from '../../domain/refusal.ts';
import type { SealSummary } from '../../domain/seal/index.ts';
import { unwrapSealKey, WrongPassphraseError, type WrappedSealKey } from '../../seal/key-wrap.ts';
import type { CommandDeps } from './deps.ts';

/**
 * Opening a server-held seal key with the keeper's passphrase: the one place that counts wrong
 * passphrases and locks the seal after too many, as a USB key locks after wrong PINs. Every wrong
 * passphrase is a SEAL_PASSPHRASE_WRONG refusal, which the command service writes to the security
 * log; the count is read back from there, so it holds across processes and restarts.
 */

export const WRONG_PASSPHRASE = 'SEAL_PASSPHRASE_WRONG';

async function recentWrongPassphrases(deps: CommandDeps, sealId: string): Promise<{ count: number; lastAt: Date | null }> {
  const since = new Date(deps.now().getTime() - deps.config.GONGWEN_SEAL_LOCK_MINUTES * 60_000);
  const { rows } = await deps.pool.query<{ count: number; last_at: Date | null }>(
    `SELECT count(*)::int AS count, max(at) AS last_at FROM security_log
      WHERE code = $1 AND details->>'sealId' = $2 AND at > $3`,
    [WRONG_PASSPHRASE, sealId, since],
  );
  return { count: rows[0]!.count, lastAt: rows[0]!.last_at };
}

/** Returns how many wrong passphrases the window holds, when they are still below the lock. */
async function refuseIfLocked(deps: CommandDeps, seal: SealSummary): Promise<number> {
  const { count, lastAt } = await recentWrongPassphrases(deps, seal.sealId);
  if (count < deps.config.GONGWEN_SEAL_MAX_WRONG_PASSPHRASES) return count;
  const until = new Date((lastAt ?? deps.now()).getTime() + deps.config.GONGWEN_SEAL_LOCK_MINUTES * 60_000);
  throw new Refusal(
    'SEAL_LOCKED',
    `印章「${seal.name}」的密码已连续输错 ${count} 次，已锁定至 ${until.toISOString()}，请稍后再试或联系市委办公室 (seal locked after wrong passphrases)`,
    { sealId: seal.sealId, lockedUntil: until.toISOString() },
  );
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
  const wrongSoFar = await refuseIfLocked(deps, seal);
  const wrapped = await wrappedKeyOf(deps, seal);
  try {
    return { privateKeyHex: await unwrapSealKey(wrapped, passphrase), wrapped };
  } catch (error) {
    if (!(error instanceof WrongPassphraseError)) throw error;
    const left = deps.config.GONGWEN_SEAL_MAX_WRONG_PASSPHRASES - wrongSoFar - 1;
    throw new Refusal(
      WRONG_PASSPHRASE,
      left > 0
        ? `印章「${seal.name}」的密码不正确，还可以再试 ${left} 次 (wrong seal passphrase)`
        : `印章「${seal.name}」的密码不正确，印章已锁定 ${deps.config.GONGWEN_SEAL_LOCK_MINUTES} 分钟 (wrong seal passphrase; seal now locked)`,
      { sealId: seal.sealId },
    );
  }
}
