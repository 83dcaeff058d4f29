import { ClassifiedMarks } from '../../../schemas/common.ts';
import { refuse } from '../refusal.ts';
import type { UnitStatusLookup } from './context.ts';

/** The rules on a draft's content, shared by DraftDocument and ReviseDraft. */

export function checkClassification(classification: string): asserts classification is '非密' {
  if (ClassifiedMarks.includes(classification)) {
    refuse(
      'CLASSIFIED_REFUSED',
      `本系统只处理非涉密公文，密级为“${classification}”的公文不得在本系统拟制、传输或存储，请按涉密公文管理规定另行办理 (classified documents are refused)`,
      { classification },
    );
  }
}

/**
 * 会议时间 belongs to a 会议通知: a 通知 may name the meeting it calls, no other 文种 may (the
 * supervision would otherwise reckon a 请示's deadline from a meeting).
 */
export function checkMeeting(docType: string, meetingAt: string | undefined): void {
  if (meetingAt !== undefined && docType !== '通知') {
    refuse('VALIDATION_FAILED', `只有会议通知（文种为通知）可以填写会议时间，本文文种为“${docType}” (meetingAt is for a 通知 of a meeting only)`, { field: 'meetingAt', docType });
  }
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(2)} MB`;
const exactBytes = (bytes: number) => `${bytes.toLocaleString('en-US')} 字节`;

/**
 * "<total> 超过上限 <limit>" in MB with two decimals — unless the rounding would make both read
 * the same (3,145,729 bytes over 3,145,728 would read "3.00 MB 超过上限 3.00 MB"): then in exact bytes.
 */
export function sizeOverLimit(total: number, limitBytes: number): string {
  const [t, l] = [mb(total), mb(limitBytes)];
  return t === l ? `${exactBytes(total)}超过上限 ${exactBytes(limitBytes)}` : `${t}（${exactBytes(total)}）超过上限 ${l}（${exactBytes(limitBytes)}）`;
}

/**
 * The one wording of ATTACHMENTS_TOO_LARGE, for the domain's check and for an upload the HTTP layer
 * cut off before the command was read (`atLeast`: only a lower bound of the total is known then).
 */
export function attachmentsTooLargeMessage(total: number, limitBytes: number, opts: { atLeast?: boolean } = {}): string {
  return `附件总大小${opts.atLeast ? '至少 ' : ' '}${sizeOverLimit(total, limitBytes)}，请压缩或拆分附件 (attachments too large)`;
}

export function checkAttachmentSize(attachments: readonly { size: number }[], limitBytes: number): void {
  const total = attachments.reduce((sum, a) => sum + a.size, 0);
  if (total > limitBytes) {
    refuse('ATTACHMENTS_TOO_LARGE', attachmentsTooLargeMessage(total, limitBytes), { totalBytes: total, limitBytes });
  }
}

export function checkDocNumberPrefix(prefix: string, issuerPrefixes: readonly string[]): void {
  if (!issuerPrefixes.includes(prefix)) {
    const known = issuerPrefixes.length ? `本单位登记的机关代字为：${issuerPrefixes.join('、')}` : '本单位尚未登记任何机关代字，请联系管理员';
    refuse('VALIDATION_FAILED', `机关代字“${prefix}”不是本单位登记的代字。${known} (unknown document number prefix)`, {
      field: 'docNumberPrefix',
      prefix,
      issuerPrefixes: [...issuerPrefixes],
    });
  }
}

export interface RecipientProblem {
  unitId: string;
  problem: 'issuer' | 'duplicate' | 'unregistered' | 'inactive';
}

const problemText: Record<RecipientProblem['problem'], string> = {
  issuer: '是发文单位本身，不能作为收文单位',
  duplicate: '在主送、抄送中重复出现',
  unregistered: '未在系统中注册',
  inactive: '已停用',
};

/**
 * At least one 主送; no unit twice across 主送 and 抄送; not the issuer itself; each registered and
 * active. All problems are reported at once, so the clerk fixes the list in one go.
 */
export function checkRecipients(main: readonly string[], cc: readonly string[], issuerUnitId: string, unitStatus: UnitStatusLookup): void {
  if (main.length === 0) refuse('RECIPIENT_INVALID', '至少须有一个主送单位 (at least one main recipient)', { problems: [] });
  const problems: RecipientProblem[] = [];
  const seen = new Set<string>();
  for (const unitId of [...main, ...cc]) {
    if (seen.has(unitId)) {
      if (!problems.some((p) => p.unitId === unitId && p.problem === 'duplicate')) problems.push({ unitId, problem: 'duplicate' });
      continue;
    }
    seen.add(unitId);
    if (unitId === issuerUnitId) {
      problems.push({ unitId, problem: 'issuer' });
      continue;
    }
    const status = unitStatus(unitId);
    if (status === undefined) problems.push({ unitId, problem: 'unregistered' });
    else if (status !== 'active') problems.push({ unitId, problem: 'inactive' });
  }
  if (problems.length > 0) {
    refuse('RECIPIENT_INVALID', `收文单位有误：${problems.map((p) => `${p.unitId} ${problemText[p.problem]}`).join('；')} (invalid recipients)`, {
      problems,
    });
  }
}

/** At send time: every recipient must still be a registered, active unit. */
export function checkRecipientsStillActive(unitIds: readonly string[], unitStatus: UnitStatusLookup): void {
  const problems: RecipientProblem[] = [];
  for (const unitId of unitIds) {
    const status = unitStatus(unitId);
    if (status === undefined) problems.push({ unitId, problem: 'unregistered' });
    else if (status !== 'active') problems.push({ unitId, problem: 'inactive' });
  }
  if (problems.length > 0) {
    refuse(
      'RECIPIENT_INVALID',
      `以下收文单位现已不能接收公文：${problems.map((p) => `${p.unitId} ${problemText[p.problem]}`).join('；')}。公文已盖章、内容不能再改，请重新拟稿 (recipients no longer active)`,
      { problems },
    );
  }
}
