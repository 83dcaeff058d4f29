import { z } from 'zod';
import { CommandId, Id, Retention } from '../common.ts';
import { defineCommand, type CommandOf } from '../define.ts';
import { ArchiveOrganisationCode, PageCount } from '../events/document.ts';
import { ArchivistTitle, DossierYear, FondsKey, ItemRemarks, ProfileName } from '../events/dossier.ts';

/**
 * Commands on `dossier-<fonds>.<year>`. Shapes only: whether the archivist belongs to the fonds,
 * whether the item is in the year's dossier and whether it is still open are the decider's rules.
 */

const Key = { commandId: CommandId, fonds: FondsKey, year: DossierYear } as const;

/** 整理: null clears the archivist's title, page count, remarks or organisation. */
export const ArrangeDossierItem = defineCommand(
  'ArrangeDossierItem',
  z
    .strictObject({
      ...Key,
      documentId: Id,
      unitId: Id,
      retention: Retention.optional(),
      organisationCode: ArchiveOrganisationCode.nullable().optional(),
      archivistTitle: ArchivistTitle.nullable().optional(),
      pages: PageCount.nullable().optional(),
      remarks: ItemRemarks.nullable().optional(),
      position: z.number().int().min(1).max(1_000_000).optional(),
    })
    .refine(
      (c) => ['retention', 'organisationCode', 'archivistTitle', 'pages', 'remarks', 'position'].some((k) => (c as Record<string, unknown>)[k] !== undefined),
      '至少要调整一项：保管期限、机构、题名、页数、备注或排列位置 (nothing to arrange)',
    ),
);

/** 关卷: freezes the year's arrangement (again later for late filings: a supplementary batch). */
export const CloseDossier = defineCommand('CloseDossier', z.strictObject({ ...Key }));

/** Asks for the export package of a closed dossier under a bureau profile (archive-formats/profiles). */
export const RequestDossierExport = defineCommand(
  'RequestDossierExport',
  z.strictObject({ ...Key, exportId: Id, profile: ProfileName.default('default') }),
);

/** The export job's outcome (the ledger's own commands). */
export const RecordDossierExport = defineCommand(
  'RecordDossierExport',
  z.strictObject({
    ...Key,
    exportId: Id,
    outcome: z.discriminatedUnion('ok', [
      z.strictObject({
        ok: z.literal(true),
        profile: ProfileName,
        profileDigest: z.string(),
        batches: z.number().int(),
        items: z.number().int(),
        files: z.number().int(),
        contentBytes: z.number().int(),
        packageBytes: z.number().int(),
        packageSha256: z.string(),
        packageSm3: z.string(),
      }),
      z.strictObject({ ok: z.literal(false), reason: z.string().min(1).max(2000) }),
    ]),
  }),
);

export const dossierCommands = [ArrangeDossierItem, CloseDossier, RequestDossierExport, RecordDossierExport] as const;

export type DossierCommand = CommandOf<(typeof dossierCommands)[number]>;
export type DossierCommandType = DossierCommand['type'];
