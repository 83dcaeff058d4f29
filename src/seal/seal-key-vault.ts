import type pg from 'pg';
import { WrappedSealKeySchema, type WrappedSealKey } from './key-wrap.ts';

/**
 * Where server-held seal keys wait, encrypted, between sealings (table seal_key_vault, migration
 * 008). The vault never sees a passphrase or a plain key: wrapping and unwrapping happen in the
 * command handlers (src/seal/key-wrap.ts).
 */
export class SealKeyVault {
  constructor(private readonly pool: pg.Pool) {}

  /** Keeps a newly generated key; a repeat of the same key is a no-op. */
  async put(wrapped: WrappedSealKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO seal_key_vault (seal_id, public_key, wrapped) VALUES ($1, $2, $3) ON CONFLICT (seal_id, public_key) DO NOTHING`,
      [wrapped.sealId, wrapped.publicKey, JSON.stringify(wrapped)],
    );
  }

  /** The key the seal registry names for this seal (its public key), if the vault holds it. */
  async get(sealId: string, publicKey: string): Promise<WrappedSealKey | undefined> {
    const { rows } = await this.pool.query(`SELECT wrapped FROM seal_key_vault WHERE seal_id = $1 AND public_key = $2`, [sealId, publicKey]);
    return rows[0] ? WrappedSealKeySchema.parse(rows[0].wrapped) : undefined;
  }

  /**
   * Rewraps under a new passphrase, only if the row still holds `expected` (compare and swap on its
   * ciphertext): of two concurrent passphrase changes exactly one wins, and neither writes over a
   * key it did not open. Returns whether this call replaced it.
   */
  async replace(expected: WrappedSealKey, next: WrappedSealKey): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE seal_key_vault SET wrapped = $3, updated_at = now()
        WHERE seal_id = $1 AND public_key = $2 AND wrapped->>'ciphertext' = $4 AND wrapped->>'iv' = $5`,
      [expected.sealId, expected.publicKey, JSON.stringify(next), expected.ciphertext, expected.iv],
    );
    return rowCount === 1;
  }

  /** 销毁: the key material goes with the seal; every row of the seal, orphans included. */
  async destroy(sealId: string): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM seal_key_vault WHERE seal_id = $1`, [sealId]);
    return rowCount ?? 0;
  }
}
