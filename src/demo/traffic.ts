import type { DemoCity, DemoDistrict, DemoSize, DemoUnit } from './city.ts';
import { addDays } from './clock.ts';
import type { RunCommand } from './commands.ts';
import { continueHandling, fileOutgoing, handle, issue, recall, returnToSender, type Desk, type Handling, type Outgoing } from './documents.ts';
import { pick, sample, seededRandom, type Random } from './names.ts';
import { SLOTS_PER_DAY as D, slotOf, type Schedule } from './schedule.ts';
import * as T from './texts.ts';

/**
 * A few weeks of the city's document traffic, planned as stories on the schedule: notices from the
 * two city offices to every unit, 请示 answered by 批复, 函 answered by 复函, 会议通知 answered
 * by attendance lists, 特急 and 加急 alerts handled within hours, a reporting notice some units
 * answer late (after 催办 and 督办), a 函 returned to its sender as misdelivered, a notice recalled
 * and reissued, district and town traffic, filings at both ends, and on the last day the things
 * still under way: drafts, a document signed off but not sealed, one sealed but not sent, and 特急
 * items not yet signed for.
 */

interface Ctx extends Desk {
  city: DemoCity;
  random: Random;
  /**
   * How many slots "a day later" is in the plans (filing a few days after handling, a reply the
   * next day). The small city compresses the weeks into its few days, so that every step, filing
   * included, happens within them.
   */
  day: number;
  /** A new document id. */
  id(): string;
  /** The next number in a unit's incoming register (收文登记号). */
  registerNo(unit: DemoUnit, slot: number): string;
  /** The slot `k` on the first office day on or after `day`; Infinity when that is after today. */
  slotOn(day: string, k: number): number;
  between(min: number, max: number): number;
  chance(p: number): boolean;
}

const ALL_CITY = '各县区人民政府，市直各单位';

function context(s: Schedule, run: RunCommand, city: DemoCity, size: DemoSize, seed: number): Ctx {
  const random = seededRandom(seed);
  let documents = 0;
  const registers = new Map<string, number>();
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return {
    s,
    run,
    city,
    random,
    day: size === 'full' ? D : 3,
    id: () => `fy-doc-${String(++documents).padStart(5, '0')}`,
    registerNo(unit, slot) {
      // A register runs all year: start where a unit's register would be by late autumn.
      const n = (registers.get(unit.unitId) ?? between(300, 900)) + 1;
      registers.set(unit.unitId, n);
      return `收〔${s.dayOf(slot).slice(0, 4)}〕${n}号`;
    },
    slotOn(day, k) {
      const i = s.days.findIndex((d) => d >= day);
      return i < 0 ? Infinity : slotOf(i, k);
    },
    between,
    chance: (p) => random() < p,
  };
}

const present = (city: DemoCity, keys: readonly string[]): DemoUnit[] => keys.flatMap((k) => city.units.filter((u) => u.key === k));
const governments = (city: DemoCity) => city.districts.map((d) => d.government);

/** The steps of an outgoing document, from its draft slot: urgent ones within the morning. */
function pace(start: number, urgency: T.Urgency, ctx: Ctx): Pick<Outgoing, 'draft' | 'signOff' | 'seal' | 'send'> {
  if (urgency === '特急') return { draft: start, signOff: start + 1, seal: start + 2, send: start + 2 };
  const signOff = start + ctx.between(1, urgency === '加急' ? 1 : 3);
  const seal = signOff + ctx.between(0, 1);
  return { draft: start, signOff, seal, send: seal + ctx.between(0, 1) };
}

/** How long a recipient takes to sign for a document, by urgency (in slots). */
const receiptDelay = (ctx: Ctx, urgency: T.Urgency) => (urgency === '特急' ? 1 : urgency === '加急' ? ctx.between(1, 2) : ctx.between(1, 6));

interface RoutineOptions {
  /** Handling is assigned with a due date `dueDays` after receipt; `late` ones finish after it. */
  action?: { dueDays: number; late?: 'urged' | 'supervised'; result?: string; reply?: string };
  instructShare?: number;
  retention: T.DocText['retention'];
}

/** The ordinary life of an incoming document at one unit: 签收, 登记, 阅, perhaps 批示 and 承办, 归档. */
function routine(ctx: Ctx, unit: DemoUnit, sent: number, urgency: T.Urgency, o: RoutineOptions): Handling {
  const receive = sent + receiptDelay(ctx, urgency);
  const read = receive + (urgency === '特急' ? 0 : ctx.between(0, 2));
  const h: Handling = { receive, registerNo: ctx.registerNo(unit, receive), read };
  if (ctx.chance(0.4)) h.staffRead = read + ctx.between(0, 2);
  if (urgency === '特急' || ctx.chance(o.instructShare ?? 0.35)) h.instruct = { at: read, text: pick(ctx.random, T.READ_INSTRUCTIONS) };
  let done = read;
  if (o.action) {
    // Counted from the day it is assigned (a Friday receipt may be assigned on Monday).
    const dueDate = addDays(ctx.s.dayOf(read), o.action.dueDays);
    h.assign = { at: read, dueDate, department: pick(ctx.random, T.HANDLING_DEPARTMENTS) };
    const result = o.action.result ?? pick(ctx.random, T.COMPLETION_RESULTS);
    if (o.action.late) {
      h.urge = [{ at: ctx.slotOn(dueDate, 2), level: '催办', message: `该件办理期限为${T.cnDate(dueDate)}，请抓紧办理，按时报送。` }];
      let finish = ctx.slotOn(addDays(dueDate, 1), ctx.between(3, 7));
      if (o.action.late === 'supervised') {
        h.urge.push({ at: ctx.slotOn(addDays(dueDate, 1), 1), level: '督办', message: '该件已超过办理期限，列入督办，请于今日内办结并说明原因。' });
        finish = ctx.slotOn(addDays(dueDate, 2), ctx.between(4, 7));
      }
      h.complete = { at: finish, result: `${result}${T.LATE_EXCUSES[o.action.late]}` };
    } else {
      const dueSlot = Math.min(ctx.slotOn(dueDate, D - 1), read + 4 * ctx.day);
      h.complete = { at: ctx.between(Math.min(read + 1, dueSlot), Math.max(read + 1, dueSlot)), result };
    }
    if (o.action.reply) h.reply = { at: h.complete.at, text: o.action.reply };
    done = h.complete.at;
  }
  h.file = { at: done + ctx.between(1, 3) * ctx.day, retention: o.retention };
  return h;
}

interface Broadcast {
  issuer: DemoUnit;
  text: (w: T.Writing) => T.DocText;
  to: string;
  main: DemoUnit[];
  cc?: DemoUnit[];
  action?: { dueDays: number; lateShare?: number; result?: string; reply?: string };
  /** Recipients that return it as misdelivered, with the reason. */
  misdelivered?: { unit: DemoUnit; reason: string }[];
  /** A main recipient's own plan instead of the routine one; undefined: it has not signed for it yet. */
  handling?: (unit: DemoUnit, sent: number) => Handling | undefined;
}

/** One document to many units: the issuer's story and one story per recipient. */
function broadcast(ctx: Ctx, start: number, b: Broadcast): string {
  const id = ctx.id();
  const text = b.text({ issuer: b.issuer.name, to: b.to, day: ctx.s.dayOf(start) });
  const steps = pace(start, text.urgency, ctx);
  const wrong = b.misdelivered ?? [];
  const main = [...b.main, ...wrong.map((w) => w.unit)];
  const fileAt = steps.send! + ctx.between(4, 6) * ctx.day;
  const pages = ctx.between(2, 8);
  ctx.s.story(`${b.issuer.shortName}「${text.title}」`, async () => {
    await issue(ctx, { id, issuer: b.issuer, text, main, ...(b.cc ? { cc: b.cc } : {}), ...steps });
    await fileOutgoing(ctx, id, b.issuer, fileAt, text.retention, pages);
  });
  for (const unit of b.main) {
    if (b.handling) {
      const plan = b.handling(unit, steps.send!);
      if (plan) ctx.s.story(`${unit.shortName}办理「${text.title}」`, () => handle(ctx, id, unit, plan));
      continue;
    }
    const late = b.action?.lateShare && ctx.chance(b.action.lateShare) ? (ctx.chance(0.5) ? 'urged' : 'supervised') : undefined;
    const plan = routine(ctx, unit, steps.send!, text.urgency, {
      retention: text.retention,
      ...(b.action ? { action: { dueDays: b.action.dueDays, ...(late ? { late } : {}), ...(b.action.result ? { result: b.action.result } : {}), ...(b.action.reply ? { reply: b.action.reply } : {}) } } : {}),
    });
    ctx.s.story(`${unit.shortName}办理「${text.title}」`, () => handle(ctx, id, unit, plan));
  }
  for (const unit of b.cc ?? []) {
    const plan = routine(ctx, unit, steps.send!, text.urgency, { retention: text.retention, instructShare: 0.1 });
    ctx.s.story(`${unit.shortName}（抄送）办理「${text.title}」`, () => handle(ctx, id, unit, plan));
  }
  for (const w of wrong) {
    const at = steps.send! + ctx.between(1, 3);
    ctx.s.story(`${w.unit.shortName}退回「${text.title}」`, () => returnToSender(ctx, id, w.unit, at, w.reason));
  }
  return id;
}

/**
 * A 请示 and the 批复 that answers it: a city department's to the 市政府办公室, or a town's to its
 * district government. The approving unit signs for it, reviews it (初审), its leader instructs,
 * the drafting of the 批复 is assigned, the 批复 goes back and is named in the reply (答复).
 */
function requestAndApproval(ctx: Ctx, start: number, r: T.Request): void {
  const { city } = ctx;
  const dept = city.unit(r.key);
  const district = city.districts.find((d) => d.towns.includes(dept));
  const office = district?.government ?? city.governmentOffice;
  const level = district ? '区' : '市';
  const requestId = ctx.id();
  const approvalId = ctx.id();
  const request = T.requestText(r, { issuer: dept.name, to: district ? district.government.shortName : '市人民政府', day: ctx.s.dayOf(start) });
  const out = pace(start, '平件', ctx);
  const receive = out.send! + ctx.between(1, 3);
  const read = receive + 1;
  const draftReply = receive + ctx.between(1, 2) * ctx.day;
  const reply = pace(draftReply, '平件', ctx);
  const deptReceive = reply.send! + ctx.between(1, 3);
  const dueDate = addDays(ctx.s.dayOf(receive), 7);
  const officeRegister = ctx.registerNo(office, receive);
  const deptRegister = ctx.registerNo(dept, deptReceive);
  const pages = [ctx.between(2, 5), ctx.between(1, 3)] as const;
  ctx.s.story(`${dept.shortName}「${request.title}」及批复`, async () => {
    const requestNumber = await issue(ctx, { id: requestId, issuer: dept, text: request, main: [office], ...out, opinion: `同意报${level}政府。` });
    await handle(ctx, requestId, office, {
      receive,
      registerNo: officeRegister,
      review: { at: receive, accepted: true, opinion: `符合行文规则，请示事项明确，拟请${level}政府分管领导阅示。` },
      read,
      instruct: { at: read, text: `同意。请${level}财政局会同${dept.shortName}按程序办理，办公室拟文批复。` },
      assign: { at: read, dueDate, department: '秘书科', note: '拟文批复' },
    });
    const approval = T.approvalText(r, { issuer: office.name, to: dept.shortName, day: ctx.s.dayOf(draftReply) }, requestNumber!, dept.shortName, `${level}政府`);
    const approvalNumber = await issue(ctx, { id: approvalId, issuer: office, text: approval, main: [dept], ...reply, opinion: '同意。' });
    await continueHandling(ctx, requestId, office, {
      reply: { at: reply.send!, text: `已以${approvalNumber}批复。`, replyDocumentId: approvalId },
      complete: { at: reply.send!, result: `已拟文批复（${approvalNumber}），办结。` },
      file: { at: reply.send! + ctx.day, retention: 'Y' },
    });
    await handle(ctx, approvalId, dept, { receive: deptReceive, registerNo: deptRegister, read: deptReceive + 1, instruct: { at: deptReceive + 1, text: '按批复要求抓紧组织实施。' }, file: { at: deptReceive + ctx.day, retention: 'Y' } });
    await fileOutgoing(ctx, requestId, dept, deptReceive + ctx.day + 1, 'Y', pages[0]);
    await fileOutgoing(ctx, approvalId, office, deptReceive + 2 * ctx.day, 'Y', pages[1]);
  });
}

/** A 函 from one department to another, answered by a 复函. */
function letterAndReply(ctx: Ctx, start: number, l: T.Letter): void {
  const asker = ctx.city.unit(l.from);
  const target = ctx.city.unit(l.to);
  const letterId = ctx.id();
  const replyId = ctx.id();
  const letter = T.letterText(l, { issuer: asker.name, to: target.shortName, day: ctx.s.dayOf(start) });
  const out = pace(start, '平件', ctx);
  const receive = out.send! + ctx.between(1, 4);
  const draftReply = receive + ctx.between(1, 3) * ctx.day;
  const back = pace(draftReply, '平件', ctx);
  const askerReceive = back.send! + ctx.between(1, 3);
  const targetRegister = ctx.registerNo(target, receive);
  const askerRegister = ctx.registerNo(asker, askerReceive);
  const dueDate = addDays(ctx.s.dayOf(receive), 7);
  ctx.s.story(`${asker.shortName}致${target.shortName}「${letter.title}」及复函`, async () => {
    const letterNumber = await issue(ctx, { id: letterId, issuer: asker, text: letter, main: [target], ...out, opinion: '同意发函。' });
    await handle(ctx, letterId, target, {
      receive,
      registerNo: targetRegister,
      read: receive + 1,
      instruct: { at: receive + 1, text: '请相关科室提供材料，办公室拟复函。' },
      assign: { at: receive + 1, dueDate, department: pick(ctx.random, T.HANDLING_DEPARTMENTS) },
    });
    const reply = T.replyLetterText(l, { issuer: target.name, to: asker.shortName, day: ctx.s.dayOf(draftReply) }, letterNumber!, asker.shortName);
    const replyNumber = await issue(ctx, { id: replyId, issuer: target, text: reply, main: [asker], ...back, opinion: '同意函复。' });
    await continueHandling(ctx, letterId, target, {
      reply: { at: back.send!, text: `已以${replyNumber}函复。`, replyDocumentId: replyId },
      complete: { at: back.send!, result: `已函复（${replyNumber}）。` },
      file: { at: back.send! + ctx.day, retention: 'D10' },
    });
    await handle(ctx, replyId, asker, { receive: askerReceive, registerNo: askerRegister, read: askerReceive + 1, file: { at: askerReceive + ctx.day, retention: 'D10' } });
    await fileOutgoing(ctx, letterId, asker, askerReceive + ctx.day + 1, 'D10', 1);
    await fileOutgoing(ctx, replyId, target, askerReceive + ctx.day + 2, 'D10', 2);
  });
}

/** A 函 sent to the wrong department, returned (退回) with the reason, and sent again to the right one. */
function returnedLetter(ctx: Ctx, start: number): void {
  const fin = ctx.city.unit('czj');
  const wrong = ctx.city.unit('slj');
  const right = ctx.city.unit('nyj');
  const firstId = ctx.id();
  const secondId = ctx.id();
  const first = T.farmlandLetter({ issuer: fin.name, to: wrong.shortName, day: ctx.s.dayOf(start) });
  const out = pace(start, '平件', ctx);
  const returned = out.send! + ctx.between(1, 2);
  const again = returned + 1;
  const second = T.farmlandLetter({ issuer: fin.name, to: right.shortName, day: ctx.s.dayOf(again) });
  const resend = pace(again, '加急', ctx);
  const plan: Handling = {
    receive: resend.send! + ctx.between(1, 2),
    registerNo: ctx.registerNo(right, resend.send! + 1),
    read: resend.send! + 3,
    instruct: { at: resend.send! + 3, text: '请计划财务科据实提供，按时函复市财政局。' },
    assign: { at: resend.send! + 3, dueDate: addDays(ctx.s.dayOf(resend.send! + 3), 5), department: '计划财务科' },
    reply: { at: resend.send! + ctx.day + 2, text: '今年全市高标准农田建设资金共计6.3亿元，已拨付5.1亿元，支出进度81%，明细见报送材料。' },
    complete: { at: resend.send! + ctx.day + 2, result: '已将资金使用情况函告市财政局。' },
    file: { at: resend.send! + 3 * ctx.day, retention: 'D10' },
  };
  ctx.s.story(`${fin.shortName}误送${wrong.shortName}的函`, async () => {
    await issue(ctx, { id: firstId, issuer: fin, text: first, main: [wrong], ...out, opinion: '同意发函。' });
    await returnToSender(ctx, firstId, wrong, returned, T.FARMLAND_RETURN_REASON);
    await issue(ctx, { id: secondId, issuer: fin, text: second, main: [right], ...resend, opinion: '同意，改送市农业农村局。' });
    await handle(ctx, secondId, right, plan);
    await fileOutgoing(ctx, firstId, fin, resend.send! + 3 * ctx.day, 'D10', 1);
    await fileOutgoing(ctx, secondId, fin, resend.send! + 3 * ctx.day + 1, 'D10', 1);
  });
}

/** A notice recalled (撤回) before anyone signed for it, and its corrected reissue. */
function recalledNotice(ctx: Ctx, start: number): void {
  const hr = ctx.city.unit('rsj');
  const main = governments(ctx.city);
  const cc = ctx.city.districts.flatMap((d) => d.counterpart('rsj') ?? []);
  const recalledId = ctx.id();
  const first = T.pensionNotice({ issuer: hr.name, to: '各区人民政府', day: ctx.s.dayOf(start) }, false);
  const out = pace(start, first.urgency, ctx);
  const recallAt = out.send! + 1;
  ctx.s.story(`${hr.shortName}撤回「${first.title}」`, async () => {
    await issue(ctx, { id: recalledId, issuer: hr, text: first, main, cc, ...out });
    await recall(ctx, recalledId, hr, recallAt, T.PENSION_RECALL_REASON);
  });
  broadcast(ctx, recallAt, {
    issuer: hr,
    text: (w) => T.pensionNotice(w, true),
    to: '各区人民政府',
    main,
    cc,
    action: { dueDays: 10, result: '已按更正后的标准部署落实。' },
  });
}

/** The 会议通知: each unit reports back who will attend. */
function meeting(ctx: Ctx, start: number): void {
  const { city } = ctx;
  const meetingDay = ctx.s.dayOf(start + 2 * D);
  const main = [...governments(city), ...present(city, ['yjj', 'lyj', 'gaj', 'jtj', 'zjj', 'nyj', 'slj', 'qxj', 'xfzd', 'sthj'])];
  broadcast(ctx, start, {
    issuer: city.governmentOffice,
    text: (w) => T.meetingNotice(w, meetingDay),
    to: main.map((u) => u.shortName).join('，'),
    main,
    handling(unit, sent) {
      const receive = sent + ctx.between(1, 2);
      return {
        receive,
        registerNo: ctx.registerNo(unit, receive),
        read: receive,
        instruct: { at: receive, text: `请${unit.leader.name}同志参会。` },
        reply: {
          at: receive + ctx.between(1, 4),
          text: `参会人员：${unit.leader.name}（主要负责同志），联系人：${unit.clerk.name}，联系电话：0558-${2_200_000 + ctx.between(1000, 99_999)}。`,
        },
        file: { at: receive + 3 * ctx.day, retention: 'D10' },
      };
    },
  });
}

/** 特急 from the 市应急局 to the districts: signed for within the hour, acted on the same day. */
function coldWave(ctx: Ctx, start: number): void {
  const { city } = ctx;
  broadcast(ctx, start, {
    issuer: city.unit('yjj'),
    text: T.coldWaveAlert,
    to: '各区人民政府',
    main: governments(city),
    cc: present(city, ['qxj', 'gaj', 'jtj', 'mzj', 'zjj']),
    handling(unit, sent) {
      const receive = sent + 1;
      return {
        receive,
        registerNo: ctx.registerNo(unit, receive),
        read: receive,
        instruct: { at: receive, text: '立即部署，各乡镇（街道）连夜排查，确保群众安全过冬。' },
        assign: { at: receive, dueDate: addDays(ctx.s.dayOf(receive), 1), department: '区应急管理局', note: '明日12时前报市应急局' },
        reply: { at: receive + ctx.day - 2, text: `已部署各乡镇（街道）开展隐患排查，转移危房群众${ctx.between(12, 60)}人，未发生灾情。` },
        complete: { at: receive + ctx.day - 2, result: '已落实各项防范应对措施并报市应急局。' },
        file: { at: receive + 2 * ctx.day, retention: 'D30' },
      };
    },
  });
}

/**
 * 特急 that some units let lie (the inspectors' question): most sign for it within the hour, but
 * of every six recipients one signs only hours later (a yellow warning, 催办), one the next day and
 * one two days later (red, 督办); one of the latter is still lying, when `stillLying`.
 */
function urgentLeftLying(ctx: Ctx, start: number, text: (w: T.Writing) => T.DocText, main: DemoUnit[], stillLying: boolean): void {
  let n = 0;
  broadcast(ctx, start, {
    issuer: ctx.city.unit('yjj'),
    text,
    to: '各区人民政府，市直有关单位',
    main,
    handling(unit, sent) {
      const k = n++;
      if (stillLying && k === 5) return undefined;
      const delay = [1, 4, 1, ctx.day + 1, 1, 2 * ctx.day + 2][k % 6]!;
      const receive = sent + delay;
      return {
        receive,
        registerNo: ctx.registerNo(unit, receive),
        read: receive,
        instruct: { at: receive, text: '立即传达部署，抓好落实，按时报送情况。' },
        file: { at: receive + 3 * ctx.day, retention: 'D30' },
      };
    },
  });
}

/** The Monday-based day `weekday` (0 Monday … 6 Sunday) of the calendar week before today's. */
function dayLastWeek(today: string, weekday: number): string {
  const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(today, -dow - 7 + weekday);
}

/** 特急 sent today: some units have signed for it, the rest have it waiting in their inbox. */
function iceToday(ctx: Ctx, day: number): void {
  const { city } = ctx;
  let n = 0;
  broadcast(ctx, slotOf(day, 0), {
    issuer: city.governmentOffice,
    text: T.iceAlert,
    to: '各区人民政府，市直有关单位',
    main: [...governments(city), ...present(city, ['gaj', 'jtj', 'zjj', 'cgj', 'yjj', 'mzj'])],
    handling(unit, sent) {
      if (n++ % 2 === 1) return undefined;
      const receive = sent + 1;
      return { receive, registerNo: ctx.registerNo(unit, receive), read: receive, instruct: { at: receive, text: '立即传达部署，主要负责同志在岗指挥。' } };
    },
  });
}

/** Documents on the issuers' desks today, at each step short of sending. */
function desksToday(ctx: Ctx, day: number): void {
  const { city } = ctx;
  const yesterday = Math.max(day - 1, 0);
  const all = [...governments(city), ...city.departments];
  const desks: [DemoUnit, number, Omit<Outgoing, 'id' | 'issuer' | 'text' | 'main'>][] = [
    [city.unit('fgw'), 0, { draft: slotOf(day, 2) }],
    [city.unit('tjj'), 1, { draft: slotOf(yesterday, 5), signOff: slotOf(day, 3) }],
    [city.unit('scj'), 2, { draft: slotOf(yesterday, 4), signOff: slotOf(yesterday, 6), seal: slotOf(day, 4) }],
  ];
  for (const [issuer, which, steps] of desks) {
    const text = T.draftsInProgress({ issuer: issuer.name, to: ALL_CITY, day: ctx.s.dayOf(steps.draft) })[which]!;
    const main = sample(ctx.random, all.filter((u) => u !== issuer), 6);
    const id = ctx.id();
    ctx.s.story(`${issuer.shortName}「${text.title}」（办理中）`, () => issue(ctx, { id, issuer, text, main, ...steps }).then(() => {}));
  }
}

/** Reports from the towns of a district to the district government. */
function townReports(ctx: Ctx, start: number, district: DemoDistrict): void {
  for (const town of district.towns) {
    const at = start + ctx.between(0, 3);
    const text = T.townReport(town.shortName, { issuer: town.name, to: district.government.shortName, day: ctx.s.dayOf(at) });
    const id = ctx.id();
    const steps = pace(at, '平件', ctx);
    const gov = district.government;
    const plan = routine(ctx, gov, steps.send!, '平件', { retention: 'D10', instructShare: 0.2 });
    const fileAt = plan.receive + ctx.between(2, 4) * ctx.day;
    ctx.s.story(`${town.shortName}「${text.title}」`, async () => {
      await issue(ctx, { id, issuer: town, text, main: [gov], ...steps, opinion: '同意上报。' });
      await fileOutgoing(ctx, id, town, fileAt, 'D10', 2);
    });
    ctx.s.story(`${gov.shortName}阅${town.shortName}报告`, () => handle(ctx, id, gov, plan));
  }
}

function districtBroadcast(ctx: Ctx, start: number, district: DemoDistrict, which: number, misdelivered?: Broadcast['misdelivered']): void {
  const gov = district.government;
  const text = T.districtNotices(gov.name.replace('阜阳市', '').replace('人民政府', ''))[which]!;
  broadcast(ctx, start, {
    issuer: gov,
    text,
    to: '各乡镇人民政府、街道办事处，区直各单位',
    main: [...district.towns, ...district.departments],
    action: { dueDays: 6, lateShare: 0.1 },
    ...(misdelivered ? { misdelivered } : {}),
  });
}

function counterparts(ctx: Ctx, start: number, cityKey: string, text: (w: T.Writing) => T.DocText, to: string): void {
  const issuer = ctx.city.unit(cityKey);
  const main = ctx.city.districts.flatMap((d) => d.counterpart(cityKey) ?? []);
  if (main.length === 0) return;
  broadcast(ctx, start, { issuer, text, to, main, cc: governments(ctx.city), action: { dueDays: 7 } });
}

/** A notice from one of the two city offices to every unit of the city. */
function cityNotice(ctx: Ctx, start: number, from: 'government' | 'party', text: (w: T.Writing) => T.DocText, action?: Broadcast['action']): void {
  const { city } = ctx;
  const issuer = from === 'government' ? city.governmentOffice : city.partyOffice;
  const other = from === 'government' ? city.partyOffice : city.governmentOffice;
  broadcast(ctx, start, { issuer, text, to: ALL_CITY, main: [...governments(city), ...city.departments], cc: [other], ...(action ? { action } : {}) });
}

function reportingNotice(ctx: Ctx, start: number, dueDays: number): void {
  const dueDay = addDays(ctx.s.dayOf(start), dueDays + 1);
  cityNotice(ctx, start, 'government', (w) => T.reportingNotice(w, dueDay), {
    dueDays,
    lateShare: 0.3,
    result: '已将本单位民生实事项目推进情况报送市政府办公室。',
  });
}

/** Plans the whole traffic on the schedule; the schedule's days decide how much fits. */
export function planTraffic(s: Schedule, run: RunCommand, city: DemoCity, size: DemoSize, seed = 7): void {
  const ctx = context(s, run, city, size, seed);
  const today = s.days.length - 1;
  const at = (day: number, slot = 0) => slotOf(day, slot);
  const [yz, yd, yq] = city.districts;

  if (size === 'small') {
    cityNotice(ctx, at(0, 0), 'government', T.cityNotices[0]!, { dueDays: 1, lateShare: 0.3 });
    requestAndApproval(ctx, at(0, 1), T.requests[0]!);
    requestAndApproval(ctx, at(0, 3), T.townRequests[0]!);
    letterAndReply(ctx, at(0, 1), T.letters[0]!);
    returnedLetter(ctx, at(0, 2));
    coldWave(ctx, at(1, 0));
    recalledNotice(ctx, at(1, 1));
    meeting(ctx, at(1, 2));
    townReports(ctx, at(1, 3), yz!);
    counterparts(ctx, at(1, 4), 'jyj', T.schoolSafetyNotice, '各区教育局');
    districtBroadcast(ctx, at(2, 0), yz!, 1);
    iceToday(ctx, today);
    desksToday(ctx, today);
    return;
  }

  // Three weeks: something from the city offices most days, with the departments' own traffic between.
  cityNotice(ctx, at(0, 0), 'government', T.cityNotices[0]!, { dueDays: 6, lateShare: 0.1 });
  requestAndApproval(ctx, at(0, 2), T.requests[0]!);
  letterAndReply(ctx, at(0, 3), T.letters[0]!);
  reportingNotice(ctx, at(1, 0), 3);
  townReports(ctx, at(1, 2), yz!);
  counterparts(ctx, at(1, 4), 'jyj', T.schoolSafetyNotice, '各区教育局');
  cityNotice(ctx, at(2, 1), 'party', T.cityNotices[5]!);
  returnedLetter(ctx, at(2, 2));
  letterAndReply(ctx, at(2, 4), T.letters[1]!);
  coldWave(ctx, at(3, 0));
  requestAndApproval(ctx, at(3, 2), T.requests[1]!);
  districtBroadcast(ctx, at(3, 4), yd!, 0, [{ unit: yq!.towns[0]!, reason: `本单位隶属颍泉区，不在${yd!.government.shortName}行文范围，来文主送有误，予以退回。` }]);
  meeting(ctx, at(4, 1));
  letterAndReply(ctx, at(4, 3), T.letters[2]!);
  recalledNotice(ctx, at(4, 4));
  cityNotice(ctx, at(5, 1), 'government', T.serviceReport);
  requestAndApproval(ctx, at(5, 3), T.requests[2]!);
  districtBroadcast(ctx, at(5, 4), yz!, 1);
  requestAndApproval(ctx, at(5, 5), T.townRequests[0]!);
  cityNotice(ctx, at(6, 0), 'government', T.cityNotices[2]!, { dueDays: 10 });
  letterAndReply(ctx, at(6, 2), T.letters[3]!);
  broadcast(ctx, at(7, 0), { issuer: city.unit('wjw'), text: T.fluNotice, to: '各区人民政府', main: governments(city), cc: city.districts.flatMap((d) => d.counterpart('wjw') ?? []), action: { dueDays: 5 } });
  requestAndApproval(ctx, at(7, 2), T.requests[3]!);
  townReports(ctx, at(7, 3), yd!);
  requestAndApproval(ctx, at(8, 1), T.townRequests[1]!);
  cityNotice(ctx, at(8, 0), 'government', T.cityNotices[4]!);
  letterAndReply(ctx, at(8, 2), T.letters[4]!);
  districtBroadcast(ctx, at(8, 4), yq!, 1);
  cityNotice(ctx, at(9, 1), 'government', T.cityNotices[6]!, { dueDays: 4, lateShare: 0.1 });
  requestAndApproval(ctx, at(9, 3), T.requests[4]!);
  cityNotice(ctx, at(10, 0), 'government', T.cityNotices[1]!);
  letterAndReply(ctx, at(10, 2), T.letters[5]!);
  townReports(ctx, at(10, 4), yq!);
  requestAndApproval(ctx, at(11, 1), T.requests[5]!);
  counterparts(ctx, at(11, 3), 'nyj', (w) => T.districtNotices('各区')[0]!(w), '各区农业农村局');
  requestAndApproval(ctx, at(11, 4), T.townRequests[2]!);
  cityNotice(ctx, at(12, 0), 'party', T.cityNotices[3]!, { dueDays: 8 });
  districtBroadcast(ctx, at(13, 2), yz!, 0);
  // 特急 left lying: one in the calendar week before today's, one three office days ago, so that
  // "last week" has an answer whatever day the demo is run.
  const urgentTo = (keys: string[]) => [...governments(city), ...present(city, keys)];
  urgentLeftLying(ctx, ctx.slotOn(dayLastWeek(s.days[today]!, 2), 0), T.safetyCheckAlert, urgentTo(['gaj', 'jtj', 'zjj', 'cgj', 'sthj']), false);
  urgentLeftLying(ctx, at(Math.max(0, today - 3), 4), T.fireAlert, urgentTo(['lyj', 'nyj', 'slj', 'gaj', 'xfzd']), true);
  iceToday(ctx, today);
  desksToday(ctx, today);
}
