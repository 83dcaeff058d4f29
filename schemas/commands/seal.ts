import { z } from 'zod';
import { CommandId, Id, Text, Timestamp } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { SealPassphrase } from './document.ts';
import { KeyCustody, SealReason, SealType } from '../events/seal.ts';

/** Callers may send the key in either case; the decision stores it in lower case. */
const Sm2PublicKeyInput = z.string().regex(/^04[0-9a-fA-F]{128}$/, 'SM2 公钥须为以 04 开头的 130 位十六进制（未压缩点）');

const distinct = (values: readonly string[]) => new Set(values).size === values.length;

/**
 * How the new seal gets its key: `server` — the ledger generates it and keeps it encrypted under
 * `initialPassphrase` (handed to the keeper, who changes it with ChangeSealPassphrase); `client` —
 * the USB key generated it and the command carries its `publicKey`.
 */
const keyFields = {
  keyCustody: KeyCustody,
  publicKey: Sm2PublicKeyInput.optional(),
  initialPassphrase: SealPassphrase.optional(),
};

const keyFieldsConsistent = (c: { keyCustody: string; publicKey?: string; initialPassphrase?: string }) =>
  c.keyCustody === 'server' ? c.initialPassphrase !== undefined && c.publicKey === undefined : c.publicKey !== undefined && c.initialPassphrase === undefined;

const keyFieldsMessage = {
  message: '服务器托管的印章须给出初始密码 initialPassphrase（不能给公钥）；USB Key 印章须给出其 SM2 公钥 publicKey（不能给密码）',
};

/** What a new seal is: given when it is issued, and for the successor when one is replaced. */
const particulars = {
  /** 印章名称, as engraved: normally the unit's full name, e.g. 阜阳市人民政府办公室. */
  name: Text(100),
  sealType: SealType,
  ...keyFields,
  validFrom: Timestamp,
  validTo: Timestamp,
  keeperUserIds: z.array(Id).refine(distinct, '印章保管人不能重复').optional(),
};

export const IssueSeal = defineCommand(
  'IssueSeal',
  z
    .object({
      commandId: CommandId,
      sealId: Id,
      unitId: Id,
      ...particulars,
      /** Set by the ReplaceSeal handler when it issues the successor of `replacesSealId`. */
      replacesSealId: Id.optional(),
    })
    .refine(keyFieldsConsistent, keyFieldsMessage),
);

/** The successor is issued by the same command, so it carries the new seal's particulars. */
export const ReplaceSeal = defineCommand(
  'ReplaceSeal',
  z
    .object({
      commandId: CommandId,
      sealId: Id,
      newSealId: Id,
      reason: SealReason,
      newSeal: z.object(particulars).refine(keyFieldsConsistent, keyFieldsMessage),
    })
    .refine((c) => c.sealId !== c.newSealId, { message: '新印章的标识不能与被更换的印章相同', path: ['newSealId'] }),
);

export const RevokeSeal = defineCommand('RevokeSeal', z.object({ commandId: CommandId, sealId: Id, reason: SealReason }));

export const DestroySeal = defineCommand('DestroySeal', z.object({ commandId: CommandId, sealId: Id, reason: SealReason }));

/** 修改印章密码: only for a server-held key, by one of the seal's keepers, knowing the old passphrase. */
export const ChangeSealPassphrase = defineCommand(
  'ChangeSealPassphrase',
  z
    .object({ commandId: CommandId, sealId: Id, oldPassphrase: SealPassphrase, newPassphrase: SealPassphrase })
    .refine((c) => c.oldPassphrase !== c.newPassphrase, { message: '新密码不能与原密码相同', path: ['newPassphrase'] }),
);

export const sealCommands = [IssueSeal, ChangeSealPassphrase, ReplaceSeal, RevokeSeal, DestroySeal] as const;

export type SealCommand = CommandOf<(typeof sealCommands)[number]>;
export type IssueSealInput = z.infer<typeof IssueSeal.input>;

