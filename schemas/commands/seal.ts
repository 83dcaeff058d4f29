import { z } from 'zod';
import { CommandId, Id, Text, Timestamp } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { SealReason, SealType } from '../events/seal.ts';

/** Callers may send the key in either case; the decision stores it in lower case. */
const Sm2PublicKeyInput = z.string().regex(/^04[0-9a-fA-F]{128}$/, 'SM2 公钥须为以 04 开头的 130 位十六进制（未压缩点）');

const distinct = (values: readonly string[]) => new Set(values).size === values.length;

export const IssueSeal = defineCommand(
  'IssueSeal',
  z.object({
    commandId: CommandId,
    sealId: Id,
    unitId: Id,
    /** 印章名称, as engraved: normally the unit's full name, e.g. 阜阳市人民政府办公室. */
    name: Text(100),
    sealType: SealType,
    /** Optional until the seal-making (制章) integration delivers keys with every seal. */
    publicKey: Sm2PublicKeyInput.optional(),
    validFrom: Timestamp,
    validTo: Timestamp,
    keeperUserIds: z.array(Id).refine(distinct, '印章保管人不能重复').optional(),
    /** Set by the ReplaceSeal handler when it issues the successor of `replacesSealId`. */
    replacesSealId: Id.optional(),
  }),
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
      newSeal: z.object({
        name: Text(100),
        sealType: SealType,
        publicKey: Sm2PublicKeyInput.optional(),
        validFrom: Timestamp,
        validTo: Timestamp,
        keeperUserIds: z.array(Id).refine(distinct, '印章保管人不能重复').optional(),
      }),
    })
    .refine((c) => c.sealId !== c.newSealId, { message: '新印章的标识不能与被更换的印章相同', path: ['newSealId'] }),
);

export const RevokeSeal = defineCommand('RevokeSeal', z.object({ commandId: CommandId, sealId: Id, reason: SealReason }));

export const DestroySeal = defineCommand('DestroySeal', z.object({ commandId: CommandId, sealId: Id, reason: SealReason }));

export const sealCommands = [IssueSeal, ReplaceSeal, RevokeSeal, DestroySeal] as const;

export type SealCommand = CommandOf<(typeof sealCommands)[number]>;
export type IssueSealInput = z.infer<typeof IssueSeal.input>;

