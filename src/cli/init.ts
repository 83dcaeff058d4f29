import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { newToken } from '../api/api-commands.ts';
import { Refusal } from '../domain/refusal.ts';
import { refusalExits, withLedger } from './with-ledger.ts';

export interface InitOptions {
  unitId: string;
  unitName: string;
  shortName?: string;
  prefix: string;
  adminId: string;
  adminName: string;
}

/**
 * `gongwen init`: the way into an empty ledger without the demo. The ledger itself (SYSTEM)
 * registers the city office and its first super administrator and issues that administrator a
 * token, printed once. The domain allows SYSTEM only this bootstrap, so on a ledger that already
 * has them it is refused and changes nothing; an init cut short after the unit is completed.
 */
export async function init(config: Config, opts: InitOptions): Promise<number> {
  return withLedger(config, (ledger) => {
    const system = { kind: 'system' } as const;
    const run = (type: string, input: Record<string, unknown>) => ledger.commands.execute(system, type, { commandId: `init-${randomUUID()}`, ...input });
    return refusalExits(async () => {
      let unitRefusal: Refusal | null = null;
      try {
        await run('RegisterUnit', {
          unitId: opts.unitId,
          name: opts.unitName,
          ...(opts.shortName ? { shortName: opts.shortName } : {}),
          kind: 'city-office',
          docNumberPrefixes: [opts.prefix],
        });
      } catch (error) {
        if (!(error instanceof Refusal) || error.code !== 'NOT_AUTHORISED') throw error;
        unitRefusal = error; // the city has units: perhaps an init cut short, finished below
      }
      try {
        await run('RegisterUser', { userId: opts.adminId, unitId: opts.unitId, name: opts.adminName, roles: ['SUPER_ADMIN'] });
      } catch (error) {
        if (unitRefusal && error instanceof Refusal && error.code === 'NOT_AUTHORISED') {
          console.error(
            '账本已初始化，已有市级办公室和超级管理员 (the ledger already has its city office and super administrator): ' +
              'an administrator issues tokens with the issueCredential mutation, or the operator runs `gongwen credential <userId>`',
          );
          return 1;
        }
        throw error;
      }
      const { token, tokenHash } = newToken(opts.adminId);
      const credentialId = `init-${randomUUID().slice(0, 8)}`;
      await run('IssueCredential', { userId: opts.adminId, credentialId, tokenHash, tokenHashAlgorithm: 'sm3', label: 'gongwen init' });
      console.log(JSON.stringify({ unitId: opts.unitId, userId: opts.adminId, credentialId, token }, null, 2));
      console.error('令牌只显示这一次，请妥善保存 (the token is shown only this once): send it as "Authorization: Bearer <token>"');
      return 0;
    });
  });
}
