import type pg from 'pg';
import { deliveryDecider } from '../../src/domain/delivery/index.ts';
import { streams } from '../../src/domain/streams.ts';
import { SYSTEM_ACTOR, type Principal } from '../../src/app/authorization.ts';
import { handleCommand } from '../../src/app/handle-command.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

/**
 * A city's mail room on a clock the test moves: every event carries a time the test chose, so the
 * inbox and sent-box rows can be asserted exactly. Shared by the inbox and sent-box tests, which
 * read the same events from two sides.
 */

/** 2026-03-0<day>T<hh:mm>:00.000Z (day 1 to 9). */
export const T = (hhmm: string, day = 2): string => `2026-03-0${day}T${hhmm}:00.000Z`;

export type Mailroom = Awaited<ReturnType<typeof createMailroom>>;

export async function createMailroom() {
  let clock = Date.parse(T('00:00'));
  const ledger = await createTestLedger({ now: () => new Date(clock) });
  const at = (iso: string) => {
    clock = Date.parse(iso);
  };
  const city = await seedCity(ledger);
  const people = (unitId: string) => city.people(unitId);

  /** One command by `who`, at `time`. */
  const act = (time: string, who: Principal, type: string, input: Record<string, unknown>) => {
    at(time);
    return city.run(who, type, input);
  };

  /** 拟稿, 签发, 盖章, 核发 by the issuing unit's clerk, leader and seal keeper, one minute apart ending at `sendAt`. */
  async function issue(issuerUnitId: string, documentId: string, sendAt: string, over: Record<string, unknown>) {
    const p = people(issuerUnitId);
    const send = Date.parse(sendAt);
    const minus = (m: number) => new Date(send - m * 60_000).toISOString();
    await act(minus(3), p.clerk, 'DraftDocument', draftInput(documentId, over));
    await act(minus(2), p.leader, 'SignOffDocument', { documentId, opinion: '同意印发' });
    await act(minus(1), p.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: `${issuerUnitId}-seal` });
    await act(sendAt, p.clerk, 'SendDocument', { documentId });
  }

  /** The delivery process manager runs at `time` (分发). */
  async function deliver(time: string) {
    at(time);
    await ledger.settle();
  }

  /**
   * One leg of a recall saga (what RecallDocument runs on each recipient's stream), for the case
   * the saga reaches only when a receipt races it: the recall is abandoned and its withdrawn legs
   * are reinstated. Run as the saga runs it: the real handler and decider, as the ledger itself.
   */
  async function recallLeg(time: string, type: 'WithdrawDelivery' | 'ReinstateDelivery', documentId: string, unitId: string, recallCommandId: string) {
    at(time);
    const data = type === 'WithdrawDelivery' ? { documentId, unitId, recallCommandId, reason: '误发，撤回重发' } : { documentId, unitId, recallCommandId };
    await handleCommand(
      ledger.store,
      { streamId: streams.delivery(documentId, unitId), decider: deliveryDecider, context: () => ({ actor: SYSTEM_ACTOR, now: time }) },
      { command: { type, data } as never, commandId: recallCommandId, step: `${type}/${unitId}`, actor: SYSTEM_ACTOR },
      { maxAttempts: 3 },
    );
  }

  return { ledger, city, at, act, issue, deliver, recallLeg, people };
}

export const TITLE_A = '关于做好2026年电子公文交换工作的通知';
export const TITLE_B = '关于调整2026年度部门预算编制口径的通知';
export const TITLE_C = '关于立即开展安全生产大检查的紧急通知';
export const TITLE_D = '关于报送春季传染病防控工作情况的函';

/**
 * The story, phase by phase (the tests catch their projections up after each phase, so the rows are
 * built incrementally over many batches):
 * - doc-a 平件 from the city office to edu and fin (主送) and hlth (抄送): edu signs, registers,
 *   reviews, reads, instructs, assigns, is urged twice, replies, completes and files; fin returns
 *   it; hlth signs; the office files it.
 * - doc-b 平件 to the same three, recalled before anyone signed.
 * - doc-c 特急 to edu and fin: edu signs and assigns it to a department, then reassigns it to its
 *   leader with an exact due time; fin has not signed.
 * - doc-d 加急 from hlth to edu (主送) and fin (抄送): a recall withdraws edu's copy and is
 *   abandoned (the copy is reinstated).
 */
export async function runScenario(m: Mailroom, afterPhase: (phase: string) => Promise<void>): Promise<void> {
  const edu = m.people('edu');
  const fin = m.people('fin');
  const hlth = m.people('hlth');
  const office = m.people('city-office');
  const a = { documentId: 'doc-a' };

  await m.issue('city-office', 'doc-a', T('01:30'), { title: TITLE_A });
  await afterPhase('doc-a sent');

  await m.deliver(T('01:31'));
  await afterPhase('doc-a delivered');

  await m.act(T('02:00'), edu.clerk, 'ReceiveDocument', { ...a, unitId: 'edu' });
  await m.act(T('02:05'), edu.clerk, 'RegisterIncoming', { ...a, unitId: 'edu', registerNo: '收2026-001' });
  await m.act(T('02:07'), edu.clerk, 'ReviewIncoming', { ...a, unitId: 'edu', accepted: true, opinion: '属本单位职责' });
  await m.act(T('02:10'), edu.leader, 'MarkDocumentRead', { ...a, unitId: 'edu' });
  await m.act(T('02:12'), edu.clerk, 'MarkDocumentRead', { ...a, unitId: 'edu' });
  await m.act(T('02:13'), edu.leader, 'MarkDocumentRead', { ...a, unitId: 'edu' }); // a second reading adds nothing
  await m.act(T('02:15'), edu.leader, 'GiveInstruction', { ...a, unitId: 'edu', kind: '批示', text: '请办公室抓紧落实。' });
  await m.act(T('02:20'), edu.leader, 'AssignHandling', { ...a, unitId: 'edu', assigneeUserId: 'edu-clerk', dueDate: '2026-03-20' });
  await m.act(T('02:30'), fin.clerk, 'ReturnDocument', { ...a, unitId: 'fin', reason: '非本单位职责，请改送市人社局' });
  await m.act(T('02:40'), hlth.clerk, 'ReceiveDocument', { ...a, unitId: 'hlth' });
  await afterPhase('doc-a signed, assigned and returned');

  await m.issue('city-office', 'doc-b', T('03:30'), { title: TITLE_B });
  await m.deliver(T('03:31'));
  await m.act(T('03:45'), office.clerk, 'RecallDocument', { documentId: 'doc-b', reason: '附件有误，重新发文' });
  await afterPhase('doc-b recalled');

  await m.issue('city-office', 'doc-c', T('05:30'), { title: TITLE_C, urgency: '特急', mainRecipients: ['edu', 'fin'], ccRecipients: [] });
  await afterPhase('doc-c sent');
  await m.deliver(T('05:31'));
  await m.act(T('05:40'), edu.clerk, 'ReceiveDocument', { documentId: 'doc-c', unitId: 'edu' });
  await m.act(T('05:45'), edu.clerk, 'AssignHandling', { documentId: 'doc-c', unitId: 'edu', assigneeDepartment: '办公室', dueDate: '2026-03-04' });
  await m.act(T('05:50'), edu.leader, 'AssignHandling', {
    documentId: 'doc-c',
    unitId: 'edu',
    assigneeUserId: 'edu-leader',
    dueDate: '2026-03-03T09:00:00.000Z',
    note: '由我亲自督办',
  });
  await afterPhase('doc-c assigned');

  await m.issue('hlth', 'doc-d', T('06:30'), {
    title: TITLE_D,
    docType: '函',
    urgency: '加急',
    mainRecipients: ['edu'],
    ccRecipients: ['fin'],
    docNumberPrefix: '阜卫',
  });
  await m.deliver(T('06:31'));
  await m.recallLeg(T('07:00'), 'WithdrawDelivery', 'doc-d', 'edu', 'recall-doc-d-1');
  await afterPhase('doc-d withdrawn from edu');
  await m.recallLeg(T('07:01'), 'ReinstateDelivery', 'doc-d', 'edu', 'recall-doc-d-1');
  await afterPhase('doc-d reinstated');

  await m.act(T('01:00', 3), edu.leader, 'UrgeHandling', { ...a, unitId: 'edu', level: '催办', message: '请于本周内办结' });
  await m.act(T('01:00', 4), edu.leader, 'UrgeHandling', { ...a, unitId: 'edu', level: '督办', message: '明日到期，请抓紧' });
  await m.act(T('01:50', 5), edu.clerk, 'SendReply', { ...a, unitId: 'edu', text: '已收悉，正在部署落实' });
  await m.act(T('02:00', 5), edu.clerk, 'CompleteHandling', { ...a, unitId: 'edu', result: '已按要求部署落实' });
  await m.act(T('03:00', 5), edu.clerk, 'FileIncoming', { ...a, unitId: 'edu', retention: 'D30' });
  await m.act(T('04:00', 5), office.clerk, 'FileDocument', { ...a, retention: 'Y', organisationCode: 'BGS' });
  await afterPhase('doc-a handled and filed');
}

/**
 * A pool that records the statements run through it (to show how many queries a read costs, and
 * to EXPLAIN them). Takes both forms of pg's query: (text, values) and ({ text, values, rowMode }).
 */
export function countingPool(pool: pg.Pool): { pool: pg.Pool; statements: { text: string; values: unknown[] }[] } {
  const statements: { text: string; values: unknown[] }[] = [];
  const query = (q: string | pg.QueryConfig, values?: unknown[]) => {
    statements.push(typeof q === 'string' ? { text: q, values: values ?? [] } : { text: q.text, values: q.values ?? [] });
    return pool.query(q as never, values as never);
  };
  return { pool: { query } as unknown as pg.Pool, statements };
}
