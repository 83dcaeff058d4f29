import type { DemoUnit } from './city.ts';
import { DEMO_SEAL_PASSPHRASE } from './credentials.ts';
import { as, docNumberOf, type RunCommand } from './commands.ts';
import type { Schedule } from './schedule.ts';
import type { DocText, Retention } from './texts.ts';

/**
 * The two halves of a document's life as the demo plays them, step by step at planned slots:
 * `issue` at the issuing unit (拟稿 → 签发 → 盖章 → 核发), `handle` at one recipient unit
 * (签收 → 登记 → 初审 → 阅 → 批示 → 交办 → 催办 → 答复 → 办结 → 归档). Every decision (who, when,
 * what) is made beforehand when the plan is drawn, so the run is the same whatever order the
 * database answers in.
 */

export interface Desk {
  s: Schedule;
  run: RunCommand;
}

export interface Outgoing {
  id: string;
  issuer: DemoUnit;
  text: DocText;
  main: DemoUnit[];
  cc?: DemoUnit[];
  /** Slots of each step; a step left out, and every step after it, does not happen. */
  draft: number;
  signOff?: number;
  seal?: number;
  send?: number;
  /** The signing leader's opinion (签发意见). */
  opinion?: string;
}

function prefixFor(unit: DemoUnit, series: DocText['series']): string {
  const suffix = series === 'letter' ? '函' : series === 'secretariat' ? '秘' : undefined;
  return (suffix && unit.prefixes.find((p) => p.endsWith(suffix))) || unit.prefixes[0]!;
}

/** Plays the issuing side; resolves with the 发文字号 once sealed (undefined if never sealed). */
export async function issue({ s, run }: Desk, o: Outgoing): Promise<string | undefined> {
  await s.at(o.draft);
  await run(as(o.issuer.clerk), 'DraftDocument', {
    documentId: o.id,
    title: o.text.title,
    docType: o.text.docType,
    urgency: o.text.urgency,
    classification: '非密',
    body: o.text.body,
    attachments: [],
    mainRecipients: o.main.map((u) => u.unitId),
    ccRecipients: (o.cc ?? []).map((u) => u.unitId),
    docNumberPrefix: prefixFor(o.issuer, o.text.series),
    ...(o.text.meetingAt ? { meetingAt: o.text.meetingAt } : {}),
  });
  if (o.signOff === undefined) return undefined;
  await s.at(o.signOff);
  await run(as(o.issuer.leader), 'SignOffDocument', { documentId: o.id, opinion: o.opinion ?? '同意印发。' });
  if (o.seal === undefined) return undefined;
  await s.at(o.seal);
  const docNumber = docNumberOf(await run(as(o.issuer.keeper), 'SealDocument', { documentId: o.id, sealId: o.issuer.sealId, passphrase: DEMO_SEAL_PASSPHRASE }));
  if (o.send === undefined) return docNumber;
  await s.at(o.send);
  await run(as(o.issuer.clerk), 'SendDocument', { documentId: o.id });
  s.sent();
  return docNumber;
}

/** 归档 at the issuing unit. */
export async function fileOutgoing({ s, run }: Desk, id: string, issuer: DemoUnit, at: number, retention: Retention, pages: number): Promise<void> {
  await s.at(at);
  await run(as(issuer.clerk), 'FileDocument', { documentId: id, retention, fondsCode: issuer.fondsCode, pages });
}

export async function recall({ s, run }: Desk, id: string, issuer: DemoUnit, at: number, reason: string): Promise<void> {
  await s.at(at);
  await run(as(issuer.clerk), 'RecallDocument', { documentId: id, reason });
}

/** One recipient's handling of one document; every part but the receipt is optional. */
export interface Handling {
  receive: number;
  registerNo?: string;
  review?: { at: number; accepted: boolean; opinion: string };
  /** The leader reads it (阅). */
  read?: number;
  /** The clerk reads it too (传阅). */
  staffRead?: number;
  instruct?: { at: number; text: string; kind?: '批示' | '拟办意见' };
  assign?: { at: number; dueDate: string; department: string; note?: string };
  urge?: { at: number; level: '催办' | '督办'; message: string }[];
  reply?: { at: number; text: string; replyDocumentId?: string };
  complete?: { at: number; result: string };
  file?: { at: number; retention: Retention; remarks?: string };
}

export async function handle(desk: Desk, documentId: string, unit: DemoUnit, h: Handling): Promise<void> {
  const { s, run } = desk;
  const key = { documentId, unitId: unit.unitId };
  await s.at(h.receive);
  await run(as(unit.clerk), 'ReceiveDocument', key);
  await run(as(unit.clerk), 'RegisterIncoming', { ...key, ...(h.registerNo ? { registerNo: h.registerNo } : {}) });
  await continueHandling(desk, documentId, unit, h);
}

/** Everything after the receipt, for a handling whose receipt was played earlier (or just now). */
export async function continueHandling({ s, run }: Desk, documentId: string, unit: DemoUnit, h: Omit<Handling, 'receive' | 'registerNo'>): Promise<void> {
  const key = { documentId, unitId: unit.unitId };
  const clerk = as(unit.clerk);
  const leader = as(unit.leader);
  if (h.review) {
    await s.at(h.review.at);
    await run(clerk, 'ReviewIncoming', { ...key, accepted: h.review.accepted, opinion: h.review.opinion });
  }
  if (h.read !== undefined) {
    await s.at(h.read);
    await run(leader, 'MarkDocumentRead', key);
  }
  if (h.staffRead !== undefined) {
    await s.at(h.staffRead);
    await run(clerk, 'MarkDocumentRead', key);
  }
  if (h.instruct) {
    await s.at(h.instruct.at);
    await run(leader, 'GiveInstruction', { ...key, kind: h.instruct.kind ?? '批示', text: h.instruct.text });
  }
  if (h.assign) {
    await s.at(h.assign.at);
    await run(leader, 'AssignHandling', {
      ...key,
      assigneeUserId: unit.clerk.userId,
      assigneeDepartment: h.assign.department,
      dueDate: h.assign.dueDate,
      ...(h.assign.note ? { note: h.assign.note } : {}),
    });
  }
  for (const u of h.urge ?? []) {
    await s.at(u.at);
    await run(leader, 'UrgeHandling', { ...key, level: u.level, message: u.message });
  }
  if (h.reply) {
    await s.at(h.reply.at);
    await run(clerk, 'SendReply', { ...key, text: h.reply.text, ...(h.reply.replyDocumentId ? { replyDocumentId: h.reply.replyDocumentId } : {}) });
  }
  if (h.complete) {
    await s.at(h.complete.at);
    await run(clerk, 'CompleteHandling', { ...key, result: h.complete.result });
  }
  if (h.file) {
    await s.at(h.file.at);
    await run(clerk, 'FileIncoming', { ...key, retention: h.file.retention, ...(h.file.remarks ? { remarks: h.file.remarks } : {}) });
  }
}

/** 退回 before signing for it, with the reason the sender will read. */
export async function returnToSender({ s, run }: Desk, documentId: string, unit: DemoUnit, at: number, reason: string): Promise<void> {
  await s.at(at);
  await run(as(unit.clerk), 'ReturnDocument', { documentId, unitId: unit.unitId, reason });
}
