import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { Roles, type Role } from '../../schemas/common.ts';
import { newToken } from '../../src/api/api-commands.ts';
import { commandRoles, type Principal } from '../../src/app/authorization.ts';
import { yearOf } from '../../src/domain/numbering/index.ts';
import { streams } from '../../src/domain/streams.ts';
import { reviewDelivery } from '../../src/supervision/review.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity, SYSTEM } from '../support/ledger.ts';
import { apiInput, startApi, type GraphqlResponse } from '../support/http.ts';
import { walkBothWays, type RelayPage } from '../support/relay-walk.ts';

/**
 * The authorisation matrix as an executable specification: every role against every mutation the
 * API exposes, over HTTP, with the expected outcome read from `commandRoles`. An allowed role is
 * given a fixture on which the command succeeds (so an over-eager unit rule shows up as a failure
 * too); a refused role gets NOT_AUTHORISED on the very same kind of fixture, nothing is appended,
 * and the refusal is in the security log.
 */

type Input = Record<string, unknown>;

/** The mutations of the generated SDL, each with the command it runs. */
function sdlMutations(): { name: string; commandType: string }[] {
  const sdl = readFileSync(new URL('../../schemas/graphql/commands.graphql', import.meta.url), 'utf8');
  const mutation = parse(sdl).definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Mutation');
  assert.ok(mutation?.fields?.length, 'commands.graphql defines no Mutation type');
  return mutation.fields.map((f) => ({ name: f.name.value, commandType: f.name.value[0]!.toUpperCase() + f.name.value.slice(1) }));
}

const roleRule = (commandType: string): readonly Role[] | undefined => (commandRoles as Record<string, readonly Role[]>)[commandType];

/** Where each role's test user works: the city-wide roles in the city office, the others in a department. */
const HOME: Record<Role, string> = {
  SUPER_ADMIN: 'city-office',
  INSPECTOR: 'city-office',
  ARCHIVIST: 'city-office',
  UNIT_ADMIN: 'edu',
  SEAL_KEEPER: 'edu',
  CLERK: 'edu',
  LEADER: 'edu',
  STAFF: 'edu',
};
const matrixUser = (role: Role) => `mx-${role.toLowerCase().replace('_', '-')}`;
const PREFIX: Record<string, string> = { 'city-office': '阜政办', edu: '阜教', fin: '阜财', hlth: '阜卫' };
/** The seal a matrix user seals with: in edu one whose keeper is the matrix SEAL_KEEPER. */
const MATRIX_SEAL: Record<string, string> = { 'city-office': 'city-office-seal', edu: 'mx-edu-seal' };
const VALID = { validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-12-31T00:00:00.000Z' };

/** What one matrix cell runs: the mutation's input, the streams it writes, the events a success appends. */
interface Case {
  input: Input;
  streams: string[];
  expect: string[];
}

describe('authorisation matrix: every role × every mutation over GraphQL on HTTP', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const api = await startApi(ledger);
  after(() => api.close());
  const { mutate } = api;
  const { admin } = city;
  const run = (p: Principal, type: string, input: Input) => city.run(p, type, input);

  for (const role of Roles) {
    await run(admin, 'RegisterUser', { userId: matrixUser(role), unitId: HOME[role], name: `矩阵${role}`, roles: [role] });
  }
  await run(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, sealId: 'mx-edu-seal', unitId: 'edu', name: '阜阳市教育局', sealType: '公文专用章', ...VALID, keeperUserIds: [matrixUser('SEAL_KEEPER')] });

  let serial = 0;
  const fresh = (kind: string) => `mx-${kind}-${++serial}`;
  const people = (unitId: string) => city.people(unitId);

  // ---- fixtures, prepared through the command service by the units' own seeded staff ----

  type Stage = 'drafted' | 'signedOff' | 'sealed' | 'sent';
  const stages: Stage[] = ['drafted', 'signedOff', 'sealed', 'sent'];

  /** A document of `issuer` addressed to `recipients`, taken as far as `stage`; sent ones are delivered. */
  async function documentOf(issuer: string, recipients: string[], stage: Stage): Promise<string> {
    const id = fresh('doc');
    const { clerk, leader, keeper } = people(issuer);
    await run(clerk, 'DraftDocument', draftInput(id, { mainRecipients: recipients, ccRecipients: [], docNumberPrefix: PREFIX[issuer] }));
    const upTo = stages.indexOf(stage);
    if (upTo >= 1) await run(leader, 'SignOffDocument', { documentId: id, opinion: '同意' });
    if (upTo >= 2) await run(keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: id, sealId: `${issuer}-seal` });
    if (upTo >= 3) {
      await run(clerk, 'SendDocument', { documentId: id });
      await dispatch();
    }
    return id;
  }

  /**
   * Lets the delivery process manager deliver what was sent. Only the process managers: this file
   * reads no projection, so it neither waits for them nor depends on them.
   */
  async function dispatch(): Promise<void> {
    await ledger.store.awaitVisible();
    for (let handled = 1; handled > 0; ) {
      handled = 0;
      for (const r of ledger.reactors) handled += await r.catchUp();
    }
  }

  /** A document another unit (hlth) sent to `unitId`, as far along at the recipient as asked. */
  async function incoming(unitId: string, stage: 'delivered' | 'received' | 'assigned'): Promise<{ documentId: string; unitId: string }> {
    const documentId = await documentOf('hlth', [unitId], 'sent');
    const { clerk, leader } = people(unitId);
    if (stage !== 'delivered') await run(clerk, 'ReceiveDocument', { documentId, unitId });
    if (stage === 'assigned') await run(leader, 'AssignHandling', { documentId, unitId, assigneeUserId: `${unitId}-clerk`, dueDate: '2099-12-01' });
    return { documentId, unitId };
  }

  /** An assigned delivery to `unitId` whose handling deadline the supervision job has set. */
  async function supervised(unitId: string): Promise<{ documentId: string; unitId: string }> {
    const k = await incoming(unitId, 'assigned');
    await reviewDelivery({ store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: () => new Date() } as never, k.documentId, k.unitId);
    return k;
  }

  async function sealOf(unitId: string): Promise<string> {
    const sealId = fresh('seal');
    await run(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, sealId, unitId, name: '试点业务专用章', sealType: '业务专用章', ...VALID });
    return sealId;
  }

  async function unit(): Promise<string> {
    const unitId = fresh('unit');
    await run(admin, 'RegisterUnit', { unitId, name: `阜阳市试点单位${serial}`, kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: [`阜试${serial}`] });
    return unitId;
  }

  /** A user the acting administrator may manage: same unit, no reserved role. */
  async function member(unitId: string, roles: Role[] = ['STAFF']): Promise<string> {
    const userId = fresh('user');
    await run(admin, 'RegisterUser', { userId, unitId, name: '钱科员', roles });
    return userId;
  }

  const doc = (id: string) => streams.document(id);
  const delivery = (k: { documentId: string; unitId: string }) => streams.delivery(k.documentId, k.unitId);
  const receiving = async (u: string, stage: 'delivered' | 'received' | 'assigned', input: Input, expect: string): Promise<Case> => {
    const k = await incoming(u, stage);
    return { input: { ...k, ...input }, streams: [delivery(k)], expect: [expect] };
  };

  /**
   * A document of `u` filed into its fonds this year and seen by the catalogue: the dossier
   * commands decide on the year's filed items. A refused role changes nothing, so any fixture works.
   */
  const dossierYear = yearOf(new Date().toISOString(), ledger.config.GONGWEN_TIMEZONE);
  const fondsOf = (u: string) => (u === 'city-office' ? '0001' : `unit:${u}`);
  async function filedOf(u: string): Promise<string> {
    const id = await documentOf(u, ['fin'], 'sent');
    await run(people(u).clerk, 'FileDocument', { documentId: id, retention: 'D30' });
    await ledger.settle();
    return id;
  }
  const dossier = (u: string) => streams.dossier(fondsOf(u), dossierYear);

  /** For each command: the fixture of a case for an actor of unit `u`. */
  const fixtures: Record<string, (u: string) => Promise<Case>> = {
    async DraftDocument(u) {
      const id = fresh('doc');
      return { input: draftInput(id, { mainRecipients: ['fin'], ccRecipients: [], docNumberPrefix: PREFIX[u] }), streams: [doc(id)], expect: ['DocumentDrafted'] };
    },
    async ReviseDraft(u) {
      const id = await documentOf(u, ['fin'], 'drafted');
      return { input: { documentId: id, title: '关于做好2026年电子公文交换工作的通知（修改稿）' }, streams: [doc(id)], expect: ['DraftRevised'] };
    },
    async SignOffDocument(u) {
      const id = await documentOf(u, ['fin'], 'drafted');
      return { input: { documentId: id, opinion: '同意印发' }, streams: [doc(id)], expect: ['DocumentSignedOff'] };
    },
    async SealDocument(u) {
      const id = await documentOf(u, ['fin'], 'signedOff');
      const numbering = streams.numbering(u, PREFIX[u]!, yearOf(new Date().toISOString(), ledger.config.GONGWEN_TIMEZONE));
      return {
        input: { documentId: id, sealId: MATRIX_SEAL[u], passphrase: SEAL_PASSPHRASE },
        streams: [doc(id), numbering],
        expect: ['DocumentNumberReserved', 'DocumentNumbered', 'DocumentSealed'],
      };
    },
    async PrepareSealing(u) {
      const id = await documentOf(u, ['fin'], 'signedOff');
      const numbering = streams.numbering(u, PREFIX[u]!, yearOf(new Date().toISOString(), ledger.config.GONGWEN_TIMEZONE));
      return { input: { documentId: id, sealId: MATRIX_SEAL[u] }, streams: [numbering], expect: ['DocumentNumberReserved'] };
    },
    async SendDocument(u) {
      const id = await documentOf(u, ['fin'], 'sealed');
      return { input: { documentId: id }, streams: [doc(id)], expect: ['DocumentSent'] };
    },
    async RecallDocument(u) {
      const id = await documentOf(u, ['fin'], 'sent');
      return { input: { documentId: id, reason: '主送单位有误，撤回重发' }, streams: [doc(id), streams.delivery(id, 'fin')], expect: ['DeliveryWithdrawn', 'DocumentRecalled'] };
    },
    async FileDocument(u) {
      const id = await documentOf(u, ['fin'], 'sent');
      return { input: { documentId: id, retention: 'Y' }, streams: [doc(id)], expect: ['DocumentFiled'] };
    },
    ReceiveDocument: (u) => receiving(u, 'delivered', {}, 'DocumentReceived'),
    ReturnDocument: (u) => receiving(u, 'delivered', { reason: '非本单位业务，误送' }, 'DocumentReturned'),
    RegisterIncoming: (u) => receiving(u, 'received', { registerNo: '收-001' }, 'IncomingRegistered'),
    ReviewIncoming: (u) => receiving(u, 'received', { accepted: true, opinion: '请领导阅示' }, 'IncomingReviewed'),
    MarkDocumentRead: (u) => receiving(u, 'received', {}, 'DocumentRead'),
    GiveInstruction: (u) => receiving(u, 'received', { kind: '批示', text: '请抓紧办理。' }, 'InstructionGiven'),
    AssignHandling: (u) => receiving(u, 'received', { assigneeUserId: `${u}-clerk`, dueDate: '2099-12-01' }, 'HandlingAssigned'),
    UrgeHandling: (u) => receiving(u, 'assigned', { level: '催办', message: '请于本周内办结。' }, 'HandlingUrged'),
    CompleteHandling: (u) => receiving(u, 'assigned', { result: '已按要求办结' }, 'HandlingCompleted'),
    SendReply: (u) => receiving(u, 'received', { text: '已收悉，正在落实。' }, 'ReplySent'),
    FileIncoming: (u) => receiving(u, 'received', { retention: 'D30' }, 'IncomingFiled'),
    async ArrangeDossierItem(u) {
      const id = await filedOf(u);
      return { input: { fonds: fondsOf(u), year: dossierYear, documentId: id, unitId: u, pages: 2 }, streams: [dossier(u)], expect: ['DossierItemArranged'] };
    },
    async CloseDossier(u) {
      await filedOf(u);
      return { input: { fonds: fondsOf(u), year: dossierYear }, streams: [dossier(u)], expect: ['DossierClosed'] };
    },
    async RequestDossierExport(u) {
      await filedOf(u);
      await run(SYSTEM, 'CloseDossier', { fonds: fondsOf(u), year: dossierYear });
      return { input: { fonds: fondsOf(u), year: dossierYear, exportId: fresh('export'), profile: 'default' }, streams: [dossier(u)], expect: ['DossierExportRequested'] };
    },
    async IssueSeal(u) {
      const sealId = fresh('seal');
      return {
        input: { sealId, unitId: u, name: '阜阳市试点印章', sealType: '公文专用章', keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, ...VALID },
        streams: [streams.seal(sealId)],
        expect: ['SealIssued'],
      };
    },
    async ChangeSealPassphrase(u) {
      const sealId = await sealOf(u);
      return { input: { sealId, oldPassphrase: SEAL_PASSPHRASE, newPassphrase: 'Xin-mima-2027' }, streams: [streams.seal(sealId)], expect: ['SealPassphraseChanged'] };
    },
    async ReplaceSeal(u) {
      const sealId = await sealOf(u);
      const newSealId = fresh('seal');
      return {
        input: { sealId, newSealId, reason: '印章磨损，予以更换', newSeal: { name: '阜阳市试点印章', sealType: '业务专用章', keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, ...VALID } },
        streams: [streams.seal(sealId), streams.seal(newSealId)],
        expect: ['SealReplaced', 'SealIssued'],
      };
    },
    async RevokeSeal(u) {
      const sealId = await sealOf(u);
      return { input: { sealId, reason: '机构调整，印章注销' }, streams: [streams.seal(sealId)], expect: ['SealRevoked'] };
    },
    async DestroySeal(u) {
      const sealId = await sealOf(u);
      return { input: { sealId, reason: '印章遗失，予以销毁' }, streams: [streams.seal(sealId)], expect: ['SealDestroyed'] };
    },
    async RegisterUnit() {
      const unitId = fresh('unit');
      return {
        input: { unitId, name: `阜阳市新设单位${serial}`, kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: [`阜新${serial}`] },
        streams: [streams.unit(unitId)],
        expect: ['UnitRegistered'],
      };
    },
    async RenameUnit() {
      const unitId = await unit();
      return { input: { unitId, name: `阜阳市更名单位${serial}` }, streams: [streams.unit(unitId)], expect: ['UnitRenamed'] };
    },
    async DeactivateUnit() {
      const unitId = await unit();
      return { input: { unitId, reason: '机构改革撤并' }, streams: [streams.unit(unitId)], expect: ['UnitDeactivated'] };
    },
    async AddDocNumberPrefix() {
      const unitId = await unit();
      return { input: { unitId, prefix: `阜增${serial}` }, streams: [streams.unit(unitId)], expect: ['DocNumberPrefixAdded'] };
    },
    async RegisterUser(u) {
      const userId = fresh('user');
      return { input: { userId, unitId: u, name: '孙科员', roles: ['STAFF'] }, streams: [streams.user(userId)], expect: ['UserRegistered'] };
    },
    async GrantRole(u) {
      const userId = await member(u);
      return { input: { userId, role: 'CLERK' }, streams: [streams.user(userId)], expect: ['RoleGranted'] };
    },
    async RevokeRole(u) {
      const userId = await member(u, ['CLERK', 'STAFF']);
      return { input: { userId, role: 'CLERK' }, streams: [streams.user(userId)], expect: ['RoleRevoked'] };
    },
    async DeactivateUser(u) {
      const userId = await member(u);
      return { input: { userId, reason: '调离本单位' }, streams: [streams.user(userId)], expect: ['UserDeactivated'] };
    },
    async IssueCredential(u) {
      const userId = await member(u);
      return { input: { userId, credentialId: 'phone', label: '手机' }, streams: [streams.user(userId)], expect: ['CredentialIssued'] };
    },
    async SetUserMobile(u) {
      const userId = await member(u);
      return { input: { userId, mobile: '13800138000' }, streams: [streams.contact(userId)], expect: ['UserMobileSet'] };
    },
    async PauseSupervisionClock(u) {
      const k = await supervised(u);
      return { input: { ...k, clock: 'handle', reason: '等待上级答复' }, streams: [streams.supervision(k.documentId, k.unitId)], expect: ['ClockPaused'] };
    },
    async ResumeSupervisionClock(u) {
      const k = await supervised(u);
      await run(people(u).leader, 'PauseSupervisionClock', { ...k, clock: 'handle', reason: '等待上级答复' });
      return { input: { ...k, clock: 'handle' }, streams: [streams.supervision(k.documentId, k.unitId)], expect: ['ClockResumed', 'DeadlineSet'] };
    },
    async RevokeCredential(u) {
      const userId = await member(u);
      await run(SYSTEM, 'IssueCredential', { userId, credentialId: 'laptop', tokenHash: newToken(userId).tokenHash });
      return { input: { userId, credentialId: 'laptop', reason: '电脑报废' }, streams: [streams.user(userId)], expect: ['CredentialRevoked'] };
    },
  };

  // ---- observation ----

  /**
   * What the store holds, read from its own tables in one round trip: each watched stream's
   * revision (null: no stream) and the total number of events, so "nothing appended" covers every
   * stream, not only the ones a case names.
   */
  async function snapshot(ids: string[]): Promise<{ revisions: (number | null)[]; events: number }> {
    const { rows } = await ledger.db.pool.query<{ revisions: Record<string, string> | null; events: string }>(
      `SELECT (SELECT json_object_agg(stream_id, revision) FROM streams WHERE stream_id = ANY($1)) AS revisions,
              (SELECT count(*) FROM events) AS events`,
      [ids],
    );
    const found = rows[0]!.revisions ?? {};
    return { revisions: ids.map((id) => (id in found ? Number(found[id]) : null)), events: Number(rows[0]!.events) };
  }

  /** Every refusal this file provoked, by user: the security log must show each of them. */
  const provoked = new Map<string, { commandId: string; commandType: string; code: string }[]>();

  /**
   * Runs a mutation that must be refused with `code`: nothing appended anywhere (the named streams
   * keep their revisions, the store its event count) and the refusal is in the security log.
   */
  async function assertRefused(userId: string, mutation: string, input: Input, code: string, watched: string[]): Promise<GraphqlResponse> {
    const commandId = `m-${randomUUID()}`;
    const commandType = mutation[0]!.toUpperCase() + mutation.slice(1);
    // The helper's first request for a user issues its login token, and the user's first request of
    // the day records the sign-in (UserSignedIn): events, but not this command's.
    await api.tokenFor(userId);
    await api.gql(userId, '{ me { userId } }');
    const before = await snapshot(watched);
    const r = await mutate(userId, mutation, { ...input, commandId });
    assert.equal(r.code, code, `${userId} ${mutation}: expected ${code}, got ${JSON.stringify(r.errors ?? r.result)}`);
    assert.equal(r.status, 200);
    assert.equal(r.result ?? null, null);
    const after = await snapshot(watched);
    assert.deepEqual(after.revisions, before.revisions, `${mutation} by ${userId} changed ${watched.join(', ')} although refused`);
    assert.equal(after.events, before.events, `${mutation} by ${userId} appended events although refused`);
    const logged = (await ledger.securityLog.page({ userId }, { first: 20 })).items.find((e) => e.commandId === commandId);
    assert.ok(logged, `${mutation} by ${userId}: refusal not in the security log`);
    assert.equal(logged.code, code);
    assert.equal(logged.commandType, commandType);
    assert.match(logged.message, /[\u4e00-\u9fff]/, 'the logged message is for a Chinese reader');
    provoked.set(userId, [...(provoked.get(userId) ?? []), { commandId, commandType, code }]);
    return r;
  }

  /**
   * A refused command changes nothing, so the refused roles of one unit share one fixture per
   * command (each test still checks that it is unchanged); allowed roles get a fresh one each.
   */
  const shared = new Map<string, Promise<Case>>();
  function refusalFixture(commandType: string, unitId: string): Promise<Case> {
    const key = `${commandType}/${unitId}`;
    if (!shared.has(key)) shared.set(key, fixtures[commandType]!(unitId));
    return shared.get(key)!;
  }

  const mutations = sdlMutations();

  test('the matrix covers exactly the mutations of the SDL, each with a role rule and a fixture', () => {
    const types = mutations.map((m) => m.commandType).sort();
    assert.deepEqual(types, Object.keys(commandRoles).sort(), 'commands.graphql and commandRoles disagree');
    assert.deepEqual(Object.keys(fixtures).sort(), types, 'a mutation has no fixture in this test');
  });

  for (const { name, commandType } of mutations) {
    describe(name, () => {
      const allowed = roleRule(commandType) ?? [];
      for (const role of Roles) {
        const userId = matrixUser(role);
        const unitId = HOME[role];
        if (allowed.includes(role)) {
          test(`${role} may ${name}`, async () => {
            const c = await fixtures[commandType]!(unitId);
            await api.tokenFor(userId);
            await api.gql(userId, '{ me { userId } }'); // the day's sign-in, recorded before the count
            const before = await snapshot(c.streams);
            const fields = `commandId duplicate ${commandType === 'IssueCredential' ? 'token' : ''} events { type streamId actorUserId actorRole }`;
            const r = await mutate(userId, name, c.input, fields);
            assert.equal(r.errors, undefined, `${role} ${name}: ${JSON.stringify(r.errors)}`);
            const events = r.result!.events as { type: string; actorUserId: string; actorRole: string }[];
            const types = events.map((e) => e.type);
            for (const t of c.expect) assert.ok(types.includes(t), `${name} by ${role} appended ${types.join(', ')}; expected ${t}`);
            // The ledger records who acted and under which of their roles.
            const main = events.find((e) => e.type === c.expect.at(-1))!;
            assert.deepEqual([main.actorUserId, main.actorRole], [userId, role]);
            const after = await snapshot(c.streams);
            assert.ok((after.revisions[0] ?? -1) > (before.revisions[0] ?? -1), `${name} by ${role}: ${c.streams[0]} did not advance`);
            assert.equal(after.events - before.events, events.length, 'the result reports exactly what was appended');
            if (commandType === 'IssueCredential') {
              const me = await api.gql(null, '{ me { userId } }', {}, r.result!.token as string);
              assert.equal(me.data?.me.userId, c.input.userId, 'the issued token logs its user in');
            }
          });
        } else {
          test(`${role} may not ${name}`, async () => {
            const c = await refusalFixture(commandType, unitId);
            await assertRefused(userId, name, c.input, 'NOT_AUTHORISED', c.streams);
          });
        }
      }
    });
  }

  // ---- unit rules that cut across roles ----

  describe('unit rules', () => {
    test("a clerk of another unit cannot sign for a delivery addressed to edu", async () => {
      const k = await incoming('edu', 'delivered');
      await assertRefused('fin-clerk', 'receiveDocument', k, 'NOT_AUTHORISED', [delivery(k)]);
      // Still waiting at edu's door: its own clerk signs for it.
      assert.equal((await mutate('edu-clerk', 'receiveDocument', k)).result?.events[0].type, 'DocumentReceived');
    });

    test("every later 收文 step on another unit's copy is refused too", async () => {
      const k = await incoming('edu', 'assigned');
      await assertRefused('fin-leader', 'giveInstruction', { ...k, kind: '批示', text: '越权批示' }, 'NOT_AUTHORISED', [delivery(k)]);
      await assertRefused('fin-clerk', 'completeHandling', { ...k, result: '越权办结' }, 'NOT_AUTHORISED', [delivery(k)]);
      await assertRefused('fin-clerk', 'fileIncoming', { ...k, retention: 'D10' }, 'NOT_AUTHORISED', [delivery(k)]);
    });

    // A document of a unit that neither issued nor received it: refused as if it did not exist.
    test("a seal keeper cannot seal another unit's document (NOT_FOUND), and no number is taken", async () => {
      const id = await documentOf('city-office', ['fin'], 'signedOff');
      const numbering = streams.numbering('city-office', PREFIX['city-office']!, yearOf(new Date().toISOString(), ledger.config.GONGWEN_TIMEZONE));
      for (const sealId of ['mx-edu-seal', 'city-office-seal']) {
        await assertRefused(matrixUser('SEAL_KEEPER'), 'sealDocument', { documentId: id, sealId, passphrase: SEAL_PASSPHRASE }, 'NOT_FOUND', [doc(id), numbering]);
      }
      const own = await mutate('city-office-keeper', 'sealDocument', { documentId: id, sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
      assert.equal(own.errors, undefined, JSON.stringify(own.errors));
    });

    test("a leader or clerk cannot sign off, send or recall another unit's document (NOT_FOUND; NOT_AUTHORISED for a recipient)", async () => {
      const drafted = await documentOf('city-office', ['fin'], 'drafted');
      await assertRefused(matrixUser('LEADER'), 'signOffDocument', { documentId: drafted }, 'NOT_FOUND', [doc(drafted)]);
      await assertRefused(matrixUser('CLERK'), 'reviseDraft', { documentId: drafted, title: '越权修改' }, 'NOT_FOUND', [doc(drafted)]);
      const sealed = await documentOf('city-office', ['fin'], 'sealed');
      await assertRefused(matrixUser('CLERK'), 'sendDocument', { documentId: sealed }, 'NOT_FOUND', [doc(sealed)]);
      const sent = await documentOf('city-office', ['fin'], 'sent');
      await assertRefused(matrixUser('CLERK'), 'recallDocument', { documentId: sent, reason: '越权撤回' }, 'NOT_FOUND', [doc(sent), streams.delivery(sent, 'fin')]);
      // The recipient may read the document, so it learns only that it may not act on it.
      const refused = await assertRefused('fin-clerk', 'recallDocument', { documentId: sent, reason: '越权撤回' }, 'NOT_AUTHORISED', [doc(sent), streams.delivery(sent, 'fin')]);
      assert.equal(JSON.stringify(refused.errors).includes('city-office'), false, 'the refusal names the issuer');
    });

    test('a unit administrator cannot register a user in another unit', async () => {
      const userId = fresh('user');
      await assertRefused(matrixUser('UNIT_ADMIN'), 'registerUser', { userId, unitId: 'fin', name: '周科员', roles: ['STAFF'] }, 'NOT_AUTHORISED', [streams.user(userId)]);
    });

    test("a unit administrator cannot manage another unit's users", async () => {
      const other = await member('fin');
      const admin = matrixUser('UNIT_ADMIN');
      await assertRefused(admin, 'grantRole', { userId: other, role: 'CLERK' }, 'NOT_AUTHORISED', [streams.user(other)]);
      await assertRefused(admin, 'deactivateUser', { userId: other, reason: '越权停用' }, 'NOT_AUTHORISED', [streams.user(other)]);
      await assertRefused(admin, 'issueCredential', { userId: other, credentialId: 'stolen' }, 'NOT_AUTHORISED', [streams.user(other)]);
    });

    test('a unit administrator cannot grant SUPER_ADMIN (nor any other reserved role), even in its own unit', async () => {
      const own = await member('edu');
      for (const role of ['SUPER_ADMIN', 'UNIT_ADMIN', 'INSPECTOR', 'ARCHIVIST']) {
        await assertRefused(matrixUser('UNIT_ADMIN'), 'grantRole', { userId: own, role }, 'NOT_AUTHORISED', [streams.user(own)]);
      }
      const userId = fresh('user');
      await assertRefused(matrixUser('UNIT_ADMIN'), 'registerUser', { userId, unitId: 'edu', name: '吴科员', roles: ['SUPER_ADMIN'] }, 'NOT_AUTHORISED', [streams.user(userId)]);
    });

    test("a unit administrator cannot take over a user who holds a reserved role in its unit", async () => {
      const colleague = await member('edu', ['UNIT_ADMIN']);
      await assertRefused(matrixUser('UNIT_ADMIN'), 'issueCredential', { userId: colleague, credentialId: 'takeover' }, 'NOT_AUTHORISED', [streams.user(colleague)]);
      await assertRefused(matrixUser('UNIT_ADMIN'), 'deactivateUser', { userId: colleague, reason: '越权停用' }, 'NOT_AUTHORISED', [streams.user(colleague)]);
    });

    test('SUPER_ADMIN lives only in the city office: granting or registering it elsewhere is refused', async () => {
      const inEdu = await member('edu');
      const grant = await assertRefused('admin', 'grantRole', { userId: inEdu, role: 'SUPER_ADMIN' }, 'VALIDATION_FAILED', [streams.user(inEdu)]);
      assert.match(grant.errors![0]!.message, /超级管理员只能由市委办公室\/市政府办公室的用户担任/);
      const userId = fresh('user');
      await assertRefused('admin', 'registerUser', { userId, unitId: 'fin', name: '郑科员', roles: ['SUPER_ADMIN'] }, 'VALIDATION_FAILED', [streams.user(userId)]);
      // The same grant in the city office goes through: the refusal was about the unit.
      const inCityOffice = await member('city-office');
      const ok = await mutate('admin', 'grantRole', { userId: inCityOffice, role: 'SUPER_ADMIN' });
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    });

    test('a deactivated user’s token is UNAUTHENTICATED at once, for queries and mutations', async () => {
      const userId = await member('edu', ['CLERK']);
      const token = await api.tokenFor(userId);
      assert.equal((await api.gql(null, '{ me { userId } }', {}, token)).data?.me.userId, userId);
      assert.equal((await mutate(matrixUser('UNIT_ADMIN'), 'deactivateUser', { userId, reason: '调离' })).errors, undefined);
      const me = await api.gql(null, '{ me { userId } }', {}, token);
      assert.equal(me.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      const id = fresh('doc');
      const draft = await api.gql(null, 'mutation ($input: DraftDocumentInput!) { draftDocument(input: $input) { commandId } }', {
        input: apiInput('DraftDocumentInput', { commandId: `m-${randomUUID()}`, ...draftInput(id, { mainRecipients: ['fin'], ccRecipients: [], docNumberPrefix: '阜教' }) }),
      }, token);
      assert.equal(draft.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.equal((await ledger.store.readStream(doc(id))).revision, null);
    });

    test('a revoked role stops working at once, with the same token', async () => {
      const userId = await member('edu', ['LEADER', 'STAFF']);
      const drafted = await documentOf('edu', ['fin'], 'drafted');
      assert.equal((await mutate(matrixUser('UNIT_ADMIN'), 'revokeRole', { userId, role: 'LEADER' })).errors, undefined);
      await assertRefused(userId, 'signOffDocument', { documentId: drafted }, 'NOT_AUTHORISED', [doc(drafted)]);
    });

    test('every role may issue and revoke its own credential (self-service)', async () => {
      for (const role of Roles) {
        const userId = matrixUser(role);
        const credentialId = `self-${role.toLowerCase().replace('_', '-')}`;
        const issued = await mutate(userId, 'issueCredential', { userId, credentialId, label: '自助登录' }, 'token events { type actorUserId actorRole }');
        assert.equal(issued.errors, undefined, `${role}: ${JSON.stringify(issued.errors)}`);
        assert.equal(issued.result!.events[0].actorUserId, userId);
        const token = issued.result!.token as string;
        assert.equal((await api.gql(null, '{ me { userId } }', {}, token)).data?.me.userId, userId, `${role}: the self-issued token works`);
        const revoked = await mutate(userId, 'revokeCredential', { userId, credentialId, reason: '自助吊销' });
        assert.equal(revoked.errors, undefined, `${role}: ${JSON.stringify(revoked.errors)}`);
        assert.equal((await api.gql(null, '{ me { userId } }', {}, token)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      }
    });

    test('an inspector finds every refusal of this file in the securityLog query', async () => {
      assert.ok(provoked.size >= Roles.length);
      for (const [userId, refusals] of provoked) {
        type Entry = { userId: string; commandType: string; commandId: string; code: string };
        const edges = await walkBothWays<Entry>(async (page) => {
          const r = await api.gql(
            matrixUser('INSPECTOR'),
            'query ($u: ID, $first: Int, $after: String, $last: Int, $before: String) { securityLog(userId: $u, first: $first, after: $after, last: $last, before: $before) { edges { cursor node { userId commandType commandId code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }',
            { u: userId, ...page },
          );
          assert.equal(r.errors, undefined, JSON.stringify(r.errors));
          return r.data!.securityLog as RelayPage<Entry>;
        }, 7, `${userId}'s security log`);
        const logged = new Map(edges.map((e) => [e.node.commandId, e.node]));
        for (const x of refusals) {
          assert.deepEqual(logged.get(x.commandId), { userId, commandType: x.commandType, commandId: x.commandId, code: x.code }, `${userId}: ${x.commandType} missing from securityLog`);
        }
      }
    });

    test('only inspectors and super administrators read the security log', async () => {
      for (const role of Roles) {
        const r = await api.gql(matrixUser(role), '{ securityLog(first: 1) { totalCount } }');
        if (role === 'INSPECTOR' || role === 'SUPER_ADMIN') assert.equal(r.errors, undefined, `${role}: ${JSON.stringify(r.errors)}`);
        else assert.equal(r.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED', `${role} read the security log`);
      }
    });
  });
});
