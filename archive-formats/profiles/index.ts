import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { resolveArchivalCodeTemplate } from '../archival-code/index.ts';
import { canonicalJson } from '../../src/integrity/canonical-json.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';

/**
 * Bureau profiles: what differs from one archives bureau's import format to another's — the
 * catalogue's columns (renamed, reordered, dropped), the 档号 form expected, the encodings, the
 * digests, the date format and the folder names — so a bureau with its own format needs a profile
 * file here (JSON or YAML), not code. Every profile is validated by the schema below when read.
 */

export const CATALOGUE_FIELDS = ['seq', 'archivalCode', 'docNumber', 'responsible', 'title', 'date', 'secrecy', 'pages', 'remarks', 'itemNo', 'retention', 'organisation'] as const;
export type CatalogueField = (typeof CATALOGUE_FIELDS)[number];

/** The DA/T 22-2015 catalogue columns in their order: 序号, 档号, 文号, 责任者, 题名, 日期, 密级, 页数, 备注. */
export const STANDARD_COLUMNS: readonly { field: CatalogueField; header: string }[] = [
  { field: 'seq', header: '序号' },
  { field: 'archivalCode', header: '档号' },
  { field: 'docNumber', header: '文号' },
  { field: 'responsible', header: '责任者' },
  { field: 'title', header: '题名' },
  { field: 'date', header: '日期' },
  { field: 'secrecy', header: '密级' },
  { field: 'pages', header: '页数' },
  { field: 'remarks', header: '备注' },
];

/** A file or folder name of the package: one path segment, nothing a file system could misread. */
const Segment = z
  .string()
  .min(1)
  .max(80)
  .refine((s) => !/[\\/:*?"<>|\u0000-\u001f]/.test(s) && s !== '.' && s !== '..', '须为单个文件或文件夹名，不能含 / \\ : * ? " < > | 或控制字符');

export const ProfileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
  description: z.string().min(1).max(500),
  /** The 档号 form the bureau expects; an export of a dossier frozen under another form is refused. */
  archivalCodeForm: z
    .string()
    .refine((s) => {
      try {
        resolveArchivalCodeTemplate(s);
        return true;
      } catch {
        return false;
      }
    }, '不是内置档号格式或有效的档号模板')
    .optional(),
  archive: z.strictObject({ name: z.string().max(200).optional(), code: z.string().max(40).optional() }).default({}),
  /** 脱机载体编号 of the package; {fonds} and {year} are filled in. */
  carrierNumber: z.string().min(1).max(80).default('YJ-{fonds}-{year}'),
  dateFormat: z.enum(['yyyymmdd', 'yyyy-mm-dd', 'yyyy.mm.dd']).default('yyyymmdd'),
  digests: z.array(z.enum(['md5', 'sha256', 'sm3'])).min(1).default(['md5', 'sha256', 'sm3']),
  catalogue: z
    .strictObject({
      columns: z
        .array(z.strictObject({ field: z.enum(CATALOGUE_FIELDS), header: z.string().max(40).regex(/^[\p{L}_][\p{L}\p{N}_.-]*$/u, '列名须为字母或汉字开头（也用作 XML 元素名）') }))
        .min(1)
        .default([...STANDARD_COLUMNS]),
      formats: z.array(z.enum(['xml', 'csv', 'xlsx'])).min(1).default(['xml', 'csv', 'xlsx']),
      encodings: z.array(z.enum(['UTF-8', 'GB18030'])).min(1).default(['UTF-8']),
    })
    .default({ columns: [...STANDARD_COLUMNS], formats: ['xml', 'csv', 'xlsx'], encodings: ['UTF-8'] }),
  folders: z
    .strictObject({
      readme: Segment.default('说明文件.txt'),
      catalogue: Segment.default('文件目录.xml'),
      records: Segment.default('电子档案'),
      other: Segment.default('其他'),
      retention: z.strictObject({ Y: Segment, D30: Segment, D10: Segment }).default({ Y: '永久', D30: '定期30年', D10: '定期10年' }),
    })
    .default({ readme: '说明文件.txt', catalogue: '文件目录.xml', records: '电子档案', other: '其他', retention: { Y: '永久', D30: '定期30年', D10: '定期10年' } }),
});
export type Profile = z.infer<typeof ProfileSchema>;

export class ProfileError extends Error {
  override name = 'ProfileError';
}

const folder = new URL('./', import.meta.url);
const isProfileFile = (f: string) => ['.json', '.yaml', '.yml'].includes(extname(f));

/** Parses and validates one profile's text (JSON or YAML). */
export function parseProfile(text: string, source: string): Profile {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ProfileError(`移交配置 ${source} 无法解析：${(error as Error).message}`);
  }
  const parsed = ProfileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProfileError(`移交配置 ${source} 不合规定：${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const fileName = basename(source).replace(/\.(json|ya?ml)$/, '');
  if (parsed.data.name !== fileName) throw new ProfileError(`移交配置 ${source} 的 name「${parsed.data.name}」须与文件名一致`);
  const fields = parsed.data.catalogue.columns.map((c) => c.field);
  if (new Set(fields).size !== fields.length) throw new ProfileError(`移交配置 ${source}：目录列重复`);
  return parsed.data;
}

/** The names of the shipped profiles. */
export function profileNames(): string[] {
  return readdirSync(folder).filter(isProfileFile).map((f) => f.replace(/\.(json|ya?ml)$/, '')).sort();
}

export interface LoadedProfile {
  profile: Profile;
  /** The file as shipped, put into the package's 其他/ folder. */
  text: string;
  fileName: string;
  /** SM3 of the profile's canonical JSON: recorded with every export made under it. */
  digest: string;
}

export function loadProfile(name: string): LoadedProfile {
  const file = readdirSync(folder).filter(isProfileFile).find((f) => f.replace(/\.(json|ya?ml)$/, '') === name);
  if (!file) throw new ProfileError(`没有名为「${name}」的移交配置（可用：${profileNames().join('、')}）(no such profile)`);
  const text = readFileSync(new URL(file, folder), 'utf8');
  const profile = parseProfile(text, file);
  return { profile, text, fileName: file, digest: sm3Hex(canonicalJson(profile)) };
}
