import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { commandRoles } from '../app/authorization.ts';
import { commandRoutes } from '../app/command-service.ts';
import { Refusal } from '../domain/refusal.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import type { ApiInputOverride } from './command-sdl.ts';

/** The commands a client may send: every command with a role rule (the rest are the ledger's own). */
export const apiCommands = Object.keys(commandRoles).map((type) => commandRoutes[type]!.definition);

const uploads = ['attachments: [AttachmentUpload!]'];

/** Where the API input differs from the command: the server completes these fields. */
export const apiOverrides: Record<string, ApiInputOverride> = {
  DraftDocument: { omit: ['attachments'], extra: uploads },
  ReviseDraft: { omit: ['attachments'], extra: uploads },
  IssueCredential: { omit: ['tokenHash', 'tokenHashAlgorithm', 'issuedWith'] },
};

interface Upload {
  name: string;
  mediaType: string;
  contentBase64: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Attachments arrive as base64; their bytes go to the content store under their SM3 digest and the
 * command records name, type, size and digest. The size limit itself is the domain's rule.
 */
export async function storeUploads(pool: pg.Pool, uploadsIn: Upload[]): Promise<{ name: string; mediaType: string; size: number; sm3: string }[]> {
  const out = [];
  for (const u of uploadsIn) {
    const text = u.contentBase64.replace(/\s+/g, '');
    if (!BASE64.test(text) || text.length % 4 !== 0) {
      throw new Refusal('VALIDATION_FAILED', `附件「${u.name}」的内容不是有效的 base64 编码 (attachment is not valid base64)`);
    }
    const bytes = Buffer.from(text, 'base64');
    const digest = sm3Hex(bytes);
    await pool.query(
      `INSERT INTO attachment_contents (sm3, size, media_type, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sm3) DO NOTHING`,
      [digest, bytes.length, u.mediaType, bytes],
    );
    out.push({ name: u.name, mediaType: u.mediaType, size: bytes.length, sm3: digest });
  }
  return out;
}

/**
 * A bearer token names its user, so a request is authenticated from the user's own stream (a
 * revoked credential stops working at once, without waiting for a read model): `gw1.<user>.<secret>`.
 * Only its SM3 digest is recorded.
 */
export function newToken(userId: string): { token: string; tokenHash: string } {
  const token = `gw1.${userId}.${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: sm3Hex(token) };
}
