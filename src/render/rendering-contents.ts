import type pg from 'pg';
import { sm3Hex } from '../integrity/sm3.ts';

/**
 * The bytes of recorded renderings (`rendering_contents`, core migration 140), by SM3 digest: the
 * file a DocumentRendered event describes, kept so that the archive receives that very file even
 * after the renderer or the fonts change.
 */

export async function storeRendering(pool: pg.Pool | pg.ClientBase, r: { pdf: Uint8Array; sm3: string }): Promise<void> {
  await pool.query('INSERT INTO rendering_contents (sm3, size, media_type, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sm3) DO NOTHING', [r.sm3, r.pdf.byteLength, 'application/pdf', Buffer.from(r.pdf.buffer, r.pdf.byteOffset, r.pdf.byteLength)]);
}

/** The stored bytes whose SM3 is `sm3`, or null (not stored, or the row no longer matches its digest). */
export async function storedRendering(pool: pg.Pool | pg.ClientBase, sm3: string): Promise<Buffer | null> {
  const { rows } = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM rendering_contents WHERE sm3 = $1', [sm3]);
  const bytes = rows[0]?.bytes;
  return bytes && sm3Hex(bytes) === sm3 ? bytes : null;
}
