import { z } from 'zod';

/**
 * Building blocks shared by every command and event schema. Messages are written for the clerk who
 * will read them in an error, in Chinese with the field name.
 */

/** Ids appear in stream names (`delivery-<docId>.<unitId>`), so they may not contain `.` or spaces. */
export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, '标识只能由字母、数字、下划线和连字符组成 (id: letters, digits, _ and -, at most 64)');
export const CommandId = z.string().min(8, 'commandId 至少 8 个字符').max(128).regex(/^[\x21-\x7e]+$/, 'commandId 只能含可见 ASCII 字符');
export const Timestamp = z.iso.datetime({ offset: true, message: '时间须为 ISO 8601 格式并带时区' });
/**
 * Text PostgreSQL cannot store: NUL (text and jsonb refuse it) and a lone UTF-16 surrogate (not
 * Unicode at all; jsonb refuses its escape). The one test, shared by the schemas and the API.
 */
export const UNSTORABLE_TEXT = /\u0000|\p{Surrogate}/u;
export const UNSTORABLE_TEXT_MESSAGE = '含有空字符 (NUL) 或不成对的代理字符 (lone surrogate)，请删除后重试';

/** Free text: trimmed, non-empty, bounded, and free of control characters (PostgreSQL's jsonb rejects NUL). */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, '不能为空')
    .max(max, `不能超过 ${max} 个字符`)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, '含有不可见的控制字符')
    .refine((s) => !UNSTORABLE_TEXT.test(s), UNSTORABLE_TEXT_MESSAGE);

export const Roles = ['SUPER_ADMIN', 'UNIT_ADMIN', 'SEAL_KEEPER', 'CLERK', 'LEADER', 'STAFF', 'INSPECTOR', 'ARCHIVIST'] as const;
export const Role = z.enum(Roles);
export type Role = z.infer<typeof Role>;

/** Who did something. `SYSTEM` is the ledger itself (process managers, jobs). */
export const Actor = z.object({
  userId: z.string().min(1).max(64),
  unitId: z.string().min(1).max(64),
  role: z.union([Role, z.literal('SYSTEM')]),
});
export type Actor = z.infer<typeof Actor>;

/** The 15 statutory kinds of document (党政机关公文处理工作条例, art. 8). */
export const DocTypes = ['决议', '决定', '命令', '公报', '公告', '通告', '意见', '通知', '通报', '报告', '请示', '批复', '议案', '函', '纪要'] as const;
export const DocType = z.enum(DocTypes, { error: `文种须为法定 15 种之一：${DocTypes.join('、')}` });

export const Urgencies = ['特急', '加急', '平件'] as const;
export const Urgency = z.enum(Urgencies, { error: '紧急程度须为 特急、加急 或 平件' });

/**
 * Classification marks a caller may send. The classified ones are accepted by the schema so that
 * the domain can refuse them with CLASSIFIED_REFUSED (a clear rule) rather than a shape error.
 */
export const Classifications = ['非密', '秘密', '机密', '绝密'] as const;
export const Classification = z.enum(Classifications, { error: '密级须为 非密、秘密、机密 或 绝密' });
export const ClassifiedMarks: readonly string[] = ['秘密', '机密', '绝密'];

export const Retentions = ['Y', 'D30', 'D10'] as const;
export const Retention = z.enum(Retentions, { error: '保管期限须为 Y(永久)、D30(定期30年) 或 D10(定期10年)' });

/** 机关代字 such as 阜政办: the prefix of a document number. */
export const DocNumberPrefix = z
  .string()
  .regex(/^[\p{Script=Han}A-Za-z0-9]{1,16}$/u, '机关代字须为 1 至 16 个汉字、字母或数字');

export const Sm3Hex = z.string().regex(/^[0-9a-f]{64}$/, '须为 64 位小写十六进制 SM3 摘要');

export const Attachment = z.object({
  name: Text(200),
  mediaType: z.string().min(1).max(100),
  size: z.number().int().nonnegative(),
  /** SM3 of the file content; the bytes themselves are stored by the content store. */
  sm3: Sm3Hex,
});
export type Attachment = z.infer<typeof Attachment>;
