import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentTimeline } from '../../projections/audit/queries.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { streams } from '../../src/domain/streams.ts';
import { reviewDelivery } from '../../src/supervision/review.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';
import { draftInput, refusal } from '../support/ledger.ts';
import { bj, ledgerOnClock, sendDocument } from './support.ts';

/** The urges on the recipient's copy (the document's side of an escalation). */
const urges = async (ledger: Ledger, documentId: string, unitId: string) =>
  (await ledger.store.readStream(streams.delivery(documentId, unitId))).events.filter((e) => e.type === 'HandlingUrged').map((e) => e.data as Record<string, any>);
const supervisionEvents = async (ledger: Ledger, documentId: string, unitId: string) =>
  (await ledger.store.readStream(streams.supervision(documentId, unitId))).events.map((e): Record<string, any> => ({ type: e.type, ...(e.data as Record<string, unknown>) }));
/** What the supervision jobs run with, on the test's clock. */
const jobDeps = (ledger: Ledger, now: () => Date) => ({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now }) as never;

test('特急 sent at 20:00 on a Friday is due that night: yellow at 22:00, red after one more working day, both cleared by signing', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-14', '19:00'));
  const deps = jobDeps(ledger, clock.now);
  const fin = city.units.find((u) => u.unitId === 'fin')!;
  clock.set(bj('2025-11-14', '20:00'));
  await sendDocument(ledger, city, 'urgent-1', { urgency: '特急', mainRecipients: ['fin'] });
  await ledger.settle();
  await scanDeadlines(deps);
  let events = await supervisionEvents(ledger, 'urgent-1', 'fin');
  assert.deepEqual(events.map((e) => e.type), ['DeadlineSet']);
  const deadline = events[0]!;
  assert.equal(deadline.clock, 'sign');
  assert.equal(Date.parse(deadline.dueAt as string), Date.parse(deadline.startedAt as string) + 2 * 3600_000, 'two hours on the clock');
  assert.equal(deadline.dueAt, bj('2025-11-14', '22:00').toISOString());
  // Red: one working day after 22:00 on Friday is the close of Monday.
  assert.equal(deadline.redAt, bj('2025-11-17', '17:30').toISOString());
  assert.equal(deadline.policyVersion, '2026.2');
  assert.match(deadline.calendarVersion as string, /^chinese-days@/);
  assert.equal(deadline.provisional, false);

  const reminders = async () => (await ledger.db.pool.query(`SELECT notification_id, kind, user_id FROM supervision_notifications WHERE kind = 'approaching-deadline'`)).rows;
  // 临期提醒 one working hour before the deadline: for a deadline at 22:00 that was 17:00, so at once, and once only.
  const reminder = { notification_id: `approach:urgent-1.fin:sign:${bj('2025-11-14', '22:00').toISOString()}:fin-clerk`, kind: 'approaching-deadline', user_id: 'fin-clerk' };
  assert.deepEqual(await reminders(), [reminder]);
  clock.set(bj('2025-11-14', '21:59'));
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'urgent-1', 'fin')).length, 1, 'not yet due');
  await reviewDelivery(deps, 'urgent-1', 'fin');
  assert.deepEqual(await reminders(), [reminder]);
  clock.set(bj('2025-11-14', '22:01'));
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'urgent-1', 'fin');
  assert.deepEqual(events.map((e) => `${e.type}:${e.level ?? ''}`), ['DeadlineSet:', 'WarningIssued:yellow']);
  assert.equal(events[1]!.fellDueAt, bj('2025-11-14', '22:00').toISOString());
  assert.equal(events[1]!.escalation, '催办');
  assert.deepEqual(events[1]!.responsibleUserIds, ['fin-clerk']);
  // The yellow warning is a 催办 on the document's side too, by the ledger itself.
  let urged = await urges(ledger, 'urgent-1', 'fin');
  assert.deepEqual(urged.map((u) => [u.level, u.urgedBy, u.urgedAt]), [['催办', 'system', bj('2025-11-14', '22:01').toISOString()]]);
  assert.match(urged[0]!.message, /^电子监察催办：《关于做好2026年电子公文交换工作的通知》.*签收已超过期限/);
  const { rows: seen } = await ledger.db.pool.query(`SELECT delivery_revision FROM supervision_reviews WHERE document_id = 'urgent-1' AND unit_id = 'fin'`);
  assert.equal(Number(seen[0]!.delivery_revision), (await ledger.store.readStream(streams.delivery('urgent-1', 'fin'))).revision, 'its own urge needs no second review');

  clock.set(bj('2025-11-17', '17:29'));
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'urgent-1', 'fin')).length, 2, 'red not before Monday 17:30');
  clock.set(bj('2025-11-17', '17:31'));
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'urgent-1', 'fin');
  assert.equal(events.at(-1)!.level, 'red');
  assert.equal(events.at(-1)!.escalation, '督办');
  assert.deepEqual(events.at(-1)!.responsibleUserIds, ['fin-clerk', 'fin-leader'], '督办 reaches the leaders too');

  await ledger.settle();
  const warningReminders = async () => (await ledger.db.pool.query(`SELECT user_id, subject->>'level' AS level FROM supervision_notifications WHERE kind = 'warning' ORDER BY 2 DESC, 1`)).rows.map((r) => `${r.level}:${r.user_id}`);
  assert.deepEqual(await warningReminders(), ['yellow:fin-clerk', 'red:fin-clerk', 'red:fin-leader'], 'each warning reminds the people it names');

  // Re-running every job adds nothing: no warning and no urge twice.
  for (let i = 0; i < 3; i++) await scanDeadlines(deps);
  await reviewDelivery(deps, 'urgent-1', 'fin');
  assert.equal((await supervisionEvents(ledger, 'urgent-1', 'fin')).length, 3);
  urged = await urges(ledger, 'urgent-1', 'fin');
  assert.deepEqual(urged.map((u) => u.level), ['催办', '督办'], 'red escalates to 督办');
  await ledger.settle();
  const timeline = await documentTimeline(ledger.db.pool, 'urgent-1');
  assert.deepEqual(timeline.items.filter((e) => e.type === 'HandlingUrged').map((e) => e.action), ['催办', '督办'], "the document's timeline shows both");

  clock.set(bj('2025-11-17', '17:40'));
  await city.run(fin.clerk, 'ReceiveDocument', { documentId: 'urgent-1', unitId: 'fin' });
  await ledger.settle();
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'urgent-1', 'fin');
  assert.deepEqual(events.at(-1), { type: 'WarningCleared', documentId: 'urgent-1', unitId: 'fin', clock: 'sign', levels: ['yellow', 'red'], reason: 'signed', clearedAt: bj('2025-11-17', '17:40').toISOString() });
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'urgent-1', 'fin')).length, 4);
  assert.equal((await urges(ledger, 'urgent-1', 'fin')).length, 2, 'signing ends the urging');
});

test('平件 delivered on the Friday before the Dragon Boat holiday is due after it; a late review still records what fell due, when it fell due', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-05-30', '15:00'));
  const deps = jobDeps(ledger, clock.now);
  clock.set(bj('2025-05-30', '16:00'));
  await sendDocument(ledger, city, 'plain-1', { urgency: '平件', mainRecipients: ['edu'] });
  await scanDeadlines(deps);
  const [deadline] = await supervisionEvents(ledger, 'plain-1', 'edu');
  // 1.5 h on Friday, then 31 May – 2 June off: Tuesday 3 June 08:30–12:00 and 14:30–16:00.
  assert.equal(deadline!.dueAt, bj('2025-06-03', '16:00').toISOString());
  assert.equal(deadline!.redAt, bj('2025-06-04', '16:00').toISOString());
  // Nobody ran the jobs for a week; the clerk signed on Wednesday at 09:00 (late, before red).
  clock.set(bj('2025-06-04', '09:00'));
  await city.run(city.units.find((u) => u.unitId === 'edu')!.clerk, 'ReceiveDocument', { documentId: 'plain-1', unitId: 'edu' });
  clock.set(bj('2025-06-10', '09:00'));
  await ledger.settle();
  await scanDeadlines(deps);
  const events = await supervisionEvents(ledger, 'plain-1', 'edu');
  assert.deepEqual(events.map((e) => `${e.type}:${e.level ?? e.reason ?? ''}`), ['DeadlineSet:', 'WarningIssued:yellow', 'WarningCleared:signed']);
  assert.equal(events[1]!.fellDueAt, bj('2025-06-03', '16:00').toISOString());
  assert.equal(events[2]!.clearedAt, bj('2025-06-04', '09:00').toISOString());
  await ledger.settle();
  const { rows } = await ledger.db.pool.query(`SELECT count(*)::int AS n FROM supervision_notifications WHERE kind = 'warning'`);
  assert.equal(rows[0].n, 0, 'a warning raised late and already cleared reminds nobody');
});

test('handling: 请示 has ten working days, an assignment with a due date replaces that deadline, completion clears; a pause needs a reason and moves the deadline', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-10', '09:00'));
  const deps = jobDeps(ledger, clock.now);
  const hlth = city.units.find((u) => u.unitId === 'hlth')!;
  await sendDocument(ledger, city, 'ask-1', { urgency: '平件', docType: '请示', mainRecipients: ['hlth'] });
  clock.set(bj('2025-11-10', '10:00'));
  await city.run(hlth.clerk, 'ReceiveDocument', { documentId: 'ask-1', unitId: 'hlth' });
  await ledger.settle();
  await scanDeadlines(deps);
  let events = await supervisionEvents(ledger, 'ask-1', 'hlth');
  const handle = events.find((e) => e.type === 'DeadlineSet' && e.clock === 'handle')!;
  assert.equal(handle.dueAt, bj('2025-11-24', '10:00').toISOString(), 'ten working days from Monday 10:00');

  clock.set(bj('2025-11-11', '09:00'));
  await city.run(hlth.leader, 'AssignHandling', { documentId: 'ask-1', unitId: 'hlth', assigneeUserId: 'hlth-clerk', dueDate: '2025-11-13' });
  await ledger.settle();
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'ask-1', 'hlth');
  assert.equal(events.at(-1)!.dueAt, bj('2025-11-13', '17:30').toISOString(), 'due by the close of the due date');

  // A pause without a reason is refused and changes nothing.
  const before = events.length;
  const noReason = await refusal(ledger.commands.execute(hlth.leader, 'PauseSupervisionClock', { commandId: 'pause-0000', documentId: 'ask-1', unitId: 'hlth', clock: 'handle' }));
  assert.equal(noReason.code, 'VALIDATION_FAILED');
  assert.match(noReason.message, /reason/);
  const other = await refusal(ledger.commands.execute(city.units.find((u) => u.unitId === 'edu')!.leader, 'PauseSupervisionClock', { commandId: 'pause-0001', documentId: 'ask-1', unitId: 'hlth', clock: 'handle', reason: '等待省厅答复' }));
  assert.equal(other.code, 'NOT_AUTHORISED', "another unit's leader may not pause it");
  assert.equal((await supervisionEvents(ledger, 'ask-1', 'hlth')).length, before);

  // Paused from Wednesday 9:00 to Thursday 9:00 (one working day): no warning at Thursday 17:30; due Friday 17:30.
  clock.set(bj('2025-11-12', '09:00'));
  await ledger.commands.execute(hlth.leader, 'PauseSupervisionClock', { commandId: 'pause-0002', documentId: 'ask-1', unitId: 'hlth', clock: 'handle', reason: '等待省卫健委答复' });
  clock.set(bj('2025-11-13', '09:00'));
  await ledger.commands.execute(hlth.leader, 'ResumeSupervisionClock', { commandId: 'resume-0001', documentId: 'ask-1', unitId: 'hlth', clock: 'handle' });
  events = await supervisionEvents(ledger, 'ask-1', 'hlth');
  assert.deepEqual(events.slice(-3).map((e) => e.type), ['ClockPaused', 'ClockResumed', 'DeadlineSet']);
  assert.equal(events.at(-1)!.dueAt, bj('2025-11-14', '17:30').toISOString());
  clock.set(bj('2025-11-14', '17:00'));
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'ask-1', 'hlth')).length, events.length, 'no warning before the moved deadline');
  clock.set(bj('2025-11-17', '09:00'));
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'ask-1', 'hlth');
  assert.equal(events.at(-1)!.type, 'WarningIssued');
  assert.equal(events.at(-1)!.clock, 'handle');
  assert.deepEqual(events.at(-1)!.responsibleUserIds, ['hlth-clerk'], 'the assignee answers for handling');
  clock.set(bj('2025-11-17', '10:00'));
  await city.run(hlth.clerk, 'CompleteHandling', { documentId: 'ask-1', unitId: 'hlth', result: '已答复' });
  await ledger.settle();
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'ask-1', 'hlth');
  assert.deepEqual([events.at(-1)!.type, events.at(-1)!.reason], ['WarningCleared', 'completed']);
});

test('two servers reviewing at once, and a job run again after a crash before its completion was recorded, raise each warning once', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-17', '09:00'));
  const deps = jobDeps(ledger, clock.now);
  await sendDocument(ledger, city, 'fast-1', { urgency: '加急', mainRecipients: ['edu', 'fin', 'hlth'] });
  clock.set(bj('2025-11-18', '09:00'));
  await Promise.all([scanDeadlines(deps), scanDeadlines(deps), reviewDelivery(deps, 'fast-1', 'edu'), reviewDelivery(deps, 'fast-1', 'edu')]);
  for (const unit of ['edu', 'fin', 'hlth']) {
    const events = await supervisionEvents(ledger, 'fast-1', unit);
    assert.deepEqual(events.map((e) => `${e.type}:${e.level ?? ''}`), ['DeadlineSet:', 'WarningIssued:yellow'], unit);
  }
  // The job's bookkeeping was lost (killed after the append): the next run finds nothing to add.
  await ledger.db.pool.query('DELETE FROM supervision_reviews');
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'fast-1', 'edu')).length, 2);
});

test('临期提醒: a 平件 due at 10:00 reminds the clerks at 09:00, not before', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-17', '09:00'));
  const deps = jobDeps(ledger, clock.now);
  clock.set(bj('2025-11-17', '10:00'));
  await sendDocument(ledger, city, 'plain-r', { urgency: '平件', mainRecipients: ['edu'] });
  const reminders = async () => (await ledger.db.pool.query(`SELECT user_id FROM supervision_notifications WHERE kind = 'approaching-deadline'`)).rows.map((r) => r.user_id);
  await scanDeadlines(deps);
  clock.set(bj('2025-11-18', '08:59'));
  await scanDeadlines(deps);
  assert.deepEqual(await reminders(), []);
  clock.set(bj('2025-11-18', '09:00'));
  await scanDeadlines(deps);
  await scanDeadlines(deps);
  assert.deepEqual(await reminders(), ['edu-clerk']);
});

test('会议通知 is due before its meeting: signed 4 working hours and handled 2 before it, red when it begins; a late notice is due at the meeting; only a 通知 has a meeting time', async () => {
  const { ledger, city, clock } = await ledgerOnClock(bj('2025-11-17', '09:00'));
  const deps = jobDeps(ledger, clock.now);
  const office = city.units[0]!;
  const edu = city.people('edu');
  const meetingAt = '2025-11-18T09:00:00+08:00';
  clock.set(bj('2025-11-17', '10:00'));
  await sendDocument(ledger, city, 'meet-1', { docType: '通知', urgency: '平件', meetingAt, mainRecipients: ['edu', 'fin'] });
  await scanDeadlines(deps);
  let events = await supervisionEvents(ledger, 'meet-1', 'edu');
  // 平件 would be due Tuesday 10:00; four working hours before Tuesday 09:00 is Monday 11:30 (08:30–09:00, 14:30–17:30, 11:30–12:00).
  assert.equal(events[0]!.dueAt, bj('2025-11-17', '11:30').toISOString());
  assert.equal(events[0]!.redAt, new Date(meetingAt).toISOString(), 'red when the meeting begins, not a working day later');
  assert.match(events[0]!.rule as string, /^会议通知签收时限 会前 4 个工作小时/);

  clock.set(bj('2025-11-17', '11:00'));
  await city.run(edu.clerk, 'ReceiveDocument', { documentId: 'meet-1', unitId: 'edu' });
  await ledger.settle();
  await scanDeadlines(deps);
  events = await supervisionEvents(ledger, 'meet-1', 'edu');
  const handle = events.find((e) => e.type === 'DeadlineSet' && e.clock === 'handle')!;
  // Handled two working hours before the meeting: Monday 16:00 (08:30–09:00 and 16:00–17:30).
  assert.deepEqual([handle.basisKey.split(':')[0], handle.dueAt, handle.redAt], ['meeting', bj('2025-11-17', '16:00').toISOString(), new Date(meetingAt).toISOString()]);
  clock.set(bj('2025-11-18', '09:01'));
  await scanDeadlines(deps);
  const warned = (unit: string) => supervisionEvents(ledger, 'meet-1', unit).then((es) => es.filter((e) => e.type === 'WarningIssued').map((e) => `${e.clock}:${e.level}:${e.fellDueAt}`));
  assert.deepEqual(await warned('edu'), [`handle:yellow:${bj('2025-11-17', '16:00').toISOString()}`, `handle:red:${new Date(meetingAt).toISOString()}`]);
  assert.deepEqual(await warned('fin'), [`sign:yellow:${bj('2025-11-17', '11:30').toISOString()}`, `sign:red:${new Date(meetingAt).toISOString()}`]);

  // A notice that arrives after the four hours are gone is due when the meeting begins.
  clock.set(bj('2025-11-17', '17:00'));
  await sendDocument(ledger, city, 'meet-2', { docType: '通知', urgency: '平件', meetingAt, mainRecipients: ['hlth'] });
  await scanDeadlines(deps);
  assert.equal((await supervisionEvents(ledger, 'meet-2', 'hlth'))[0]!.dueAt, new Date(meetingAt).toISOString());

  // Only a 通知 names a meeting, on drafting and on revising; the time must carry its zone.
  const ask = (await refusal(city.run(office.clerk, 'DraftDocument', draftInput('meet-3', { docType: '请示', meetingAt, mainRecipients: ['edu'], ccRecipients: [] }))));
  assert.equal(ask.code, 'VALIDATION_FAILED');
  assert.match(ask.message, /只有会议通知/);
  await city.run(office.clerk, 'DraftDocument', draftInput('meet-4', { docType: '通知', meetingAt, mainRecipients: ['edu'], ccRecipients: [] }));
  assert.match((await refusal(city.run(office.clerk, 'ReviseDraft', { documentId: 'meet-4', docType: '函' }))).message, /只有会议通知/);
  await city.run(office.clerk, 'ReviseDraft', { documentId: 'meet-4', docType: '函', meetingAt: null });
  await assert.rejects(city.run(office.clerk, 'DraftDocument', draftInput('meet-5', { docType: '通知', meetingAt: '2025-11-18 09:00', mainRecipients: ['edu'], ccRecipients: [] })), /会议时间须为 ISO 8601/);
});
