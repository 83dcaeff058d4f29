import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { commandRoles } from '../app/authorization.ts';
import { commandRoutes } from '../app/command-service.ts';
import { Refusal } from '../domain/refusal.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import type { ApiInputOverride } from './command-sdl.ts';
import { withGeneratedIds } from './server-ids.ts';

/** The commands a client may send: every command with a role rule (the rest are the ledger's own). */
export const apiCommands = Object.keys(commandRoles).map((type) => commandRoutes[type]!.definition);

const uploadsField = 'attachments: [AttachmentUpload!]';
const uploads = ['"附件：全部附件，以 base64 上传；一份公文的附件总大小有上限 (the attachments, all of them)"', uploadsField];

/** Where the API input differs from the command: the server completes these fields. */
export const apiOverrides: Record<string, ApiInputOverride> = withGeneratedIds(apiCommands.map((d) => d.type), {
  DraftDocument: { omit: ['attachments'], extra: uploads },
  ReviseDraft: {
    omit: ['attachments', 'addAttachments'],
    extra: [
      '"附件：新的全部附件，替换现有的（不给则保留；不可与 addAttachments、removeAttachments 同用）(the whole new list of attachments, replacing the current one)"',
      uploadsField,
      '"追加的附件，其余附件保持不变 (attachments to append to the draft\'s current list, the others kept as they are)"',
      'addAttachments: [AttachmentUpload!]',
    ],
  },
  IssueCredential: { omit: ['tokenHash', 'tokenHashAlgorithm', 'issuedWith'] },
});

/** The upload fields of a command's API input (base64 bytes), and the command fields their metadata goes to. */
export const uploadFields = ['attachments', 'addAttachments'] as const;

interface Upload {
  name: string;
  mediaType: string;
  contentBase64: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Uploads {
  /** What the command records of each attachment: name, type, size and SM3 digest. */
  attachments: { name: string; mediaType: string; size: number; sm3: string }[];
  bytes: { sm3: string; mediaType: string; content: Buffer }[];
}

/**
 * Attachments arrive as base64; the command records name, type, size and digest, and the bytes
 * wait in memory until the command is accepted (the size limit and the classification are the
 * domain's rules): a refused draft leaves no byte behind.
 */
export function readUploads(uploadsIn: Upload[]): Uploads {
  const out: Uploads = { attachments: [], bytes: [] };
  for (const u of uploadsIn) {
    const text = u.contentBase64.replace(/\s+/g, '');
    if (!BASE64.test(text) || text.length % 4 !== 0) {
      throw new Refusal('VALIDATION_FAILED', `附件「${u.name}」的内容不是有效的 base64 编码 (attachment is not valid base64)`);
    }
    const content = Buffer.from(text, 'base64');
    const sm3 = sm3Hex(content);
    out.attachments.push({ name: u.name, mediaType: u.mediaType, size: content.length, sm3 });
    out.bytes.push({ sm3, mediaType: u.mediaType, content });
  }
  return out;
}

/**
 * Stores the bytes of an accepted command's attachments under their SM3 digest (identical content
 * once). Also after a repeat of the command, so a retry completes a run that stopped between the
 * append and this.
 */
export async function storeAcceptedUploads(pool: pg.Pool, uploads: Uploads): Promise<void> {
  for (const b of uploads.bytes) {
    await pool.query(
      `INSERT INTO attachment_contents (sm3, size, media_type, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sm3) DO NOTHING`,
      [b.sm3, b.content.length, b.mediaType, b.content],
    );
  }
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
