import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { newToken } from '../api/api-commands.ts';
import type { Role } from '../../schemas/common.ts';
import type { DemoCity } from './city.ts';
import { SYSTEM, type RunCommand } from './commands.ts';
import { inParallel } from '../app/in-parallel.ts';

export interface DemoCredential {
  name: string;
  /** The unit's name, as people know it. */
  unit: string;
  unitId: string;
  roles: Role[];
  /** `Authorization: Bearer <token>`. */
  token: string;
  /** For seal keepers: the passphrase of their unit's server-held seal. */
  sealPassphrase?: string;
}

/**
 * Every demo seal is server-held under this one passphrase, so a visitor can seal as any keeper.
 * A demo convenience only: real seals get each keeper's own (ChangeSealPassphrase).
 */
export const DEMO_SEAL_PASSPHRASE = 'Fuyang-Yinzhang-2026';

export type DemoCredentials = Record<string, DemoCredential>;

export const credentialsFile = (dataDir: string) => join(dataDir, 'demo-credentials.json');

/**
 * One login token per account, issued the way `gongwen credential` issues them (by the ledger
 * itself, recorded only as the token's SM3 digest). The tokens exist nowhere else: the file is the
 * only copy.
 */
export async function issueDemoCredentials(run: RunCommand, city: DemoCity, parallel = 8): Promise<DemoCredentials> {
  const credentials: DemoCredentials = {};
  await inParallel(city.people, parallel, async (p) => {
    const { token, tokenHash } = newToken(p.userId);
    await run(SYSTEM, 'IssueCredential', {
      userId: p.userId,
      credentialId: `demo-${randomUUID().slice(0, 8)}`,
      tokenHash,
      tokenHashAlgorithm: 'sm3',
      label: '演示账号令牌 (gongwen demo)',
    });
    credentials[p.userId] = {
      name: p.name,
      unit: city.unitById(p.unitId).name,
      unitId: p.unitId,
      roles: p.roles,
      token,
      ...(p.roles.includes('SEAL_KEEPER') && { sealPassphrase: DEMO_SEAL_PASSPHRASE }),
    };
  });
  // In the city's order (offices, departments, districts), not in the order the tokens came back.
  return Object.fromEntries(city.people.map((p) => [p.userId, credentials[p.userId]!]));
}

/** Written owner-only (0600) and atomically: the file holds live bearer tokens. */
export async function writeCredentialsFile(path: string, credentials: DemoCredentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}
