import { sampleFile } from './sample-files.ts';
import type { Role } from '../../schemas/common.ts';
import type { Principal } from '../../src/app/authorization.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { Refusal, type RefusalCode } from '../../src/domain/refusal.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import {
  addOfficeHours,
  addWorkingDays,
  chinaDay,
  chinaTime,
  DAY,
  HOUR,
  MINUTE,
  nextDay,
  workingDaysOf,
} from './city-year/calendar.ts';
import { addedUnits, CityDirectory, extraPeople, seededUnits, type CityUnit } from './city-year/city.ts';
import { Random } from './city-year/random.ts';
import { CityClock, Lane, LaneScheduler, type Flow } from './city-year/scheduler.ts';
import * as T from './city-year/text.ts';
import { SEAL_PASSPHRASE, seedCity } from './ledger.ts';
import { recordDailyCheck } from '../../src/supervision/daily-check.ts';
import { scanDeadlines } from '../../src/supervision/supervision.ts';

/**
 * A realistic year (2025) of a city's official documents, driven through the real command service
 * with a controlled clock: drafting and revising (before and after sign-off), sign-off, sealing,
 * sending to main and cc recipients, receipts, returns, recalls, registration, review, circulation
 * among leaders, instructions, assignment with due dates, 催办 and 督办, completion (some late),
 * replies (some as documents of their own), filing at both ends with every retention, urgent
 * items, and the directory's year: seals replaced, revoked and destroyed, a unit renamed, roles
 * granted and revoked, credentials issued and revoked, a user deactivated.
 *
 * The simulation is a set of flows (one per document at its issuer, one per recipient's copy, one
 * for the administrators), each an async generator that yields the simulated instant it wants to
 * act next. They run concurrently in lanes on their own clocks (see city-year/scheduler.ts for
 * how that stays deterministic): the outcome depends on the seed alone, store-generated event ids
 * and the commandIds of seedCity aside.
 *
 * Create the ledger with the clock: `const clock = createCityClock(); const ledger = await
 * createTestLedger({ now: clock.now }); await generateCityYear(ledger, { clock })`. One year per
 * ledger (it seeds the city itself).
 */

export { CityClock };

/** The clock to give createTestLedger({ now: clock.now }) and generateCityYear. */
export const createCityClock = (start = Date.parse('2025-01-01T00:00:00Z')): CityClock => new CityClock(start);

export interface CityYearOptions {
  seed?: number;
  /** Documents started by the city's units over the year (replies drafted by recipients come on top). */
  documents?: number;
  clock: CityClock;
  /** Prefix of generated ids and commandIds; two years in one ledger need two prefixes. */
  idPrefix?: string;
  /**
   * Store real (small, 1–8 KB) attachment bytes in the content store, for tests that export them.
   * Off by default: the other tests need only the attachments' metadata, and keep their sizes.
   */
  attachmentBytes?: boolean;
}

export interface CityYearSummary {
  seed: number;
  documents: number;
  replyDocuments: number;
  commands: number;
  commandsByType: Record<string, number>;
  /** Refusals the simulation provoked on purpose (a revoked seal, a recalled copy), by code. */
  expectedRefusals: Record<string, number>;
  paths: Record<string, number>;
  events: number;
  /** Principals of the city as they stand at the end of the year. */
  directory: CityDirectory;
}

const YEAR = 2025;
const YEAR_END = chinaTime(`${YEAR}-12-31`, 24);

/** 00:00 China time of the first Monday after the instant. */
function nextMonday(ms: number): number {
  if (!Number.isFinite(ms)) return Infinity;
  const day = chinaDay(ms);
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return chinaTime(nextDay(day, ((8 - weekday) % 7) || 7), 0);
}

interface DocumentSpec {
  documentId: string;
  /** The planned document's number in the year (a reply shares its request's). */
  serial: number;
  issuer: CityUnit;
  docType: T.GeneratedDocType;
  urgency: '特急' | '加急' | '平件';
  main: string[];
  cc: string[];
  /** Set on a reply document: it goes back to the unit that asked. */
  replyTo?: string;
  /** Goes the whole way from draft to send: no abandoned draft, no recall. */
  steady?: boolean;
}

const retentionWeights: Record<T.GeneratedDocType, Record<'Y' | 'D30' | 'D10', number>> = {
  通知: { Y: 2, D30: 6, D10: 4 },
  函: { Y: 1, D30: 3, D10: 6 },
  报告: { Y: 3, D30: 5, D10: 2 },
  请示: { Y: 6, D30: 3, D10: 1 },
  意见: { Y: 5, D30: 4, D10: 1 },
  通报: { Y: 2, D30: 4, D10: 4 },
  批复: { Y: 6, D30: 3, D10: 1 },
  纪要: { Y: 7, D30: 2, D10: 1 },
  决定: { Y: 8, D30: 2, D10: 0 },
};

export async function generateCityYear(ledger: Ledger, opts: CityYearOptions): Promise<CityYearSummary> {
  const seed = opts.seed ?? 2025;
  const documents = opts.documents ?? 300;
  const clock = opts.clock;
  const idPrefix = opts.idPrefix ?? `y${seed}`;
  const rng = new Random(seed);
  const city = new CityDirectory();
  const scheduler = new LaneScheduler(clock);
  const summary = {
    commands: 0,
    commandsByType: {} as Record<string, number>,
    expectedRefusals: {} as Record<string, number>,
    paths: {} as Record<string, number>,
    replyDocuments: 0,
  };
  const count = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
  const path = (name: string) => count(summary.paths, name);

  const currentLane = () => {
    const lane = clock.lane();
    if (!lane) throw new Error('city year: a step outside any lane');
    return lane;
  };
  /** The commandId of the next command of the running lane: independent of other lanes' progress. */
  const nextCommandId = () => currentLane().nextCommandId();

  /**
   * 分发, as the ledger's process manager does it, but for this document only and on its lane's
   * clock: the dispatcher's own handler (the one ReactorRunner calls) with the DocumentSent event.
   * The reactor runners catch up at the end and find every delivery already made.
   */
  async function deliver(sent: RecordedEvent): Promise<void> {
    for (const runner of ledger.reactors) {
      if (runner.reactor.handles.has(sent.type)) await runner.reactor.handle(sent);
    }
  }
  const settleReactors = async () => {
    await ledger.store.awaitVisible();
    for (let handled = 1; handled > 0; ) {
      handled = 0;
      for (const r of ledger.reactors) handled += await r.catchUp();
    }
  };

  const storedBytes: Buffer[] = [];
  const preimages: Buffer[] = [];
  /** Writes the bytes of the attachments just made into the content store (attachmentBytes only). */
  const storeAttachments = async () => {
    for (const bytes of storedBytes.splice(0)) {
      await ledger.db.pool.query(
        'INSERT INTO attachment_contents (sm3, size, media_type, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sm3) DO NOTHING',
        [sm3Hex(bytes), bytes.length, 'application/octet-stream', bytes],
      );
    }
  };

  /** Runs a command; any refusal here is a bug in the simulation, reported with what was tried. */
  async function exec(principal: Principal, type: string, input: Record<string, unknown>) {
    if (opts.attachmentBytes) await storeAttachments();
    summary.commands++;
    count(summary.commandsByType, type);
    const commandId = nextCommandId();
    try {
      return await ledger.commands.execute(principal, type, { commandId, ...input });
    } catch (error) {
      const who = principal.kind === 'user' ? principal.userId : 'system';
      const at = clock.now().toISOString();
      if (error instanceof Refusal) {
        throw new Error(`city year: ${type} by ${who} at ${at} refused ${error.code}: ${error.message} ${JSON.stringify(input).slice(0, 400)}`);
      }
      throw error;
    }
  }

  /** A refusal the simulation provokes on purpose; anything else is a bug. */
  async function refused(code: RefusalCode, principal: Principal, type: string, input: Record<string, unknown>) {
    try {
      await ledger.commands.execute(principal, type, { commandId: nextCommandId(), ...input });
    } catch (error) {
      if (error instanceof Refusal && error.code === code) {
        count(summary.expectedRefusals, code);
        return;
      }
      throw error;
    }
    throw new Error(`city year: ${type} was expected to be refused with ${code} at ${clock.now().toISOString()}`);
  }

  /** Moves the clock on within a step, so several actions of one sitting get distinct times. */
  const tick = (seconds: number) => clock.set(clock.now().getTime() + seconds * 1000);
  const now = () => clock.now().getTime();
  const as = (userId: string) => city.principal(userId);
  const one = (unitId: string, role: Role, r: Random) => {
    const holders = city.holders(unitId, role);
    if (holders.length === 0) throw new Error(`city year: nobody in ${unitId} holds ${role}`);
    return r.pick(holders).userId;
  };
  /** Office hours later; urgent items also move evenings and weekends. */
  const later = (r: Random, urgency: DocumentSpec['urgency'], minHours: number, maxHours: number) => {
    const hours = r.between(minHours, maxHours);
    if (urgency === '特急' && r.chance(0.5)) return now() + hours * HOUR;
    const t = addOfficeHours(now(), hours);
    // Now and then someone finishes the evening's work at home.
    return r.chance(0.03) ? chinaTime(chinaDay(t), 20 + r.next() * 2) : t;
  };

  // ---- the city at the start of the year --------------------------------------------------

  clock.set(chinaTime(`${YEAR}-01-02`, 8.5));
  const seeded = await seedCity(ledger);
  const admin = seeded.admin;
  city.addPerson('admin', 'city-office', '王管理', ['SUPER_ADMIN']);
  for (const u of seededUnits) {
    city.units.set(u.unitId, { ...u, seal: { sealId: `${u.unitId}-seal`, usable: true } });
    city.addPerson(`${u.unitId}-clerk`, u.unitId, '张文书', ['CLERK', 'STAFF']);
    city.addPerson(`${u.unitId}-leader`, u.unitId, '李领导', ['LEADER']);
    city.addPerson(`${u.unitId}-keeper`, u.unitId, '赵印管', ['SEAL_KEEPER']);
  }
  const validTo = `${YEAR + 5}-12-31T16:00:00.000Z`;
  await clock.run(new Lane(`${idPrefix}-setup`), chinaTime(`${YEAR}-01-02`, 8.7), async () => {
    for (const u of addedUnits) {
      await exec(admin, 'RegisterUnit', {
        unitId: u.unitId,
        name: u.name,
        shortName: u.shortName,
        kind: u.kind,
        parentUnitId: 'city-office',
        fondsCode: u.fondsCode,
        organisationCode: u.organisationCode,
        docNumberPrefixes: [u.prefix],
      });
      city.units.set(u.unitId, { ...u, seal: { sealId: `${u.unitId}-seal`, usable: true } });
      tick(60);
    }
    // jt has its own unit administrator, who registers the unit's staff; elsewhere the city office does.
    await exec(admin, 'RegisterUser', { userId: 'jt-admin', unitId: 'jt', name: '郑管理', roles: ['UNIT_ADMIN'] });
    city.addPerson('jt-admin', 'jt', '郑管理', ['UNIT_ADMIN']);
    for (const u of addedUnits) {
      for (const [suffix, name, roles] of [
        ['clerk', '张文书', ['CLERK', 'STAFF']],
        ['leader', '李领导', ['LEADER']],
        ['keeper', '赵印管', ['SEAL_KEEPER']],
      ] as const) {
        const registrar = u.unitId === 'jt' ? as('jt-admin') : admin;
        await exec(registrar, 'RegisterUser', { userId: `${u.unitId}-${suffix}`, unitId: u.unitId, name, roles: [...roles] });
        city.addPerson(`${u.unitId}-${suffix}`, u.unitId, name, [...roles]);
        tick(20);
      }
      await exec(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE,
        sealId: `${u.unitId}-seal`,
        unitId: u.unitId,
        name: u.name,
        sealType: '单位公章',
        validFrom: clock.now().toISOString(),
        validTo,
        keeperUserIds: [`${u.unitId}-keeper`],
      });
    }
    for (const unitId of city.unitIds()) {
      for (const p of extraPeople(unitId)) {
        // ARCHIVIST is reserved to the city office's super administrator.
        const registrar = unitId === 'jt' && !p.roles.includes('ARCHIVIST') ? as('jt-admin') : admin;
        await exec(registrar, 'RegisterUser', { userId: p.userId, unitId, name: p.name, roles: p.roles });
        city.addPerson(p.userId, unitId, p.name, p.roles);
        tick(15);
      }
    }
  });

  // ---- flows --------------------------------------------------------------------------------

  const recipientsFor = (r: Random, issuer: string) => {
    const others = city.unitIds().filter((u) => u !== issuer);
    const chosen = r.sample(others, r.int(1, Math.min(4, others.length)));
    const mainCount = Math.max(1, Math.min(chosen.length, r.int(1, 3)));
    return { main: chosen.slice(0, mainCount), cc: chosen.slice(mainCount) };
  };

  const attachmentsFor = (r: Random, documentId: string) =>
    r.sample(T.attachmentNames, Number(r.weighted({ '0': 3, '1': 4, '2': 2, '3': 1 }))).map((name, i) => {
      if (!opts.attachmentBytes) {
        // Only the metadata matters here; the digest's preimage is kept so the year's closed dossier
        // can still be exported (the archive step stores it as the attachment's bytes).
        preimages.push(Buffer.from(`${documentId}/${i}/${name}`));
        return { name, mediaType: T.mediaTypeOf(name), size: r.int(20, 900) * 1024, sm3: sm3Hex(`${documentId}/${i}/${name}`) };
      }
      const bytes = sampleFile(name, `${documentId}/${i}/${name}`, r.int(1, 8) * 1024);
      storedBytes.push(bytes);
      return { name, mediaType: T.mediaTypeOf(name), size: bytes.length, sm3: sm3Hex(bytes) };
    });

  /** The issuing side of one document, from 拟稿 to 归档. */
  async function* documentFlow(spec: DocumentSpec, r: Random): Flow {
    const { documentId, issuer, urgency } = spec;
    const drafter = r.weighted({ clerk: 7, staff: 2, leader: 1 });
    const drafterId = one(issuer.unitId, drafter === 'clerk' ? 'CLERK' : drafter === 'staff' ? 'STAFF' : 'LEADER', r);
    await exec(as(drafterId), 'DraftDocument', {
      documentId,
      title: T.title(r, spec.docType),
      docType: spec.docType,
      urgency,
      classification: '非密',
      body: T.body(r),
      attachments: attachmentsFor(r, documentId),
      mainRecipients: spec.main,
      ccRecipients: spec.cc,
      docNumberPrefix: issuer.prefix,
      ...(r.chance(0.3) && { signerNote: '请领导审签。' }),
      ...(r.chance(0.2) && { remarks: '此件公开发布' }),
    });
    const reviser = () => as(one(issuer.unitId, 'CLERK', r));

    if (!spec.steady && r.chance(0.04)) {
      path('abandoned draft');
      if (r.chance(0.5)) {
        yield later(r, urgency, 1, 8);
        await exec(reviser(), 'ReviseDraft', { documentId, body: `${T.body(r)}${T.revisedBodyNote(r)}` });
      }
      return;
    }
    if (r.chance(0.3)) {
      path('revised before sign-off');
      yield later(r, urgency, 0.5, 4);
      const change = r.weighted({ body: 5, attachments: 2, cc: 2, remarks: 1 });
      if (change === 'body') await exec(reviser(), 'ReviseDraft', { documentId, body: `${T.body(r)}${T.revisedBodyNote(r)}` });
      else if (change === 'attachments') await exec(reviser(), 'ReviseDraft', { documentId, attachments: attachmentsFor(r, `${documentId}-v2`) });
      else if (change === 'cc') {
        const extra = city.unitIds().filter((u) => u !== issuer.unitId && !spec.main.includes(u) && !spec.cc.includes(u));
        if (extra.length > 0) spec.cc = [...spec.cc, r.pick(extra)];
        // Both lists, though only cc changes: the handler loads the standing of the units named in
        // the command only, and checks the whole recipient list (see the report on ReviseDraft).
        await exec(reviser(), 'ReviseDraft', {
          documentId,
          mainRecipients: spec.main,
          ccRecipients: spec.cc,
          ...(extra.length === 0 && { remarks: '抄送范围已核对。' }),
        });
      } else await exec(reviser(), 'ReviseDraft', { documentId, remarks: '此件主动公开', signerNote: null });
    }

    yield later(r, urgency, urgency === '平件' ? 2 : 0.3, urgency === '平件' ? 20 : 3);
    const signOff = async () =>
      exec(as(one(issuer.unitId, 'LEADER', r)), 'SignOffDocument', { documentId, ...(r.chance(0.7) && { opinion: r.pick(T.signOffOpinions) }) });
    await signOff();
    if (!spec.steady && r.chance(0.03)) {
      path('signed off, never sealed');
      return;
    }
    if (r.chance(0.1)) {
      path('revised after sign-off');
      if (issuer.seal.usable) {
        // The keeper had reserved the number already: the revision voids that sign-off, and the
        // sealing after the new one gives the number back (DocumentNumberReleased) and takes one.
        yield { numberingTurn: issuer.unitId };
        await exec(as(one(issuer.unitId, 'SEAL_KEEPER', r)), 'PrepareSealing', { documentId, sealId: issuer.seal.sealId });
      }
      yield later(r, urgency, 0.5, 3);
      await exec(reviser(), 'ReviseDraft', { documentId, title: `${T.title(r, spec.docType)}（修订）` });
      yield later(r, urgency, 0.5, 4);
      await signOff();
    }

    yield later(r, urgency, 0.2, urgency === '平件' ? 6 : 1);
    let seal = issuer.seal;
    if (!seal.usable) {
      // The seal was revoked and its successor is not issued yet: the keeper's first attempt is refused.
      path('sealing refused: revoked seal');
      await refused('SEAL_NOT_USABLE', as(one(issuer.unitId, 'SEAL_KEEPER', r)), 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: seal.sealId });
      yield Math.max(seal.usableAgainAt ?? now(), now()) + r.between(0.5, 3) * HOUR;
      seal = issuer.seal;
    }
    // Numbers are taken in turns, so that they do not depend on which lane's commit came first.
    yield { numberingTurn: issuer.unitId };
    await exec(as(one(issuer.unitId, 'SEAL_KEEPER', r)), 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: seal.sealId });

    yield later(r, urgency, 0.1, urgency === '平件' ? 4 : 0.5);
    const sentAt = now();
    const sent = await exec(as(one(issuer.unitId, 'CLERK', r)), 'SendDocument', { documentId });
    tick(5);
    await deliver(sent.events.find((e) => e.type === 'DocumentSent')!);
    path(`sent ${urgency}`);

    if (!spec.steady && r.chance(0.04)) {
      path('recalled before receipt');
      yield sentAt + r.between(10, 50) * MINUTE;
      await exec(as(one(issuer.unitId, r.chance(0.5) ? 'CLERK' : 'LEADER', r)), 'RecallDocument', { documentId, reason: r.pick(T.recallReasons) });
      // One recipient's clerk comes to sign for it the next morning and finds it withdrawn.
      const late = r.pick(spec.main);
      currentLane().spawn(addOfficeHours(chinaTime(nextDay(chinaDay(now())), 8.5), r.between(0.2, 2)), lateClerkFlow(documentId, late, r.fork('late')));
      if (r.chance(0.6)) {
        yield addOfficeHours(now(), r.between(8, 60));
        await exec(as(one(issuer.unitId, r.chance(0.5) ? 'ARCHIVIST' : 'CLERK', r)), 'FileDocument', {
          documentId,
          retention: 'D10',
          fondsCode: issuer.fondsCode,
          organisationCode: issuer.organisationCode,
          remarks: '已撤回，留存备查',
        });
        path('filed after recall');
      }
      return;
    }
    for (const [kind, unitIds] of [['main', spec.main], ['cc', spec.cc]] as const) {
      for (const unitId of unitIds) {
        currentLane().fork(`-${unitId}`, sentAt, deliveryFlow(spec, unitId, kind, r.fork(`${kind}-${unitId}`)));
      }
    }

    if (r.chance(0.88)) {
      yield chinaTime(addWorkingDays(chinaDay(now()), r.int(3, 40)), r.between(9, 17));
      const retention = r.weighted(retentionWeights[spec.docType]);
      await exec(as(one(issuer.unitId, r.chance(0.6) ? 'ARCHIVIST' : 'CLERK', r)), 'FileDocument', {
        documentId,
        retention,
        fondsCode: issuer.fondsCode,
        organisationCode: issuer.organisationCode,
        pages: r.int(1, 24),
        ...(r.chance(0.1) && { remarks: '正本一份' }),
      });
      path(`filed at issuer ${retention}`);
    }
  }

  async function* lateClerkFlow(documentId: string, unitId: string, r: Random): Flow {
    await refused('INVALID_STATE', as(one(unitId, 'CLERK', r)), 'ReceiveDocument', { documentId, unitId });
  }

  /** One recipient's copy, from 签收 to 归档. */
  async function* deliveryFlow(spec: DocumentSpec, unitId: string, kind: 'main' | 'cc', r: Random): Flow {
    const { documentId, urgency } = spec;
    const key = { documentId, unitId };
    const unit = city.unit(unitId);
    const clerk = () => as(one(unitId, 'CLERK', r));
    const leaders = () => city.holders(unitId, 'LEADER').map((p) => p.userId);

    yield urgency === '特急' ? now() + r.between(5, 40) * MINUTE : later(r, urgency, urgency === '加急' ? 0.3 : 1, urgency === '加急' ? 3 : 14);
    if (r.chance(kind === 'main' ? 0.04 : 0.02)) {
      await exec(clerk(), 'ReturnDocument', { ...key, reason: r.pick(T.returnReasons) });
      path(`returned (${kind})`);
      return;
    }
    await exec(clerk(), 'ReceiveDocument', key);
    path(`received (${kind})`);

    if (r.chance(kind === 'main' ? 0.92 : 0.4)) {
      yield later(r, urgency, 0.1, 2);
      // Numbered by the document rather than by a running count: a count per unit would depend on
      // the order in which concurrent lanes register.
      await exec(clerk(), 'RegisterIncoming', {
        ...key,
        registerNo: `${unit.registerPrefix}〔${YEAR}〕${spec.serial}号`,
        ...(r.chance(0.2) && { note: '原件已存办公室' }),
      });
    }
    let accepted = true;
    if (kind === 'main' && r.chance(0.8)) {
      yield later(r, urgency, 0.1, 3);
      accepted = r.chance(0.93);
      await exec(r.chance(0.7) ? clerk() : as(r.pick(leaders())), 'ReviewIncoming', {
        ...key,
        accepted,
        opinion: r.pick(accepted ? T.reviewOpinions : T.rejectOpinions),
      });
      if (!accepted) path('review not accepted');
    }

    // 传阅: the leaders read it one after another, and a leader writes 批示.
    const readers = r.sample(leaders(), kind === 'main' ? r.int(1, 3) : r.int(0, 2));
    if (r.chance(0.2)) readers.push(one(unitId, 'CLERK', r));
    for (const reader of readers) {
      yield later(r, urgency, 0.2, urgency === '平件' ? 10 : 2);
      if (!city.person(reader).active) continue;
      await exec(as(reader), 'MarkDocumentRead', key);
      count(summary.paths, 'reads');
    }
    const handles = kind === 'main' && accepted && ['通知', '请示', '函', '意见', '决定'].includes(spec.docType) && r.chance(0.85);
    if (kind === 'main' && accepted && r.chance(0.45)) {
      yield later(r, urgency, 0.1, 2);
      await exec(as(r.pick(leaders())), 'GiveInstruction', { ...key, kind: '拟办意见', text: r.pick(T.proposedHandling) });
    }
    if (handles && r.chance(0.75)) {
      yield later(r, urgency, 0.1, 4);
      await exec(as(r.pick(leaders())), 'GiveInstruction', { ...key, kind: '批示', text: r.pick(T.instructions) });
    }

    if (handles) {
      yield* handling(spec, unitId, r);
    }

    if (kind === 'main' && ['请示', '函'].includes(spec.docType) && accepted && !spec.replyTo && r.chance(0.7)) {
      yield later(r, urgency, 0.5, 16);
      let replyDocumentId: string | undefined;
      if (r.chance(0.35)) {
        // A 复函 of its own: drafted now (so it exists when the reply names it) and sent later.
        replyDocumentId = currentLane().nextId('reply');
        summary.replyDocuments++;
        path('reply as a document');
        const replySpec: DocumentSpec = {
          documentId: replyDocumentId,
          issuer: unit,
          docType: spec.docType === '请示' ? '批复' : '函',
          urgency,
          main: [spec.issuer.unitId],
          cc: [],
          replyTo: spec.issuer.unitId,
          steady: true,
          serial: spec.serial,
        };
        // Its first step (the draft) now, so that the document exists when the reply names it.
        const flow = documentFlow(replySpec, r.fork(`reply-${replyDocumentId}`));
        const first = await flow.next();
        if (!first.done) currentLane().spawn(first.value as number, flow);
        tick(300);
      }
      await exec(r.chance(0.8) ? clerk() : as(r.pick(leaders())), 'SendReply', {
        ...key,
        text: r.pick(T.replyTexts),
        ...(replyDocumentId !== undefined && { replyDocumentId }),
      });
      path('replied');
    }

    if (r.chance(kind === 'main' ? 0.85 : 0.75)) {
      yield chinaTime(addWorkingDays(chinaDay(now()), r.int(1, 30)), r.between(9, 17));
      const retention = r.weighted(retentionWeights[spec.docType]);
      await exec(as(one(unitId, r.chance(0.6) ? 'ARCHIVIST' : 'CLERK', r)), 'FileIncoming', {
        ...key,
        retention,
        organisationCode: unit.organisationCode,
        ...(r.chance(0.1) && { remarks: '收文原件归档' }),
      });
      path(`filed incoming ${retention}`);
    }
  }

  /** 承办 → (催办, 督办) → 办结, on time or late. */
  async function* handling(spec: DocumentSpec, unitId: string, r: Random): Flow {
    const { documentId, urgency } = spec;
    const key = { documentId, unitId };
    const assign = async () => {
      const toPerson = r.chance(0.6) && city.holders(unitId, 'STAFF').length > 0;
      const assignee = toPerson ? r.pick(city.holders(unitId, 'STAFF')).userId : undefined;
      let dueDate: string;
      let dueAt: number;
      if (urgency === '特急') {
        dueAt = addOfficeHours(now(), r.int(4, 9));
        dueDate = new Date(dueAt).toISOString();
      } else {
        const day = addWorkingDays(chinaDay(now()), urgency === '加急' ? r.int(2, 4) : r.int(5, 15));
        dueDate = day;
        dueAt = chinaTime(day, 24);
      }
      await exec(r.chance(0.6) ? as(one(unitId, 'LEADER', r)) : as(one(unitId, 'CLERK', r)), 'AssignHandling', {
        ...key,
        ...(assignee !== undefined ? { assigneeUserId: assignee } : { assigneeDepartment: r.pick(T.departments) }),
        dueDate,
        ...(r.chance(0.3) && { note: '请按期办结并反馈' }),
      });
      return { assignee, dueAt };
    };

    yield later(r, urgency, 0.2, 4);
    let { assignee, dueAt } = await assign();
    path(assignee ? 'assigned to a person' : 'assigned to a department');
    if (r.chance(0.05)) {
      yield later(r, urgency, 1, 8);
      ({ assignee, dueAt } = await assign());
      path('reassigned');
    }

    const late = r.chance(0.15);
    const remaining = dueAt - now();
    if (late) {
      yield Math.max(now() + HOUR, dueAt - Math.min(DAY, remaining / 3));
      await exec(as(one(unitId, 'CLERK', r)), 'UrgeHandling', { ...key, level: '催办', message: r.pick(T.urgeMessages.催办) });
      path('urged 催办');
      yield urgency === '特急' ? dueAt + r.between(1, 6) * HOUR : chinaTime(addWorkingDays(chinaDay(dueAt), r.int(1, 2)), r.between(9, 11));
      await exec(as(one(unitId, 'LEADER', r)), 'UrgeHandling', { ...key, level: '督办', message: r.pick(T.urgeMessages.督办) });
      path('urged 督办');
      yield urgency === '特急' ? now() + r.between(2, 20) * HOUR : chinaTime(addWorkingDays(chinaDay(now()), r.int(1, 5)), r.between(9, 17));
    } else {
      if (r.chance(0.2)) {
        yield now() + remaining * r.between(0.3, 0.6);
        await exec(as(one(unitId, 'CLERK', r)), 'UrgeHandling', { ...key, level: '催办', message: r.pick(T.urgeMessages.催办) });
        path('urged 催办');
      }
      yield Math.min(dueAt - 10 * MINUTE, now() + Math.max(10 * MINUTE, (dueAt - now()) * r.between(0.2, 0.9)));
    }
    const completer = assignee && city.person(assignee).active ? as(assignee) : as(one(unitId, 'CLERK', r));
    await exec(completer, 'CompleteHandling', { ...key, result: r.pick(T.completionResults) });
    path(now() > dueAt ? 'completed late' : 'completed on time');
  }

  /** The administrators' year: seals, a rename, roles, credentials, a departure. */
  async function* directoryFlow(r: Random): Flow {
    const credentials: { userId: string; credentialId: string }[] = [];
    const issueCredentials = async (users: string[], round: number) => {
      for (const userId of users) {
        const credentialId = `${userId}-tok${round}`;
        // A user issues their own token with one they hold (bound to it, 30 days at most).
        const own = credentials.find((c) => c.userId === userId);
        const self = r.chance(0.5) && own !== undefined;
        const withExpiry = r.chance(0.5);
        await exec(self ? as(userId) : admin, 'IssueCredential', {
          userId,
          credentialId,
          tokenHash: sm3Hex(`${idPrefix}/${credentialId}`),
          label: self ? '移动办公客户端' : '办公电脑',
          ...(self ? { issuedWith: own!.credentialId } : withExpiry && { expiresAt: `${YEAR + 1}-06-30T16:00:00.000Z` }),
        });
        credentials.push({ userId, credentialId });
        tick(30);
      }
    };
    const at = (day: string, hours: number) => chinaTime(day, hours);
    const people = () => [...city.people.values()].filter((p) => p.active && p.userId !== 'admin').map((p) => p.userId);

    // 手机号码 for the supervision's reminders (短信): entered by the administrator for every clerk
    // and leader, one changed later in the year.
    yield at(`${YEAR}-01-06`, 10);
    const mobileOf = () => `139${String(r.int(0, 99_999_999)).padStart(8, '0')}`;
    for (const userId of people().filter((u) => city.person(u).roles.has('CLERK') || city.person(u).roles.has('LEADER'))) {
      await exec(admin, 'SetUserMobile', { userId, mobile: mobileOf() });
      tick(40);
    }

    yield at(`${YEAR}-02-10`, 9.2);
    await issueCredentials(r.sample(people(), 12), 1);

    yield at(`${YEAR}-03-03`, 10);
    await exec(admin, 'GrantRole', { userId: 'edu-staff1', role: 'CLERK' });
    city.person('edu-staff1').roles.add('CLERK');
    tick(120);
    await exec(as('jt-admin'), 'GrantRole', { userId: 'jt-staff2', role: 'CLERK' });
    city.person('jt-staff2').roles.add('CLERK');

    yield at(`${YEAR}-04-14`, 9);
    await exec(admin, 'SetUserMobile', { userId: 'fin-clerk', mobile: mobileOf() });

    yield at(`${YEAR}-04-15`, 15);
    await exec(admin, 'ReplaceSeal', {
      sealId: 'edu-seal',
      newSealId: 'edu-seal-2025',
      reason: '印章磨损，按规定更换',
      newSeal: { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, name: '阜阳市教育局', sealType: '单位公章', validFrom: clock.now().toISOString(), validTo, keeperUserIds: ['edu-keeper'] },
    });
    city.unit('edu').seal = { sealId: 'edu-seal-2025', usable: true };

    yield at(`${YEAR}-05-20`, 11);
    for (const c of r.sample(credentials, 3)) {
      await exec(admin, 'RevokeCredential', { userId: c.userId, credentialId: c.credentialId, reason: '设备遗失' });
      credentials.splice(credentials.indexOf(c), 1);
      tick(40);
    }

    yield at(`${YEAR}-06-16`, 9);
    await exec(admin, 'GrantRole', { userId: 'hlth-staff1', role: 'LEADER' });
    city.person('hlth-staff1').roles.add('LEADER');

    yield at(`${YEAR}-07-01`, 9);
    await exec(admin, 'RenameUnit', { unitId: 'jt', name: '阜阳市交通运输局', shortName: '市交通运输局' });
    city.unit('jt').name = '阜阳市交通运输局';

    // 印章遗失: revoked at once; the successor is made two days later, and sealing waits for it.
    const reissueAt = at(addWorkingDays(`${YEAR}-08-14`, 0), 15);
    yield at(`${YEAR}-08-12`, 10);
    await exec(admin, 'RevokeSeal', { sealId: 'fin-seal', reason: '印章遗失，立即注销' });
    city.unit('fin').seal = { sealId: 'fin-seal', usable: false, usableAgainAt: reissueAt };
    yield reissueAt;
    await exec(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: 'Chushi-mima-2025',
      sealId: 'fin-seal-2025',
      unitId: 'fin',
      name: '阜阳市财政局',
      sealType: '单位公章',
      validFrom: clock.now().toISOString(),
      validTo,
      keeperUserIds: ['fin-keeper'],
    });
    // The keeper replaces the initial passphrase handed over with the seal by their own.
    tick(30);
    await exec(as('fin-keeper'), 'ChangeSealPassphrase', { sealId: 'fin-seal-2025', oldPassphrase: 'Chushi-mima-2025', newPassphrase: SEAL_PASSPHRASE });
    city.unit('fin').seal = { sealId: 'fin-seal-2025', usable: true };

    yield at(`${YEAR}-09-01`, 9);
    await exec(admin, 'RevokeRole', { userId: 'hlth-staff1', role: 'LEADER' });
    city.person('hlth-staff1').roles.delete('LEADER');

    yield at(`${YEAR}-09-15`, 9.5);
    await exec(admin, 'RevokeRole', { userId: 'edu-staff1', role: 'CLERK' });
    city.person('edu-staff1').roles.delete('CLERK');
    tick(60);
    await exec(as('jt-admin'), 'RevokeRole', { userId: 'jt-staff2', role: 'CLERK' });
    city.person('jt-staff2').roles.delete('CLERK');

    yield at(`${YEAR}-10-20`, 10);
    await exec(admin, 'DestroySeal', { sealId: 'edu-seal', reason: '已更换的旧印章按规定销毁' });

    yield at(`${YEAR}-11-10`, 16);
    await exec(admin, 'DeactivateUser', { userId: 'yz-staff2', reason: '工作调动，调离本单位' });
    city.person('yz-staff2').active = false;

    yield at(`${YEAR}-12-01`, 9);
    await issueCredentials(r.sample(people(), 6), 2);
    yield at(`${YEAR}-12-15`, 14);
    for (const c of r.sample(credentials.filter((c) => city.person(c.userId).active), 2)) {
      await exec(admin, 'RevokeCredential', { userId: c.userId, credentialId: c.credentialId });
    }
  }

  // ---- the year -------------------------------------------------------------------------------

  const days = workingDaysOf(YEAR).filter((d) => d >= `${YEAR}-01-02` && d <= `${YEAR}-12-24`);
  const plan = rng.fork('plan');
  for (let i = 0; i < documents; i++) {
    const r = rng.fork(`document-${i}`);
    const day = days[Math.min(days.length - 1, Math.floor(((i + plan.next()) / documents) * days.length))]!;
    const issuer = city.unit(r.weighted({ 'city-office': 6, edu: 3, fin: 3, hlth: 3, yz: 3, jt: 2 }));
    const urgency = r.weighted({ 特急: 1, 加急: 2, 平件: 7 });
    const start = urgency === '特急' && r.chance(0.2) ? chinaTime(nextDay(day, r.int(0, 1)), r.between(18, 22)) : chinaTime(day, r.between(8.6, 17));
    const lane = scheduler.lane(`${idPrefix}-d${i + 1}`);
    const spec: DocumentSpec = {
      documentId: lane.key,
      serial: i + 1,
      issuer,
      docType: r.weighted(T.docTypeWeights),
      urgency,
      ...recipientsFor(r, issuer.unitId),
    };
    lane.spawn(start, documentFlow(spec, r));
  }
  {
    // Whatever the seed, one document of the finance bureau reaches its sealing while the bureau's
    // lost seal is revoked and its successor not yet made.
    const lane = scheduler.lane(`${idPrefix}-lost-seal`);
    const r = rng.fork('lost-seal');
    const spec: DocumentSpec = { documentId: lane.key, serial: documents + 1, issuer: city.unit('fin'), docType: '通知', urgency: '特急', main: ['city-office'], cc: ['edu'], steady: true };
    lane.spawn(chinaTime(`${YEAR}-08-12`, 10.5), documentFlow(spec, r));
  }

  // 登录: every working morning the clerks sign in (a few, now and then, do not), as their first
  // request of the day would record it; a lane of its own (sign-in streams are no lane's but this).
  scheduler.lane(`${idPrefix}-signin`).spawn(chinaTime(`${YEAR}-01-02`, 8.6), signInFlow(rng.fork('sign-in')));
  async function* signInFlow(r: Random): Flow {
    for (const day of workingDaysOf(YEAR).filter((d) => d >= `${YEAR}-01-02`)) {
      yield chinaTime(day, r.between(8.55, 8.7));
      for (const p of [...city.people.values()].filter((p) => p.active && p.roles.has('CLERK'))) {
        if (r.chance(0.04)) continue;
        await ledger.signIns.record(as(p.userId) as Extract<Principal, { kind: 'user' }>, clock.now());
        tick(r.between(20, 900));
      }
    }
  }

  // 电子监察: between windows (no lane running, so what the read model shows depends on the seed
  // alone) the supervision jobs run as `gongwen serve` runs them: the deadline scan (warnings,
  // clearings, escalations to 催办/督办), the daily check of every working day closed since, and
  // a unit leader pausing a handling clock with a reason and resuming it a week later.
  const supervisionLane = new Lane(`${idPrefix}-sup`);
  const jobDeps = { store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never;
  const dailyCheckDays = workingDaysOf(YEAR).filter((d) => d >= `${YEAR}-01-02`);
  let paused: { documentId: string; unitId: string; leader: string } | null = null;
  const supervise = (end: number) =>
    clock.run(supervisionLane, Math.max(end, supervisionLane.now), async () => {
      await ledger.store.awaitVisible();
      await ledger.projections.catchUp(['directory', 'supervision']);
      await scanDeadlines(jobDeps);
      await ledger.store.awaitVisible();
      await ledger.projections.catchUp(['supervision']);
      while (dailyCheckDays.length > 0 && chinaTime(dailyCheckDays[0]!, 17.75) <= now()) await recordDailyCheck(jobDeps, dailyCheckDays.shift()!);
      if (paused) {
        const { documentId, unitId, leader } = paused;
        paused = null;
        try {
          await ledger.commands.execute(as(leader), 'ResumeSupervisionClock', { commandId: nextCommandId(), documentId, unitId, clock: 'handle', note: '上级批复已到，恢复计时' });
          path('supervision clock paused and resumed');
        } catch (error) {
          // Handled meanwhile: the clock stopped, nothing to resume (the next week pauses another).
          if (!(error instanceof Refusal && error.code === 'INVALID_STATE')) throw error;
          count(summary.expectedRefusals, error.code);
        }
      } else if (now() >= chinaTime(`${YEAR}-03-01`, 0) && !summary.paths['supervision clock paused and resumed']) {
        const { rows } = await ledger.db.pool.query<{ document_id: string; unit_id: string }>(
          `SELECT document_id, unit_id FROM supervision_deliveries
            WHERE handle_due_at > $1 AND NOT handle_paused AND completed_at IS NULL AND filed_at IS NULL AND withdrawn_at IS NULL AND received_at IS NOT NULL
            ORDER BY handle_due_at DESC, document_id, unit_id LIMIT 1`,
          [clock.now()],
        );
        const row = rows[0];
        const leader = row && city.holders(row.unit_id, 'LEADER')[0]?.userId;
        if (row && leader) {
          await exec(as(leader), 'PauseSupervisionClock', { documentId: row.document_id, unitId: row.unit_id, clock: 'handle', reason: '需待上级主管部门批复后方可办理' });
          paused = { documentId: row.document_id, unitId: row.unit_id, leader };
        }
      }
    });

  // Windows: every lane runs up to the next directory change or the next Monday, whichever comes
  // first; then the supervision jobs and the directory change, with no lane running.
  const directory = new Lane(`${idPrefix}-dir`);
  directory.spawn(chinaTime(`${YEAR}-01-02`, 9), directoryFlow(rng.fork('directory')));
  for (;;) {
    const dirAt = directory.agenda.peekAt();
    const lanesAt = scheduler.nextAt();
    if (Math.min(dirAt, lanesAt) > YEAR_END) break; // what is left stays open at the end of the year
    const end = Math.min(dirAt, nextMonday(lanesAt), YEAR_END + 1);
    await scheduler.runUntil(end);
    await supervise(end);
    if (dirAt === end) {
      const { at, item } = directory.agenda.pop()!;
      const next = await clock.run(directory, Math.max(at, directory.now), () => item.next());
      if (!next.done) directory.spawn(next.value as number, item);
    }
  }
  clock.set(YEAR_END);

  await settleReactors();
  // 版式文件: the rendering recorder (started by `gongwen serve`, not run by settle) records the
  // renderings of the year's first two sealings, so the year holds DocumentRendered as well
  // without spending a rendering on every document.
  const { rows: sealings } = await ledger.db.pool.query<{ stream_id: string; revision: number }>(
    `SELECT stream_id, revision FROM events WHERE type = 'DocumentSealed' ORDER BY global_position LIMIT 2`,
  );
  for (const s of sealings) {
    const sealed = (await ledger.store.readStream(s.stream_id)).events.find((e) => e.revision === s.revision)!;
    await ledger.renderings.reactor.handle(sealed);
  }

  // 档案, early in the next year: the archivist of the fonds with the most filed items gives one
  // item a title of their own and moves it to the front, then closes the year's dossier (its 档号
  // frozen); an export under the default profile is written (DossierExported) and one under the
  // county bureau's profile fails, as it must: that profile wants DA/T 13-2022 codes, and the
  // dossier was closed under DA/T 22-2015 (DossierExportFailed).
  await ledger.settle(); // closing reads the filed items from the catalogue
  storedBytes.push(...preimages.splice(0));
  await storeAttachments();
  await clock.run(new Lane(`${idPrefix}-archive`), chinaTime(`${YEAR + 1}-01-12`, 9.5), async () => {
    const { rows: candidates } = await ledger.db.pool.query<{ fonds_key: string; unit_id: string }>(
      `SELECT fonds_key, unit_id FROM catalogue_items WHERE year = $1 AND side = 'sent' AND NOT recalled
        GROUP BY fonds_key, unit_id ORDER BY count(*) DESC, fonds_key, unit_id`,
      [YEAR],
    );
    const chosen = candidates.find((c) => city.holders(c.unit_id, 'ARCHIVIST').length > 0);
    if (!chosen) throw new Error('city year: no unit with filed items has an archivist');
    const r = rng.fork('archive');
    const archivist = as(one(chosen.unit_id, 'ARCHIVIST', r));
    const key = { fonds: chosen.fonds_key, year: YEAR };
    const { rows: last } = await ledger.db.pool.query<{ document_id: string; unit_id: string; title: string }>(
      `SELECT document_id, unit_id, title FROM catalogue_items WHERE fonds_key = $1 AND year = $2 ORDER BY filed_at DESC, document_id LIMIT 1`,
      [chosen.fonds_key, YEAR],
    );
    const item = last[0]!;
    await exec(archivist, 'ArrangeDossierItem', { ...key, documentId: item.document_id, unitId: item.unit_id, archivistTitle: `${item.title.slice(0, 60)}（整理）`, position: 1, remarks: '整理时调整排列' });
    tick(600);
    await exec(archivist, 'CloseDossier', key);
    for (const profile of ['default', 'county-bureau']) {
      tick(60);
      summary.commands++;
      count(summary.commandsByType, 'RequestDossierExport');
      const requested = await ledger.exports.request(archivist, { commandId: nextCommandId(), ...key, profile, exportId: `${idPrefix}-export-${profile}` });
      await ledger.exports.run(requested.exportId);
    }
  });
  const { rows } = await ledger.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return {
    seed,
    documents,
    replyDocuments: summary.replyDocuments,
    commands: summary.commands,
    commandsByType: summary.commandsByType,
    expectedRefusals: summary.expectedRefusals,
    paths: summary.paths,
    events: rows[0]!.n,
    directory: city,
  };
}

/** Paths every generated year of ~100 documents or more walks (see lifecycleGaps). */
export const lifecyclePaths = [
  'revised before sign-off',
  'revised after sign-off',
  'sent 特急',
  'sent 加急',
  'sent 平件',
  'received (main)',
  'received (cc)',
  'returned (main)',
  'recalled before receipt',
  'assigned to a person',
  'assigned to a department',
  'urged 催办',
  'urged 督办',
  'completed on time',
  'completed late',
  'replied',
  'reply as a document',
  'filed at issuer Y',
  'filed at issuer D30',
  'filed at issuer D10',
  'filed incoming Y',
  'filed incoming D30',
  'filed incoming D10',
  'sealing refused: revoked seal',
  'supervision clock paused and resumed',
] as const;

/**
 * Event types a year never produces: only a recall racing a receipt reinstates a delivery, no
 * unit is wound up in this city, and AddDocNumberPrefix has no role in the authorisation matrix
 * (src/app/authorization.ts), so nobody can issue it.
 */
export const typesNeverGenerated: ReadonlySet<string> = new Set([
  'DeliveryReinstated',
  'UnitDeactivated',
  'DocNumberPrefixAdded',
]);

/** What a generated year failed to cover: paths not taken and event types not produced. */
export function lifecycleGaps(summary: CityYearSummary, eventTypes: Iterable<string>, allTypes: Iterable<string>): string[] {
  const seen = new Set(eventTypes);
  return [
    ...lifecyclePaths.filter((p) => !(summary.paths[p] ?? 0)).map((p) => `path: ${p}`),
    ...[...allTypes].filter((t) => !typesNeverGenerated.has(t) && !seen.has(t)).map((t) => `event type: ${t}`),
    ...['GrantRole', 'RevokeRole', 'IssueCredential', 'RevokeCredential', 'RenameUnit', 'ReplaceSeal', 'RevokeSeal', 'DestroySeal', 'DeactivateUser']
      .filter((c) => !(summary.commandsByType[c] ?? 0))
      .map((c) => `command: ${c}`),
  ];
}
