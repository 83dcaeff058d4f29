import { timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { Refusal } from '../domain/refusal.ts';
import { canonicalJson } from '../integrity/canonical-json.ts';
import { hkdfSm3 } from '../integrity/ledger-key.ts';
import { hmacSm3Hex } from '../integrity/sm3.ts';
import { WrappedSealKeySchema, type WrappedSealKey } from './key-wrap.ts';

const INTEGRITY_INFO = 'gongwen-ledger/v1 seal-key-vault HMAC-SM3';

/**
 * Kept apart from the wrong-passphrase count: a row that was damaged, or swapped for another
 * seal's, is the operator's problem, not the keeper's mistake, and no passphrase is tried on it.
 */
export const SEAL_KEY_DAMAGED = 'SEAL_KEY_DAMAGED';

/**
 * Where server-held seal keys wait, encrypted, between sealings (table seal_key_vault, migration
 * 008). The vault never sees a passphrase or a plain key: wrapping and unwrapping happen in the
 * command handlers (src/seal/key-wrap.ts).
 */
export class SealKeyVault {
  readonly #integrityKey: Buffer;

  /**
   * `macKey`: the ledger's event MAC key; each row is sealed with a key derived from it, so only
   * the ledger can write a row that passes, and the check needs no passphrase.
   */
  constructor(
    private readonly pool: pg.Pool,
    macKey: Buffer,
  ) {
    this.#integrityKey = hkdfSm3(macKey, 'gongwen-ledger/v1', INTEGRITY_INFO, 32);
  }

  #seal(wrapped: WrappedSealKey): string {
    return hmacSm3Hex(this.#integrityKey, Buffer.from(canonicalJson(wrapped), 'utf8'));
  }

  /** Keeps a newly generated key; a repeat of the same key is a no-op. */
  async put(wrapped: WrappedSealKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO seal_key_vault (seal_id, public_key, wrapped, integrity) VALUES ($1, $2, $3, $4) ON CONFLICT (seal_id, public_key) DO NOTHING`,
      [wrapped.sealId, wrapped.publicKey, JSON.stringify(wrapped), this.#seal(wrapped)],
    );
  }

  /**
   * The key the seal registry names for this seal (its public key), if the vault holds it. A row
   * that is not a wrapped key, names another seal or key, or fails its integrity seal is refused
   * with SEAL_KEY_DAMAGED before anyone tries a passphrase on it.
   */
  async get(sealId: string, publicKey: string): Promise<WrappedSealKey | undefined> {
    const { rows } = await this.pool.query<{ wrapped: unknown; integrity: string | null }>(
      `SELECT wrapped, integrity FROM seal_key_vault WHERE seal_id = $1 AND public_key = $2`,
      [sealId, publicKey],
    );
    const row = rows[0];
    if (!row) return undefined;
    const parsed = WrappedSealKeySchema.safeParse(row.wrapped);
    let problem: string | null = null;
    if (!parsed.success) problem = 'not a wrapped key';
    else if (parsed.data.sealId !== sealId || parsed.data.publicKey !== publicKey) problem = 'the row holds another seal’s key';
    else if (row.integrity === null || !sameHex(row.integrity, this.#seal(parsed.data))) problem = 'integrity seal does not match';
    if (problem || !parsed.success) {
      throw new Refusal(
        SEAL_KEY_DAMAGED,
        `服务器上印章的密钥记录已损坏或被调换，未尝试密码，不计入输错次数；请联系市委办公室重新制发印章 (the stored seal key is damaged or swapped: ${problem}; no passphrase was tried)`,
        { sealId, reason: problem },
      );
    }
    return parsed.data;
  }

  /**
   * Rewraps under a new passphrase, only if the row still holds `expected` (compare and swap on its
   * ciphertext): of two concurrent passphrase changes exactly one wins, and neither writes over a
   * key it did not open. Returns whether this call replaced it.
   */
  async replace(expected: WrappedSealKey, next: WrappedSealKey): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE seal_key_vault SET wrapped = $3, integrity = $6, updated_at = now()
        WHERE seal_id = $1 AND public_key = $2 AND wrapped->>'ciphertext' = $4 AND wrapped->>'iv' = $5`,
      [expected.sealId, expected.publicKey, JSON.stringify(next), expected.ciphertext, expected.iv, this.#seal(next)],
    );
    return rowCount === 1;
  }

  /** 销毁: the key material goes with the seal; every row of the seal, orphans included. */
  async destroy(sealId: string): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM seal_key_vault WHERE seal_id = $1`, [sealId]);
    return rowCount ?? 0;
  }
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
