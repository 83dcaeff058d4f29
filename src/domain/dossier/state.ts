import type { RetentionCode } from '../../../archive-formats/archival-code/index.ts';
import type { FrozenItem } from '../../../schemas/events/dossier.ts';

/** What the archivist changed on one item before closing; absent = unchanged, null = cleared. */
export interface Arrangement {
  retention?: RetentionCode;
  organisationCode?: string | null;
  archivistTitle?: string | null;
  pages?: number | null;
  remarks?: string | null;
}

/** A move: put the item at `position` (from 1) of its group. Applied in the order they were made. */
export interface Move {
  itemKey: string;
  position: number;
}

export interface DossierState {
  key?: { fonds: string; year: number };
  arrangements: ReadonlyMap<string, Arrangement>;
  moves: readonly Move[];
  /** Every frozen item by itemKey, over all batches. */
  frozen: ReadonlyMap<string, FrozenItem>;
  /** The last 件号 given in each group (groupKey). */
  lastItemNo: ReadonlyMap<string, number>;
  batches: number;
  /** The 档号 template batch 1 was closed under: every later batch keeps it. */
  template?: { id: string; pattern: string };
  exports: ReadonlyMap<string, 'requested' | 'exported' | 'failed'>;
}

export const initialDossierState = (): DossierState => ({
  arrangements: new Map(),
  moves: [],
  frozen: new Map(),
  lastItemNo: new Map(),
  batches: 0,
  exports: new Map(),
});

/** An item of a fonds: one unit's filing of one document. */
export const itemKeyOf = (i: { documentId: string; unitId: string }): string => `${i.documentId}/${i.unitId}`;

/** 件号 runs per retention, and per organisation when the template has one. */
export const groupKeyOf = (retention: string, organisationCode: string | null, usesOrganisation: boolean): string =>
  `${retention}|${usesOrganisation ? (organisationCode ?? '') : ''}`;
