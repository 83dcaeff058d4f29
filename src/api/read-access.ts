import type { Principal } from '../app/authorization.ts';
import { loadState } from '../app/commands/deps.ts';
import { documentDecider, type DocumentRecord } from '../domain/document/index.ts';
import { streams } from '../domain/streams.ts';
import type { EventStore } from '../eventstore/port.ts';
import { apiError } from './errors.ts';

type User = Extract<Principal, { kind: 'user' }>;

/**
 * Who may read what: the one place the read rules live. A unit sees only documents it issued or
 * received; inspectors (纪检监察) and the city's super administrators see every unit, read-only.
 */
export const seesAllUnits = (p: User) => p.roles.includes('INSPECTOR') || p.roles.includes('SUPER_ADMIN');

/** The unit whose lists are read: the caller's own, or (for those who see all) the one named. */
export function unitScope(p: User, requested: string | undefined | null): string {
  if (!requested || requested === p.unitId) return p.unitId;
  if (seesAllUnits(p)) return requested;
  throw apiError('NOT_AUTHORISED', '只能查看本单位的公文 (only your own unit)');
}

/** The document, if the caller may see it; a document the caller may not see is reported as absent. */
export async function readableDocument(store: EventStore, p: User, documentId: string): Promise<DocumentRecord | null> {
  const { state } = await loadState(store, documentDecider, streams.document(documentId));
  if (state.status === 'none') return null;
  if (state.issuerUnitId === p.unitId || seesAllUnits(p)) return state;
  const delivery = await store.readStream(streams.delivery(documentId, p.unitId));
  return delivery.revision === null ? null : state;
}

export function requireTimelineOfUser(p: User, userId: string, userUnitId: string | undefined): void {
  if (userId === p.userId || seesAllUnits(p)) return;
  if (p.roles.includes('UNIT_ADMIN') && userUnitId === p.unitId) return;
  throw apiError('NOT_AUTHORISED', '只能查看本人的操作记录；纪检监察人员可查看所有人 (own timeline only)');
}

export function requireTimelineOfUnit(p: User, unitId: string): void {
  if (seesAllUnits(p)) return;
  if (unitId === p.unitId && (p.roles.includes('LEADER') || p.roles.includes('UNIT_ADMIN'))) return;
  throw apiError('NOT_AUTHORISED', '只有本单位领导、单位管理员或纪检监察人员可以查看单位的操作记录 (not authorised)');
}

/** 待盖章内容: only the issuing unit prepares its own sealing. */
export function requireIssuer(p: User, doc: DocumentRecord): void {
  if (doc.issuerUnitId !== p.unitId) throw apiError('NOT_FOUND', `公文「${doc.documentId}」不存在或不是本单位的发文 (no such document of your unit)`);
}

/** 归档文件目录: the archivists of that fonds (their unit's 全宗号), inspectors and super administrators. */
export function requireCatalogue(p: User, unitFondsCode: string | null | undefined, fonds: string): void {
  if (seesAllUnits(p)) return;
  if (p.roles.includes('ARCHIVIST') && unitFondsCode === fonds) return;
  throw apiError('NOT_AUTHORISED', '只有该全宗的档案员、纪检监察人员或超级管理员可以查看归档文件目录 (not authorised)');
}

/** An export: its requester, the archivists of its fonds, inspectors and super administrators. */
export function requireExportReader(p: User, exp: { requestedBy: string; fonds: string }, unitFonds: string): void {
  if (exp.requestedBy === p.userId || seesAllUnits(p)) return;
  if (p.roles.includes('ARCHIVIST') && unitFonds === exp.fonds) return;
  throw apiError('NOT_FOUND', '没有该导出任务，或您无权查看 (no such export)');
}

/** The package itself goes only to the archivist who asked for it. */
export function requireExportRequester(p: User, exp: { requestedBy: string }): void {
  if (exp.requestedBy !== p.userId) throw apiError('NOT_AUTHORISED', '移交包只能由申请导出的档案员下载 (only the requester may download)');
}

/** Checking an uploaded package: archivists, inspectors and super administrators. */
export function requirePackageChecker(p: User): void {
  if (seesAllUnits(p) || p.roles.includes('ARCHIVIST')) return;
  throw apiError('NOT_AUTHORISED', '只有档案员、纪检监察人员或超级管理员可以检测移交包 (not authorised)');
}
