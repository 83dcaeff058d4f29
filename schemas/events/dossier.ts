import { z } from 'zod';
import { Actor, Id, Retention, Sm3Hex, Text, Timestamp } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';
import { ArchiveOrganisationCode, FondsCode, PageCount } from './document.ts';

/**
 * Events of `dossier-<fonds>.<year>`: one fonds' yearly dossier (归档文件) from the archivist's
 * re-arrangement through closing (the frozen 档号 and 件号) to the export packages handed to the
 * archives bureau. Every payload names the fonds and the year, so a reader needs no other stream.
 */

const UserId = Actor.shape.userId;

/** A fonds: its 全宗号, or `unit:<unitId>` for a unit the archives bureau has not given one yet. */
export const FondsKey = z.union([FondsCode, z.string().regex(/^unit:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, '全宗须为全宗号，或 unit:<单位标识>')], {
  error: '全宗须为 1 至 16 位数字或字母的全宗号，或未编全宗号单位的 unit:<单位标识> (fonds)',
});
export const DossierYear = z.number().int().min(1900, '年度不能早于 1900').max(2999, '年度不能晚于 2999');
/** An archivist's title (自拟题名), printed in [ ] in the catalogue. */
export const ArchivistTitle = Text(500);
export const ItemRemarks = Text(1000);

const Key = { fonds: FondsKey, year: DossierYear } as const;

/**
 * 整理 before closing: the archivist moves an item (another retention, organisation or place in
 * its group), gives it a title of their own, its page count or a remark. Only the fields named
 * change; `position` puts the item at that place (from 1) of its group when the dossier closes.
 */
export const DossierItemArranged = defineEvent(
  'DossierItemArranged',
  1,
  z.strictObject({
    ...Key,
    documentId: Id,
    unitId: Id,
    retention: Retention.optional(),
    organisationCode: ArchiveOrganisationCode.nullable().optional(),
    archivistTitle: ArchivistTitle.nullable().optional(),
    pages: PageCount.nullable().optional(),
    remarks: ItemRemarks.nullable().optional(),
    position: z.number().int().min(1).max(1_000_000).optional(),
    arrangedBy: UserId,
    arrangedAt: Timestamp,
  }),
);

/** One item as it was frozen: everything its catalogue row and its EEP's 档号 need. */
export const FrozenItem = z.strictObject({
  documentId: Id,
  unitId: Id,
  side: z.enum(['sent', 'incoming']),
  retention: Retention,
  organisationCode: ArchiveOrganisationCode.nullable(),
  itemNo: z.number().int().min(1),
  archivalCode: z.string().min(1).max(120),
  /** 题名: the document's title, or the archivist's own (then `archivistTitle` is true and it prints in [ ]). */
  title: Text(500),
  archivistTitle: z.boolean(),
  docNumber: z.string().max(64),
  responsible: z.string().min(1).max(200),
  /** 日期, 8 digits. */
  date: z.string().regex(/^\d{8}$/),
  classification: z.string().min(1).max(8),
  pages: PageCount.nullable(),
  remarks: z.string().max(1000),
  filedAt: Timestamp,
});
export type FrozenItem = z.infer<typeof FrozenItem>;

/**
 * 关卷: the final arrangement, frozen. Batch 1 is the year's dossier; a filing that arrives after
 * it is closed goes into a supplementary batch (2, 3, …) that continues each group's 件号. A later
 * change of the 档号 template, a rebuild or a late filing never renumbers a frozen item.
 */
export const DossierClosed = defineEvent(
  'DossierClosed',
  1,
  z.strictObject({
    ...Key,
    fondsCode: FondsCode.nullable(),
    fondsName: z.string().min(1).max(200),
    batch: z.number().int().min(1),
    archivalCodeTemplate: z.strictObject({ id: z.string().min(1).max(64), pattern: z.string().min(1).max(200) }),
    items: z.array(FrozenItem).min(1),
    closedBy: UserId,
    closedAt: Timestamp,
  }),
);

export const ProfileName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, '配置名须为小写字母、数字和连字符 (profile name)');

/** An archivist asked for the dossier's export package under a bureau profile. */
export const DossierExportRequested = defineEvent(
  'DossierExportRequested',
  1,
  z.strictObject({ ...Key, exportId: Id, profile: ProfileName, requestedBy: UserId, requestedAt: Timestamp }),
);

/** The package was written: its digests, counts and the profile it follows. */
export const DossierExported = defineEvent(
  'DossierExported',
  1,
  z.strictObject({
    ...Key,
    exportId: Id,
    profile: ProfileName,
    profileDigest: Sm3Hex,
    batches: z.number().int().min(1),
    items: z.number().int().min(0),
    files: z.number().int().min(0),
    contentBytes: z.number().int().min(0),
    packageBytes: z.number().int().min(0),
    packageSha256: z.string().regex(/^[0-9a-f]{64}$/),
    packageSm3: Sm3Hex,
    exportedAt: Timestamp,
  }),
);

export const DossierExportFailed = defineEvent(
  'DossierExportFailed',
  1,
  z.strictObject({ ...Key, exportId: Id, reason: z.string().min(1).max(2000), failedAt: Timestamp }),
);

export const dossierEvents = [DossierItemArranged, DossierClosed, DossierExportRequested, DossierExported, DossierExportFailed] as const;

export type DossierEvent = EventOf<(typeof dossierEvents)[number]>;
export type DossierEventType = DossierEvent['type'];
