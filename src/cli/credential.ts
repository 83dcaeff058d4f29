import { randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fingerprintOf } from '../api/authenticate.ts';
import type { Config } from '../config/config.ts';
import { newToken } from '../api/api-commands.ts';
import { refusalExits, withLedger } from './with-ledger.ts';

/**
 * `gongwen credential <userId> [label]`: the operator issues a login token (the first super
 * administrator's, or a replacement); printed once, recorded only as its SM3 digest.
 * With `--certificate <file.pem>`, registers that client certificate instead (mutual TLS): its
 * SHA-256 fingerprint becomes the credential.
 */
export async function issueCredential(config: Config, userId: string | undefined, label: string | undefined, certificatePath?: string): Promise<number> {
  if (!userId) {
    console.error('用法 (usage): gongwen credential <userId> [label]');
    return 2;
  }
  return withLedger(config, (ledger) =>
    refusalExits(async () => {
      const credentialId = `cli-${randomUUID().slice(0, 8)}`;
      const certificate = certificatePath ? fingerprintOf(new X509Certificate(readFileSync(certificatePath)).fingerprint256) : undefined;
      const { token, tokenHash } = certificate ? { token: undefined, tokenHash: certificate } : newToken(userId);
      await ledger.commands.execute({ kind: 'system' }, 'IssueCredential', {
        commandId: `cli-${randomUUID()}`,
        userId,
        credentialId,
        tokenHash,
        tokenHashAlgorithm: certificate ? 'sha256' : 'sm3',
        ...(label ? { label } : {}),
      });
      console.log(JSON.stringify(certificate ? { userId, credentialId, certificateSha256: certificate } : { userId, credentialId, token }, null, 2));
      return 0;
    }),
  );
}
