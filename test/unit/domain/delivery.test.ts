import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../../schemas/common.ts';
import {
  AssignHandling,
  DeliverDocument,
  deliveryCommands,
  type DeliveryCommand,
  type DeliveryRecipientCommand,
} from '../../../schemas/commands/delivery.ts';
import { deliveryEvents, type DeliveryEvent } from '../../../schemas/events/delivery.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { fold } from '../../../src/domain/decider.ts';
import { chinaDate, deliveryDecider, type DeliveryContext, type DeliveryState } from '../../../src/domain/delivery/index.ts';
import { Refusal, type RefusalCode } from '../../../src/domain/refusal.ts';

// ------------------------------------------------------------------------------------------------
// Fixtures

const DOC = 'doc-2025-0001';
const ISSUER = 'unit-city-office';
const UNIT = 'unit-county-a';
const OTHER_UNIT = 'unit-county-b';
const SENT_EVENT = '6f1c2b1e-8d3a-4c1e-9b2f-0a1b2c3d4e5f';
const SENT_AGAIN = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const RECALL = 'recall-cmd-0001';
const OTHER_RECALL = 'recall-cmd-0002';
const NOW = '2025-03-10T09:00:00+08:00';
const EARLIER = '2025-03-09T15:00:00+08:00';
const key = { documentId: DOC, unitId: UNIT };

const clerk: Actor = { userId: 'u-clerk', unitId: UNIT, role: 'CLERK' };
const leader: Actor = { userId: 'u-leader', unitId: UNIT, role: 'LEADER' };
const staff: Actor = { userId: 'u-staff', unitId: UNIT, role: 'STAFF' };
const stranger: Actor = { userId: 'u-stranger', unitId: OTHER_UNIT, role: 'CLERK' };
const system: Actor = { userId: 'system', unitId: 'ledger', role: 'SYSTEM' };

/** The events' own schemas, independent of the other aggregates' registry entries. */
const registry = createEventRegistry(deliveryEvents);

// Events, as the stream would hold them.
const ev = {
  delivered: (sentEventId = SENT_EVENT): DeliveryEvent => ({
    type: 'DocumentDelivered',
    data: {
      ...key,
      kind: 'main',
      issuerUnitId: ISSUER,
      title: '关于做好2025年春季防火工作的通知',
      docNumber: '阜政办〔2025〕12号',
      docType: '通知',
      urgency: '加急',
      sentAt: '2025-03-09T10:00:00+08:00',
      sentEventId,
      deliveredAt: '2025-03-09T10:00:01+08:00',
    },
  }),
  received: (by = clerk.userId): DeliveryEvent => ({ type: 'DocumentReceived', data: { ...key, receivedBy: by, receivedAt: EARLIER } }),
  returned: (): DeliveryEvent => ({
    type: 'DocumentReturned',
    data: { ...key, reason: '非本单位职责', returnedBy: clerk.userId, returnedAt: EARLIER },
  }),
  withdrawn: (recallCommandId = RECALL): DeliveryEvent => ({
    type: 'DeliveryWithdrawn',
    data: { ...key, recallCommandId, reason: '文中数据有误', withdrawnAt: EARLIER },
  }),
  reinstated: (recallCommandId = RECALL): DeliveryEvent => ({
    type: 'DeliveryReinstated',
    data: { ...key, recallCommandId, reinstatedAt: EARLIER },
  }),
  registered: (): DeliveryEvent => ({
    type: 'IncomingRegistered',
    data: { ...key, registerNo: '收〔2025〕88号', registeredBy: clerk.userId, registeredAt: EARLIER },
  }),
  read: (by: string): DeliveryEvent => ({ type: 'DocumentRead', data: { ...key, readBy: by, readAt: EARLIER } }),
  assigned: (): DeliveryEvent => ({
    type: 'HandlingAssigned',
    data: { ...key, assigneeDepartment: '应急管理股', dueDate: '2025-03-20', assignedBy: leader.userId, assignedAt: EARLIER },
  }),
  completed: (): DeliveryEvent => ({
    type: 'HandlingCompleted',
    data: { ...key, result: '已部署到各乡镇', completedBy: staff.userId, completedAt: EARLIER },
  }),
  filed: (): DeliveryEvent => ({
    type: 'IncomingFiled',
    data: { ...key, retention: 'D30', filedBy: clerk.userId, filedAt: EARLIER },
  }),
};

// Commands, as the handlers pass them on.
let seq = 0;
const cid = (what: string) => `cmd-${what}-${String(++seq).padStart(4, '0')}`;
const cmd = {
  deliver: (over: Partial<Extract<DeliveryCommand, { type: 'DeliverDocument' }>['data']> = {}): DeliveryCommand => ({
    type: 'DeliverDocument',
    data: {
      ...key,
      kind: 'main',
      issuerUnitId: ISSUER,
      title: '关于做好2025年春季防火工作的通知',
      docNumber: '阜政办〔2025〕12号',
      docType: '通知',
      urgency: '加急',
      sentAt: '2025-03-09T10:00:00+08:00',
      sentEventId: SENT_EVENT,
      ...over,
    },
  }),
  withdraw: (recallCommandId = RECALL): DeliveryCommand => ({ type: 'WithdrawDelivery', data: { ...key, recallCommandId, reason: '文中数据有误' } }),
  reinstate: (recallCommandId = RECALL): DeliveryCommand => ({ type: 'ReinstateDelivery', data: { ...key, recallCommandId } }),
  receive: (): DeliveryCommand => ({ type: 'ReceiveDocument', data: { commandId: cid('receive'), ...key } }),
  return: (reason = '非本单位职责，请核实主送单位'): DeliveryCommand => ({ type: 'ReturnDocument', data: { commandId: cid('return'), ...key, reason } }),
  register: (registerNo?: string, note?: string): DeliveryCommand => ({
    type: 'RegisterIncoming',
    data: { commandId: cid('register'), ...key, ...(registerNo ? { registerNo } : {}), ...(note ? { note } : {}) },
  }),
  review: (accepted = true, opinion?: string): DeliveryCommand => ({
    type: 'ReviewIncoming',
    data: { commandId: cid('review'), ...key, accepted, ...(opinion ? { opinion } : {}) },
  }),
  read: (): DeliveryCommand => ({ type: 'MarkDocumentRead', data: { commandId: cid('read'), ...key } }),
  instruct: (text = '请应急管理股抓紧落实', kind: '批示' | '拟办意见' = '批示'): DeliveryCommand => ({
    type: 'GiveInstruction',
    data: { commandId: cid('instruct'), ...key, kind, text },
  }),
  assign: (over: { assigneeUserId?: string; assigneeDepartment?: string; dueDate?: string; note?: string } = { assigneeDepartment: '应急管理股' }): DeliveryCommand => ({
    type: 'AssignHandling',
    data: { commandId: cid('assign'), ...key, dueDate: '2025-03-20', ...over },
  }),
  urge: (level: '催办' | '督办' = '催办'): DeliveryCommand => ({
    type: 'UrgeHandling',
    data: { commandId: cid('urge'), ...key, level, message: '请于期限前报送落实情况' },
  }),
  complete: (): DeliveryCommand => ({ type: 'CompleteHandling', data: { commandId: cid('complete'), ...key, result: '已部署到各乡镇' } }),
  reply: (replyDocumentId?: string): DeliveryCommand => ({
    type: 'SendReply',
    data: { commandId: cid('reply'), ...key, text: '已按要求落实', ...(replyDocumentId ? { replyDocumentId } : {}) },
  }),
  file: (): DeliveryCommand => ({
    type: 'FileIncoming',
    data: { commandId: cid('file'), ...key, retention: 'D30', organisationCode: 'BGS' },
  }),
};

/** Every recipient-side command, for the rules that hold for all of them. */
const allRecipientCommands = (): DeliveryRecipientCommand[] =>
  [
    cmd.receive(),
    cmd.return(),
    cmd.register('收〔2025〕1号'),
    cmd.review(),
    cmd.read(),
    cmd.instruct(),
    cmd.assign(),
    cmd.urge(),
    cmd.complete(),
    cmd.reply(),
    cmd.file(),
  ] as DeliveryRecipientCommand[];

/** Recipient commands that need a copy that was signed for. */
const afterReceiptCommands = (): DeliveryRecipientCommand[] =>
  allRecipientCommands().filter((c) => c.type !== 'ReceiveDocument' && c.type !== 'ReturnDocument');

// ------------------------------------------------------------------------------------------------
// given / when / then

type Ctx = Partial<DeliveryContext>;

/** Decides `command` on the state folded from `given`; every event it returns must pass its schema. */
function when(given: DeliveryEvent[], command: DeliveryCommand, ctx: Ctx = {}): DeliveryEvent[] {
  const state = fold(deliveryDecider, given);
  const events = deliveryDecider.decide(command, state, { actor: clerk, now: NOW, ...ctx });
  for (const e of events) {
    const parsed = registry.parse(e.type, 1, e.data);
    assert.deepEqual(parsed.data, e.data, `${e.type} changes when parsed by its schema`);
  }
  return events;
}

function thenRefused(given: DeliveryEvent[], command: DeliveryCommand, code: RefusalCode, ctx: Ctx = {}, message?: RegExp): Refusal {
  let caught: unknown;
  try {
    when(given, command, ctx);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Refusal, `${command.type} should be refused with ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `${command.type}: ${caught.message}`);
  assert.match(caught.message, /\p{Script=Han}/u, 'refusal messages are written in Chinese');
  if (message) assert.match(caught.message, message);
  return caught;
}

const stateOf = (events: DeliveryEvent[]): DeliveryState => fold(deliveryDecider, events);

const received = () => [ev.delivered(), ev.received()];

// ------------------------------------------------------------------------------------------------

describe('DeliverDocument (分发, by the process manager)', () => {
  test('a new stream receives DocumentDelivered with the inbox fields and the time of delivery', () => {
    assert.deepEqual(when([], cmd.deliver(), { actor: system }), [
      {
        type: 'DocumentDelivered',
        data: {
          ...key,
          kind: 'main',
          issuerUnitId: ISSUER,
          title: '关于做好2025年春季防火工作的通知',
          docNumber: '阜政办〔2025〕12号',
          docType: '通知',
          urgency: '加急',
          sentAt: '2025-03-09T10:00:00+08:00',
          sentEventId: SENT_EVENT,
          deliveredAt: NOW,
        },
      },
    ]);
  });

  test('a cc recipient is delivered as cc', () => {
    const [e] = when([], cmd.deliver({ kind: 'cc' }), { actor: system });
    assert.equal(e?.type === 'DocumentDelivered' && e.data.kind, 'cc');
  });

  test('the same send delivered twice appends nothing (the process manager may run twice)', () => {
    assert.deepEqual(when([ev.delivered()], cmd.deliver(), { actor: system }), []);
  });

  test('the same send replayed after the recipient signed or filed still appends nothing', () => {
    assert.deepEqual(when(received(), cmd.deliver(), { actor: system }), []);
    assert.deepEqual(when([...received(), ev.filed()], cmd.deliver(), { actor: system }), []);
  });

  test('another send onto a live delivery is refused with ALREADY_EXISTS', () => {
    thenRefused([ev.delivered()], cmd.deliver({ sentEventId: SENT_AGAIN }), 'ALREADY_EXISTS', { actor: system });
    thenRefused(received(), cmd.deliver({ sentEventId: SENT_AGAIN }), 'ALREADY_EXISTS', { actor: system });
  });

  test('a document sent again after a return is delivered afresh, and the old send is still remembered', () => {
    const history = [ev.delivered(), ev.returned()];
    const events = when(history, cmd.deliver({ sentEventId: SENT_AGAIN }), { actor: system });
    assert.equal(events.length, 1);
    const after = [...history, ...events];
    const state = stateOf(after);
    assert.equal(state.status, 'delivered');
    assert.equal(state.returned, null);
    assert.deepEqual(state.sentEventIds, [SENT_EVENT, SENT_AGAIN]);
    assert.equal(when(after, cmd.receive()).length, 1, 'the new copy can be signed for');
    assert.deepEqual(when(after, cmd.deliver(), { actor: system }), [], 'replaying the first send adds nothing');
  });

  test('a document sent again after a concluded recall is delivered afresh', () => {
    const history = [ev.delivered(), ev.withdrawn()];
    const events = when(history, cmd.deliver({ sentEventId: SENT_AGAIN }), { actor: system });
    assert.equal(events[0]?.type, 'DocumentDelivered');
    assert.equal(stateOf([...history, ...events]).withdrawn, null);
  });

  test('only the ledger delivers: a person is NOT_AUTHORISED', () => {
    thenRefused([], cmd.deliver(), 'NOT_AUTHORISED', { actor: clerk });
  });

  test('the issuer is not its own recipient', () => {
    thenRefused([], cmd.deliver({ issuerUnitId: UNIT }), 'RECIPIENT_INVALID', { actor: system });
  });
});

describe('ReceiveDocument (签收)', () => {
  test('a clerk of the recipient unit signs: DocumentReceived is the receipt', () => {
    assert.deepEqual(when([ev.delivered()], cmd.receive()), [
      { type: 'DocumentReceived', data: { ...key, receivedBy: clerk.userId, receivedAt: NOW } },
    ]);
  });

  test('someone of another unit is NOT_AUTHORISED, whether or not the delivery exists', () => {
    thenRefused([ev.delivered()], cmd.receive(), 'NOT_AUTHORISED', { actor: stranger });
    thenRefused([], cmd.receive(), 'NOT_AUTHORISED', { actor: stranger });
  });

  test('nothing delivered: NOT_FOUND', () => {
    thenRefused([], cmd.receive(), 'NOT_FOUND', {}, /未收到该公文/);
  });

  test('a recipient signs once', () => {
    thenRefused(received(), cmd.receive(), 'INVALID_STATE', {}, /已签收/);
  });

  test('a withdrawn copy cannot be signed for', () => {
    thenRefused([ev.delivered(), ev.withdrawn()], cmd.receive(), 'INVALID_STATE', {}, /发文单位已撤回/);
  });

  test('a returned copy cannot be signed for', () => {
    thenRefused([ev.delivered(), ev.returned()], cmd.receive(), 'INVALID_STATE', {}, /已退回/);
  });
});

describe('ReturnDocument (退回)', () => {
  test('before receipt the recipient returns it with a reason', () => {
    assert.deepEqual(when([ev.delivered()], cmd.return('主送单位有误')), [
      { type: 'DocumentReturned', data: { ...key, reason: '主送单位有误', returnedBy: clerk.userId, returnedAt: NOW } },
    ]);
  });

  test('after receipt it cannot be returned', () => {
    thenRefused(received(), cmd.return(), 'INVALID_STATE', {}, /已签收/);
  });

  test('a withdrawn copy cannot be returned', () => {
    thenRefused([ev.delivered(), ev.withdrawn()], cmd.return(), 'INVALID_STATE', {}, /发文单位已撤回/);
  });

  test('it is returned once', () => {
    thenRefused([ev.delivered(), ev.returned()], cmd.return(), 'INVALID_STATE', {}, /已退回/);
  });

  test('another unit cannot return it; nothing delivered is NOT_FOUND', () => {
    thenRefused([ev.delivered()], cmd.return(), 'NOT_AUTHORISED', { actor: stranger });
    thenRefused([], cmd.return(), 'NOT_FOUND');
  });

  test('the state keeps the reason', () => {
    assert.deepEqual(stateOf([ev.delivered(), ev.returned()]).returned, {
      reason: '非本单位职责',
      returnedBy: clerk.userId,
      returnedAt: EARLIER,
    });
  });
});

describe('WithdrawDelivery and ReinstateDelivery (the legs of a recall)', () => {
  test('an unsigned copy is withdrawn', () => {
    assert.deepEqual(when([ev.delivered()], cmd.withdraw(), { actor: system }), [
      { type: 'DeliveryWithdrawn', data: { ...key, recallCommandId: RECALL, reason: '文中数据有误', withdrawnAt: NOW } },
    ]);
  });

  test('a signed copy is not withdrawn, and the refusal names who signed', () => {
    const refusal = thenRefused(received(), cmd.withdraw(), 'INVALID_STATE', { actor: system }, /已签收/);
    assert.equal(refusal.details.receivedBy, clerk.userId);
    thenRefused([...received(), ev.filed()], cmd.withdraw(), 'INVALID_STATE', { actor: system });
  });

  test('withdrawing again for the same recall appends nothing; another recall is refused', () => {
    const history = [ev.delivered(), ev.withdrawn()];
    assert.deepEqual(when(history, cmd.withdraw(), { actor: system }), []);
    thenRefused(history, cmd.withdraw(OTHER_RECALL), 'INVALID_STATE', { actor: system });
  });

  test('a returned copy has nothing to withdraw and does not stop the recall', () => {
    assert.deepEqual(when([ev.delivered(), ev.returned()], cmd.withdraw(), { actor: system }), []);
  });

  test('a recall replayed after it was abandoned withdraws nothing', () => {
    assert.deepEqual(when([ev.delivered(), ev.withdrawn(), ev.reinstated()], cmd.withdraw(), { actor: system }), []);
  });

  test('an abandoned recall reinstates the copy it withdrew, which can then be signed for', () => {
    const history = [ev.delivered(), ev.withdrawn()];
    const events = when(history, cmd.reinstate(), { actor: system });
    assert.deepEqual(events, [{ type: 'DeliveryReinstated', data: { ...key, recallCommandId: RECALL, reinstatedAt: NOW } }]);
    const after = [...history, ...events];
    assert.equal(stateOf(after).status, 'delivered');
    assert.equal(when(after, cmd.receive())[0]?.type, 'DocumentReceived');
  });

  test('reinstating twice appends nothing', () => {
    assert.deepEqual(when([ev.delivered(), ev.withdrawn(), ev.reinstated()], cmd.reinstate(), { actor: system }), []);
  });

  test('only the recall that withdrew a copy reinstates it', () => {
    thenRefused([ev.delivered(), ev.withdrawn()], cmd.reinstate(OTHER_RECALL), 'INVALID_STATE', { actor: system });
    thenRefused([ev.delivered()], cmd.reinstate(), 'INVALID_STATE', { actor: system });
  });

  test('only the ledger withdraws or reinstates; nothing delivered is NOT_FOUND', () => {
    thenRefused([ev.delivered()], cmd.withdraw(), 'NOT_AUTHORISED', { actor: clerk });
    thenRefused([ev.delivered(), ev.withdrawn()], cmd.reinstate(), 'NOT_AUTHORISED', { actor: clerk });
    thenRefused([], cmd.withdraw(), 'NOT_FOUND', { actor: system });
    thenRefused([], cmd.reinstate(), 'NOT_FOUND', { actor: system });
  });

  test('the saga: one recipient signed meanwhile, so the recall is abandoned and the other copy is put back', () => {
    // Two recipients' streams; the second one signed before the recall reached it.
    let first: DeliveryEvent[] = [ev.delivered()];
    const second: DeliveryEvent[] = received();
    first = [...first, ...when(first, cmd.withdraw(), { actor: system })];
    thenRefused(second, cmd.withdraw(), 'INVALID_STATE', { actor: system });
    first = [...first, ...when(first, cmd.reinstate(), { actor: system })];
    assert.equal(stateOf(first).status, 'delivered');
    assert.deepEqual(stateOf(first).reinstatedRecalls, [RECALL]);
  });
});

describe('RegisterIncoming (收文登记)', () => {
  test('a received document is registered with the unit’s incoming number', () => {
    assert.deepEqual(when(received(), cmd.register('收〔2025〕88号', '原件存办公室')), [
      {
        type: 'IncomingRegistered',
        data: { ...key, registerNo: '收〔2025〕88号', note: '原件存办公室', registeredBy: clerk.userId, registeredAt: NOW },
      },
    ]);
  });

  test('optional fields left out are absent from the event, not undefined', () => {
    const [e] = when(received(), cmd.register());
    assert.deepEqual(Object.keys(e?.data ?? {}).sort(), ['documentId', 'registeredAt', 'registeredBy', 'unitId']);
  });

  test('registration needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.register(), 'INVALID_STATE', {}, /请先签收/);
  });

  test('a document is registered once', () => {
    thenRefused([...received(), ev.registered()], cmd.register(), 'INVALID_STATE', {}, /已登记/);
  });
});

describe('ReviewIncoming (初审)', () => {
  test('a received document is reviewed', () => {
    assert.deepEqual(when(received(), cmd.review(false, '应由县应急局办理'), { actor: leader }), [
      {
        type: 'IncomingReviewed',
        data: { ...key, accepted: false, opinion: '应由县应急局办理', reviewedBy: leader.userId, reviewedAt: NOW },
      },
    ]);
  });

  test('a later review supersedes the earlier one', () => {
    let history = received();
    history = [...history, ...when(history, cmd.review(false, '待核实'))];
    history = [...history, ...when(history, cmd.review(true))];
    assert.deepEqual(stateOf(history).reviewed, { accepted: true, reviewedBy: clerk.userId, reviewedAt: NOW });
  });

  test('review needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.review(), 'INVALID_STATE');
  });
});

describe('MarkDocumentRead (阅 / 传阅)', () => {
  test('a reader is recorded', () => {
    assert.deepEqual(when(received(), cmd.read(), { actor: leader }), [
      { type: 'DocumentRead', data: { ...key, readBy: leader.userId, readAt: NOW } },
    ]);
  });

  test('the same person reading again appends nothing; another person is recorded', () => {
    const history = [...received(), ev.read(leader.userId)];
    assert.deepEqual(when(history, cmd.read(), { actor: leader }), []);
    assert.equal(when(history, cmd.read(), { actor: staff }).length, 1);
  });

  test('the readers are kept in the order of first reading', () => {
    const state = stateOf([...received(), ev.read(leader.userId), ev.read(staff.userId), ev.read(leader.userId)]);
    assert.deepEqual(state.readers, [leader.userId, staff.userId]);
  });

  test('reading needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.read(), 'INVALID_STATE', { actor: leader }, /请先签收/);
  });
});

describe('GiveInstruction (批示 / 拟办意见)', () => {
  test('a leader’s instruction is recorded with its kind', () => {
    assert.deepEqual(when(received(), cmd.instruct('请应急管理股牵头办理', '批示'), { actor: leader }), [
      { type: 'InstructionGiven', data: { ...key, kind: '批示', text: '请应急管理股牵头办理', givenBy: leader.userId, givenAt: NOW } },
    ]);
  });

  test('instructions accumulate', () => {
    let history = received();
    history = [...history, ...when(history, cmd.instruct('建议由应急管理股办理', '拟办意见'), { actor: clerk })];
    history = [...history, ...when(history, cmd.instruct('同意', '批示'), { actor: leader })];
    assert.deepEqual(
      stateOf(history).instructions.map((i) => [i.kind, i.givenBy]),
      [
        ['拟办意见', clerk.userId],
        ['批示', leader.userId],
      ],
    );
  });

  test('instructions need the receipt first, and a withdrawn copy takes none', () => {
    thenRefused([ev.delivered()], cmd.instruct(), 'INVALID_STATE', { actor: leader }, /请先签收/);
    thenRefused([ev.delivered(), ev.withdrawn()], cmd.instruct(), 'INVALID_STATE', { actor: leader }, /发文单位已撤回/);
  });
});

describe('AssignHandling (承办 / 分办)', () => {
  const activeStaff = { assignee: { userId: staff.userId, unitId: UNIT, active: true } };

  test('handling is assigned to a department with a due date', () => {
    assert.deepEqual(when(received(), cmd.assign({ assigneeDepartment: '应急管理股', dueDate: '2025-03-20', note: '会同林业站' }), { actor: leader }), [
      {
        type: 'HandlingAssigned',
        data: { ...key, assigneeDepartment: '应急管理股', dueDate: '2025-03-20', note: '会同林业站', assignedBy: leader.userId, assignedAt: NOW },
      },
    ]);
  });

  test('handling is assigned to an active person of the unit', () => {
    const [e] = when(received(), cmd.assign({ assigneeUserId: staff.userId, dueDate: '2025-03-20T17:30:00+08:00' }), { actor: leader, ...activeStaff });
    assert.deepEqual(e, {
      type: 'HandlingAssigned',
      data: { ...key, assigneeUserId: staff.userId, dueDate: '2025-03-20T17:30:00+08:00', assignedBy: leader.userId, assignedAt: NOW },
    });
  });

  test('an assignment names someone', () => {
    thenRefused(received(), cmd.assign({}), 'VALIDATION_FAILED', { actor: leader }, /承办人或承办部门/);
  });

  test('an unknown assignee is NOT_FOUND (also when the handler looked up nobody)', () => {
    thenRefused(received(), cmd.assign({ assigneeUserId: 'u-ghost' }), 'NOT_FOUND', { actor: leader, assignee: null });
    thenRefused(received(), cmd.assign({ assigneeUserId: 'u-ghost' }), 'NOT_FOUND', { actor: leader });
    thenRefused(received(), cmd.assign({ assigneeUserId: 'u-ghost' }), 'NOT_FOUND', { actor: leader, ...activeStaff });
  });

  test('the assignee belongs to the recipient unit and is active', () => {
    thenRefused(received(), cmd.assign({ assigneeUserId: staff.userId }), 'VALIDATION_FAILED', {
      actor: leader,
      assignee: { userId: staff.userId, unitId: OTHER_UNIT, active: true },
    }, /本单位/);
    thenRefused(received(), cmd.assign({ assigneeUserId: staff.userId }), 'VALIDATION_FAILED', {
      actor: leader,
      assignee: { userId: staff.userId, unitId: UNIT, active: false },
    }, /停用/);
  });

  test('the due date may be today but not before', () => {
    assert.equal(when(received(), cmd.assign({ assigneeDepartment: '办公室', dueDate: '2025-03-10' }), { actor: leader }).length, 1);
    thenRefused(received(), cmd.assign({ assigneeDepartment: '办公室', dueDate: '2025-03-09' }), 'VALIDATION_FAILED', { actor: leader }, /办理期限/);
  });

  test('an exact due time may not already have passed', () => {
    thenRefused(received(), cmd.assign({ assigneeDepartment: '办公室', dueDate: '2025-03-10T08:00:00+08:00' }), 'VALIDATION_FAILED', { actor: leader });
    assert.equal(when(received(), cmd.assign({ assigneeDepartment: '办公室', dueDate: '2025-03-10T17:00:00+08:00' }), { actor: leader }).length, 1);
  });

  test('"today" is the day in China even when the clock writes UTC', () => {
    // 17:00 UTC on the 9th is 01:00 on the 10th in Beijing.
    assert.equal(chinaDate('2025-03-09T17:00:00Z'), '2025-03-10');
    thenRefused(received(), cmd.assign({ assigneeDepartment: '办公室', dueDate: '2025-03-09' }), 'VALIDATION_FAILED', {
      actor: leader,
      now: '2025-03-09T17:00:00Z',
    });
  });

  test('reassigning supersedes the earlier assignment', () => {
    const history = [...received(), ev.assigned()];
    const events = when(history, cmd.assign({ assigneeUserId: staff.userId, dueDate: '2025-03-25' }), { actor: leader, ...activeStaff });
    assert.deepEqual(stateOf([...history, ...events]).assignment, {
      assigneeUserId: staff.userId,
      dueDate: '2025-03-25',
      assignedBy: leader.userId,
      assignedAt: NOW,
    });
  });

  test('assignment needs the receipt first and stops at completion', () => {
    thenRefused([ev.delivered()], cmd.assign(), 'INVALID_STATE', { actor: leader }, /请先签收/);
    thenRefused([...received(), ev.assigned(), ev.completed()], cmd.assign(), 'INVALID_STATE', { actor: leader }, /已办结/);
  });
});

describe('UrgeHandling (催办 / 督办)', () => {
  test('an assigned handling is urged, and the urges are counted', () => {
    const history = [...received(), ev.assigned()];
    const events = when(history, cmd.urge('督办'), { actor: leader });
    assert.deepEqual(events, [
      { type: 'HandlingUrged', data: { ...key, level: '督办', message: '请于期限前报送落实情况', urgedBy: leader.userId, urgedAt: NOW } },
    ]);
    const twice = [...history, ...events, ...when([...history, ...events], cmd.urge(), { actor: leader })];
    assert.equal(stateOf(twice).urges, 2);
  });

  test('urging needs an assignment first', () => {
    thenRefused(received(), cmd.urge(), 'INVALID_STATE', { actor: leader }, /尚未交办/);
    thenRefused([ev.delivered()], cmd.urge(), 'INVALID_STATE', { actor: leader }, /请先签收/);
  });

  test('completed handling is not urged', () => {
    thenRefused([...received(), ev.assigned(), ev.completed()], cmd.urge(), 'INVALID_STATE', { actor: leader }, /已办结/);
  });
});

describe('CompleteHandling (办结)', () => {
  test('assigned handling completes with its result', () => {
    assert.deepEqual(when([...received(), ev.assigned()], cmd.complete(), { actor: staff }), [
      { type: 'HandlingCompleted', data: { ...key, result: '已部署到各乡镇', completedBy: staff.userId, completedAt: NOW } },
    ]);
  });

  test('handling completes only after it was assigned', () => {
    thenRefused(received(), cmd.complete(), 'INVALID_STATE', { actor: staff }, /尚未交办，不能办结/);
  });

  test('handling completes once', () => {
    thenRefused([...received(), ev.assigned(), ev.completed()], cmd.complete(), 'INVALID_STATE', { actor: staff }, /已办结/);
  });

  test('completion needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.complete(), 'INVALID_STATE', { actor: staff });
  });
});

describe('SendReply (答复)', () => {
  test('a reply in words', () => {
    assert.deepEqual(when(received(), cmd.reply()), [
      { type: 'ReplySent', data: { ...key, text: '已按要求落实', repliedBy: clerk.userId, repliedAt: NOW } },
    ]);
  });

  test('a reply as a document of the recipient unit', () => {
    const [e] = when(received(), cmd.reply('doc-reply-01'), { replyDocument: { documentId: 'doc-reply-01', issuerUnitId: UNIT } });
    assert.equal(e?.type === 'ReplySent' && e.data.replyDocumentId, 'doc-reply-01');
  });

  test('the reply document must exist and be the recipient unit’s own', () => {
    thenRefused(received(), cmd.reply('doc-reply-01'), 'NOT_FOUND');
    thenRefused(received(), cmd.reply('doc-reply-01'), 'NOT_FOUND', { replyDocument: { documentId: 'doc-other', issuerUnitId: UNIT } });
    // Another unit's document: refused as a missing one, naming no unit.
    thenRefused(received(), cmd.reply('doc-reply-01'), 'NOT_FOUND', {
      replyDocument: { documentId: 'doc-reply-01', issuerUnitId: OTHER_UNIT },
    });
  });

  test('replies accumulate', () => {
    let history = received();
    history = [...history, ...when(history, cmd.reply())];
    history = [...history, ...when(history, cmd.reply())];
    assert.equal(stateOf(history).replies.length, 2);
  });

  test('a reply needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.reply(), 'INVALID_STATE', {}, /请先签收/);
  });
});

describe('FileIncoming (归档)', () => {
  test('a received document with no handling is filed', () => {
    assert.deepEqual(when(received(), cmd.file()), [
      { type: 'IncomingFiled', data: { ...key, retention: 'D30', organisationCode: 'BGS', filedBy: clerk.userId, filedAt: NOW } },
    ]);
  });

  test('assigned handling must be completed before filing', () => {
    thenRefused([...received(), ev.assigned()], cmd.file(), 'INVALID_STATE', {}, /请先办结/);
    assert.equal(when([...received(), ev.assigned(), ev.completed()], cmd.file()).length, 1);
  });

  test('filing needs the receipt first', () => {
    thenRefused([ev.delivered()], cmd.file(), 'INVALID_STATE', {}, /请先签收/);
  });

  test('filing is terminal: every recipient command after it is refused', () => {
    const history = [...received(), ev.filed()];
    assert.equal(stateOf(history).status, 'filed');
    for (const command of allRecipientCommands()) {
      thenRefused(history, command, 'INVALID_STATE', { actor: leader, assignee: { userId: staff.userId, unitId: UNIT, active: true } }, /已归档/);
    }
  });
});

describe('rules every recipient command shares', () => {
  test('someone of another unit is NOT_AUTHORISED for every command', () => {
    for (const command of allRecipientCommands()) thenRefused(received(), command, 'NOT_AUTHORISED', { actor: stranger });
  });

  test('the ledger itself does not act for the recipient', () => {
    for (const command of allRecipientCommands()) thenRefused(received(), command, 'NOT_AUTHORISED', { actor: system });
  });

  test('every command on a delivery that does not exist is NOT_FOUND', () => {
    for (const command of allRecipientCommands()) thenRefused([], command, 'NOT_FOUND', {}, /未收到该公文/);
  });

  test('every step after 签收 is refused before it, on a withdrawn copy and on a returned one', () => {
    for (const command of afterReceiptCommands()) {
      thenRefused([ev.delivered()], command, 'INVALID_STATE', {}, /请先签收/);
      thenRefused([ev.delivered(), ev.withdrawn()], command, 'INVALID_STATE', {}, /发文单位已撤回/);
      thenRefused([ev.delivered(), ev.returned()], command, 'INVALID_STATE', {}, /已退回/);
    }
  });
});

describe('the whole 收文 path', () => {
  test('分发 → 签收 → 登记 → 初审 → 拟办 → 批示 → 承办 → 传阅 → 催办 → 办结 → 答复 → 归档', () => {
    const ctx = { assignee: { userId: staff.userId, unitId: UNIT, active: true } };
    const steps: [DeliveryCommand, Actor][] = [
      [cmd.deliver(), system],
      [cmd.receive(), clerk],
      [cmd.register('收〔2025〕88号'), clerk],
      [cmd.review(true, '属本单位职责'), clerk],
      [cmd.instruct('建议由应急管理股办理', '拟办意见'), clerk],
      [cmd.read(), leader],
      [cmd.instruct('同意，请抓紧落实', '批示'), leader],
      [cmd.assign({ assigneeUserId: staff.userId, assigneeDepartment: '应急管理股', dueDate: '2025-03-20' }), leader],
      [cmd.read(), staff],
      [cmd.urge('催办'), clerk],
      [cmd.complete(), staff],
      [cmd.reply(), clerk],
      [cmd.file(), clerk],
    ];
    let history: DeliveryEvent[] = [];
    for (const [command, actor] of steps) {
      const events = when(history, command, { actor, ...ctx });
      assert.equal(events.length, 1, `${command.type} appends one event`);
      history = [...history, ...events];
    }
    assert.deepEqual(
      history.map((e) => e.type),
      [
        'DocumentDelivered',
        'DocumentReceived',
        'IncomingRegistered',
        'IncomingReviewed',
        'InstructionGiven',
        'DocumentRead',
        'InstructionGiven',
        'HandlingAssigned',
        'DocumentRead',
        'HandlingUrged',
        'HandlingCompleted',
        'ReplySent',
        'IncomingFiled',
      ],
    );
    for (const e of history) assert.deepEqual({ documentId: e.data.documentId, unitId: e.data.unitId }, key, `${e.type} names the delivery`);

    const state = stateOf(history);
    assert.equal(state.status, 'filed');
    assert.equal(state.delivery?.docNumber, '阜政办〔2025〕12号');
    assert.equal(state.receivedBy, clerk.userId);
    assert.equal(state.receivedAt, NOW);
    assert.equal(state.registered?.registerNo, '收〔2025〕88号');
    assert.equal(state.reviewed?.accepted, true);
    assert.deepEqual(state.readers, [leader.userId, staff.userId]);
    assert.equal(state.instructions.length, 2);
    assert.deepEqual(state.assignment, {
      assigneeUserId: staff.userId,
      assigneeDepartment: '应急管理股',
      dueDate: '2025-03-20',
      assignedBy: leader.userId,
      assignedAt: NOW,
    });
    assert.equal(state.urges, 1);
    assert.equal(state.completedAt, NOW);
    assert.equal(state.completedBy, staff.userId);
    assert.equal(state.replies.length, 1);
    assert.deepEqual(state.filed, { retention: 'D30', organisationCode: 'BGS', filedBy: clerk.userId, filedAt: NOW });
    assert.equal(state.returned, null);
    assert.equal(state.withdrawn, null);
  });
});

describe('schemas', () => {
  test('every delivery event is version 1 and carries documentId and unitId', () => {
    assert.equal(deliveryEvents.length, 14);
    for (const d of deliveryEvents) {
      assert.equal(d.schemaVersion, 1, d.type);
      const result = d.data.safeParse({});
      assert.ok(!result.success);
      const paths = result.error.issues.map((i) => i.path.join('.'));
      assert.ok(paths.includes('documentId') && paths.includes('unitId'), `${d.type} requires documentId and unitId`);
    }
  });

  test('event payloads refuse unknown fields, so a misspelt field never enters the ledger', () => {
    assert.throws(() => registry.parse('DocumentReceived', 1, { ...key, receivedBy: 'u', receivedAt: NOW, recievedBy: 'u' }));
  });

  test('every command schema has a distinct type and recipient commands carry a commandId', () => {
    const types = deliveryCommands.map((c) => c.type);
    assert.equal(new Set(types).size, 14);
    for (const c of allRecipientCommands()) {
      const def = deliveryCommands.find((d) => d.type === c.type);
      assert.ok(def, c.type);
      assert.ok(def.input.safeParse(c.data).success, `${c.type} fixture passes its schema`);
      const { commandId: _omitted, ...withoutId } = c.data;
      assert.ok(!def.input.safeParse(withoutId).success, `${c.type} requires commandId`);
    }
  });

  test('AssignHandling needs an assignee and an ISO due date with a time zone when it has a time', () => {
    const base = { commandId: 'cmd-assign-0001', ...key, assigneeDepartment: '办公室' };
    assert.ok(AssignHandling.input.safeParse({ ...base, dueDate: '2025-03-20' }).success);
    assert.ok(AssignHandling.input.safeParse({ ...base, dueDate: '2025-03-20T17:00:00+08:00' }).success);
    assert.ok(!AssignHandling.input.safeParse({ ...base, dueDate: '2025-03-20T17:00:00' }).success);
    assert.ok(!AssignHandling.input.safeParse({ ...base, dueDate: '3月20日' }).success);
    assert.ok(!AssignHandling.input.safeParse({ commandId: 'cmd-assign-0001', ...key, dueDate: '2025-03-20' }).success);
  });

  test('DeliverDocument takes the sent event’s uuid and a statutory document type', () => {
    const data = cmd.deliver().data;
    assert.ok(DeliverDocument.input.safeParse(data).success);
    assert.ok(!DeliverDocument.input.safeParse({ ...data, sentEventId: 'not-a-uuid' }).success);
    assert.ok(!DeliverDocument.input.safeParse({ ...data, docType: '便函' }).success);
  });
});
