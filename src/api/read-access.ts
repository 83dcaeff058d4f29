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

/**
 * The streams of a document's timeline the caller may see: all of them for the issuing unit and
 * for those who see every unit (null); for a recipient unit, the issuer's document stream (what
 * `document` shows of it: sign-off, seal, sending, recall, filing) and its own delivery, never
 * another recipient's handling (their 批示, 承办, people) nor the issuer's number register.
 */
export function timelineStreams(p: User, doc: DocumentRecord): string[] | null {
  if (doc.issuerUnitId === p.unitId || seesAllUnits(p)) return null;
  return [streams.document(doc.documentId), streams.delivery(doc.documentId, p.unitId)];
}

/** What a refusal says of a document the caller may not read: exactly what it says of one that does not exist. */
export const noSuchDocument = (documentId: string) => apiError('NOT_FOUND', `公文「${documentId}」不存在或您无权查看 (no such document)`);

export function requireTimelineOfUser(p: User, userId: string, userUnitId: string | undefined): void {
  if (userId === p.userId || seesAllUnits(p)) return;
  if (p.roles.includes('UNIT_ADMIN') && userUnitId === p.unitId) return;
  throw apiError('NOT_AUTHORISED', '只能查看本人的操作记录；纪检监察人员可查看所有人 (own timeline only)');
}

/** A user's credentials: the user, an administrator of the user's unit, and those who see every unit. */
export function requireCredentialsOf(p: User, userId: string, userUnitId: string | undefined): void {
  if (userId === p.userId || seesAllUnits(p)) return;
  if (p.roles.includes('UNIT_ADMIN') && userUnitId === p.unitId) return;
  throw apiError('NOT_AUTHORISED', '只能查看本人的登录凭证；单位管理员可查看本单位用户的 (own credentials only)');
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

/** 发文登记簿: the unit's own clerks and leaders; inspectors and super administrators of any unit. */
export function requireNumberRegister(p: User, unitId: string): void {
  if (seesAllUnits(p)) return;
  if (unitId === p.unitId && (p.roles.includes('CLERK') || p.roles.includes('LEADER'))) return;
  throw apiError('NOT_AUTHORISED', '只有本单位的文书、领导或纪检监察人员可以查看发文登记簿 (not authorised)');
}

/**
 * 电子监察 reads: inspectors see every unit (null), a unit's leaders only their own unit; nobody else.
 * `requested` narrows an inspector's view to one unit; a leader naming another unit is refused.
 */
export function supervisionScope(p: User, requested: string | undefined | null): string[] | null {
  if (p.roles.includes('INSPECTOR')) return requested ? [requested] : null;
  if (p.roles.includes('LEADER') && (!requested || requested === p.unitId)) return [p.unitId];
  throw apiError('NOT_AUTHORISED', '只有纪检监察人员或本单位领导可以查看电子监察信息 (inspectors, or the unit\'s own leaders)');
}

/** The audit entries whose hash re-check failed: inspectors only. */
export function requireInspector(p: User): void {
  if (!p.roles.includes('INSPECTOR')) throw apiError('NOT_AUTHORISED', '只有纪检监察人员可以查看 (inspectors only)');
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
