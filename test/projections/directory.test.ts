import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { directoryProjection } from '../../projections/directory/index.ts';
import * as Q from '../../projections/directory/queries.ts';
import { sealAnomalies, type SealAtUse } from '../../projections/directory/seal-anomalies.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { SEAL_PASSPHRASE, cmdId, createTestLedger, draftInput, seedCity, user } from '../support/ledger.ts';

/** Every row of every directory table, in key order: what "identical" means for rebuilds. */
async function snapshot(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    units: await q('SELECT * FROM directory_units ORDER BY unit_id'),
    users: await q('SELECT * FROM directory_users ORDER BY user_id'),
    credentials: await q('SELECT * FROM directory_credentials ORDER BY user_id, credential_id'),
    seals: await q('SELECT * FROM directory_seals ORDER BY seal_id'),
    usage: await q('SELECT * FROM directory_seal_usage ORDER BY usage_seq'),
  };
}

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('directory projection: units, users, credentials, seals and the seal usage log from real commands', async () => {
  // The ledger's clock: every command of a step happens at the time the step sets.
  let clock = new Date('2026-03-02T02:00:00.000Z'); // Monday 10:00 in Beijing
  const at = (iso: string) => {
    clock = new Date(iso);
  };
  const ledger = await createTestLedger({ now: () => clock });
  const city = await seedCity(ledger);
  const { admin, run } = city;
  const office = city.people('city-office');
  const edu = city.people('edu');
  const fin = city.people('fin');
  const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [directoryProjection]);
  await runner.prepare();
  // A first catch-up after the seeding, so the rest is applied on top of existing rows.
  await ledger.settle();
  await runner.catchUp();

  // ---- directory changes ----
  at('2026-03-02T02:05:00.000Z');
  await run(admin, 'RenameUnit', { unitId: 'edu', name: '阜阳市教育体育局', shortName: '市教体局' });
  at('2026-03-02T02:06:00.000Z');
  // The short name is left out: the unit keeps 市教体局.
  await run(admin, 'RenameUnit', { unitId: 'edu', name: '阜阳市教育和体育局' });
  at('2026-03-02T02:07:00.000Z');
  await run(admin, 'RegisterUnit', { unitId: 'tmp', name: '阜阳市临时指挥部', kind: 'other', parentUnitId: 'city-office', docNumberPrefixes: ['阜临'] });
  await run(admin, 'DeactivateUnit', { unitId: 'tmp', reason: '任务完成，撤销建制' });
  at('2026-03-02T02:08:00.000Z');
  // AddDocNumberPrefix has no role in the authorisation matrix yet (src/app/authorization.ts), so
  // no one can issue it; the event its decider would emit is appended straight to the store.
  await ledger.store.append('unit-fin', [{ type: 'DocNumberPrefixAdded', data: { unitId: 'fin', prefix: '阜财函' } }], {
    expectedRevision: 'any', commandId: cmdId(), actor: { userId: 'admin', unitId: 'city-office', role: 'SUPER_ADMIN' },
  });
  at('2026-03-02T02:10:00.000Z');
  await run(admin, 'GrantRole', { userId: 'edu-clerk', role: 'SEAL_KEEPER' });
  at('2026-03-02T02:11:00.000Z');
  await run(admin, 'RevokeRole', { userId: 'edu-clerk', role: 'STAFF' });
  at('2026-03-02T02:20:00.000Z');
  await run(admin, 'IssueCredential', { userId: 'edu-clerk', credentialId: 'cred-1', tokenHash: sm3Hex('token-edu-1'), label: '办公电脑', expiresAt: '2026-06-01T00:00:00.000Z' });
  await run(admin, 'IssueCredential', { userId: 'edu-clerk', credentialId: 'cred-2', tokenHash: sha256Hex('token-edu-2'), tokenHashAlgorithm: 'sha256' });
  at('2026-03-02T02:21:00.000Z');
  await run(admin, 'RevokeCredential', { userId: 'edu-clerk', credentialId: 'cred-2', reason: '手机遗失' });
  at('2026-03-02T02:22:00.000Z');
  await run(admin, 'IssueCredential', { userId: 'fin-clerk', credentialId: 'cred-f', tokenHash: sm3Hex('token-fin'), expiresAt: '2026-03-03T00:00:00.000Z' });
  at('2026-03-02T02:23:00.000Z');
  await run(admin, 'IssueCredential', { userId: 'hlth-leader', credentialId: 'cred-h', tokenHash: sm3Hex('token-hlth') });
  at('2026-03-02T02:24:00.000Z');
  await run(admin, 'DeactivateUser', { userId: 'hlth-leader', reason: '调离本单位' });

  // ---- seals: 制发, 更换, 注销, 销毁 ----
  at('2026-03-02T02:30:00.000Z');
  await run(admin, 'IssueSeal', { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE,
    sealId: 'edu-contract', unitId: 'edu', name: '阜阳市教育和体育局合同专用章', sealType: '合同专用章',
    validFrom: '2026-03-01T00:00:00.000Z', validTo: '2026-03-20T00:00:00.000Z', keeperUserIds: ['edu-keeper'],
  });
  at('2026-03-02T02:31:00.000Z');
  await run(admin, 'ReplaceSeal', {
    sealId: 'fin-seal', newSealId: 'fin-seal-2', reason: '印章磨损',
    newSeal: { keyCustody: 'server', initialPassphrase: SEAL_PASSPHRASE, name: '阜阳市财政局', sealType: '单位公章', validFrom: '2026-03-02T00:00:00.000Z', validTo: '2028-12-31T00:00:00.000Z', keeperUserIds: ['fin-keeper'] },
  });
  at('2026-03-02T02:32:00.000Z');
  await run(admin, 'RevokeSeal', { sealId: 'hlth-seal', reason: '机构改革，印章停用' });
  at('2026-03-02T02:33:00.000Z');
  await run(admin, 'DestroySeal', { sealId: 'fin-seal', reason: '旧章已监督销毁' });
  await runner.catchUp();

  // ---- sealing documents ----
  const issue = async (documentId: string, people: typeof edu, prefix: string, recipients: string[], when: string) => {
    at(when);
    await run(people.clerk, 'DraftDocument', draftInput(documentId, { docNumberPrefix: prefix, mainRecipients: recipients, ccRecipients: [] }));
    await run(people.leader, 'SignOffDocument', { documentId });
  };
  // Monday 10:42, the designated keeper, an active seal: nothing unusual.
  await issue('doc-a', office, '阜政办', ['edu'], '2026-03-02T02:40:00.000Z');
  at('2026-03-02T02:42:00.000Z');
  await run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-a', sealId: 'city-office-seal' });
  // Tuesday 07:30, with the contract seal that expires on the 20th.
  await issue('doc-c', edu, '阜教', ['fin'], '2026-03-02T23:00:00.000Z');
  at('2026-03-02T23:30:00.000Z');
  await run(edu.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-c', sealId: 'edu-contract' });
  // Wednesday 17:30:00 sharp, the replacement seal: still within the office day.
  await issue('doc-d', fin, '阜财', ['edu'], '2026-03-04T09:00:00.000Z');
  at('2026-03-04T09:30:00.000Z');
  await run(fin.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-d', sealId: 'fin-seal-2' });
  // Saturday 20:00, by the clerk who was made a seal keeper but is not this seal's keeper.
  await issue('doc-b', edu, '阜教', ['fin'], '2026-03-07T11:00:00.000Z');
  at('2026-03-07T12:00:00.000Z');
  await run(user('edu-clerk', 'edu', 'SEAL_KEEPER', 'CLERK'), 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'doc-b', sealId: 'edu-seal' });
  // Written around the commands (straight into the store): a sealing with the revoked seal.
  at('2026-03-09T02:00:00.000Z');
  await ledger.store.append(
    'document-doc-x',
    [{
      type: 'DocumentSealed',
      data: {
        documentId: 'doc-x', issuerUnitId: 'hlth', sealId: 'hlth-seal', docNumber: '阜卫〔2026〕9号',
        contentDigest: sm3Hex('doc-x'), digestAlgorithm: 'SM3', digestAlgorithmOid: '1.2.156.10197.1.401', signature: '3006020101020101', signatureAlgorithm: '1.2.156.10197.1.501',
        sealPublicKey: `04${'1'.repeat(128)}`, sealRecordDigest: sm3Hex('record'), keyCustody: 'server',
        sealedBy: 'hlth-keeper', sealedAt: '2026-03-09T02:00:00.000Z',
      },
    }],
    { expectedRevision: 'no_stream', commandId: cmdId(), actor: { userId: 'hlth-keeper', unitId: 'hlth', role: 'SEAL_KEEPER' } },
  );
  await ledger.settle();
  await runner.catchUp();
  const pool = ledger.db.pool;

  const seedAt = '2026-03-02T02:00:00.000Z';
  const person = (userId: string, unitId: string, name: string, roles: string[], over: Partial<Q.User> = {}): Q.User => ({
    userId, unitId, name, roles: roles as Q.User['roles'], active: true, deactivationReason: null, credentialCount: 0, registeredAt: seedAt, updatedAt: seedAt, ...over,
  });

  test('units: registration, two renames keeping the earlier names, a new prefix, a deactivation', async () => {
    const base = { shortName: null, fondsCode: null, organisationCode: null, active: true, deactivationReason: null, previousNames: [], registeredAt: seedAt, updatedAt: seedAt };
    const all: Q.Unit[] = [
      { ...base, unitId: 'city-office', name: '阜阳市人民政府办公室', kind: 'city-office', parentUnitId: null, fondsCode: '0001', docNumberPrefixes: ['阜政办', '阜政'] },
      {
        ...base, unitId: 'edu', name: '阜阳市教育和体育局', shortName: '市教体局', kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: ['阜教'],
        previousNames: [
          { name: '阜阳市教育局', until: '2026-03-02T02:05:00.000Z' },
          { name: '阜阳市教育体育局', shortName: '市教体局', until: '2026-03-02T02:06:00.000Z' },
        ],
        updatedAt: '2026-03-02T02:06:00.000Z',
      },
      { ...base, unitId: 'fin', name: '阜阳市财政局', kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: ['阜财', '阜财函'], updatedAt: '2026-03-02T02:08:00.000Z' },
      { ...base, unitId: 'hlth', name: '阜阳市卫生健康委员会', kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: ['阜卫'] },
      {
        ...base, unitId: 'tmp', name: '阜阳市临时指挥部', kind: 'other', parentUnitId: 'city-office', docNumberPrefixes: ['阜临'],
        active: false, deactivationReason: '任务完成，撤销建制', registeredAt: '2026-03-02T02:07:00.000Z', updatedAt: '2026-03-02T02:07:00.000Z',
      },
    ];
    assert.deepEqual(await Q.units(pool), all);
    assert.deepEqual(await Q.units(pool, { activeOnly: true }), all.filter((u) => u.unitId !== 'tmp'));
    assert.deepEqual(await Q.unit(pool, 'edu'), all[1]);
    assert.equal(await Q.unit(pool, 'nobody'), null);
  });

  test('users: roles in canonical order after a grant and a revoke, credential counts, a deactivation', async () => {
    assert.deepEqual(await Q.users(pool, 'edu'), [
      person('edu-clerk', 'edu', '张文书', ['SEAL_KEEPER', 'CLERK'], { credentialCount: 1, updatedAt: '2026-03-02T02:21:00.000Z' }),
      person('edu-keeper', 'edu', '赵印管', ['SEAL_KEEPER']),
      person('edu-leader', 'edu', '李领导', ['LEADER']),
    ]);
    assert.deepEqual(await Q.users(pool, 'hlth'), [
      person('hlth-clerk', 'hlth', '张文书', ['CLERK', 'STAFF']),
      person('hlth-keeper', 'hlth', '赵印管', ['SEAL_KEEPER']),
      person('hlth-leader', 'hlth', '李领导', ['LEADER'], { active: false, deactivationReason: '调离本单位', updatedAt: '2026-03-02T02:24:00.000Z' }),
    ]);
    assert.deepEqual(await Q.users(pool, 'city-office'), [
      person('admin', 'city-office', '王管理', ['SUPER_ADMIN']),
      person('city-office-clerk', 'city-office', '张文书', ['CLERK', 'STAFF']),
      person('city-office-keeper', 'city-office', '赵印管', ['SEAL_KEEPER']),
      person('city-office-leader', 'city-office', '李领导', ['LEADER']),
    ]);
    assert.deepEqual(await Q.users(pool, 'fin'), [
      // Its credential has expired by now and still counts: expiry is a matter of the time of asking.
      person('fin-clerk', 'fin', '张文书', ['CLERK', 'STAFF'], { credentialCount: 1, updatedAt: '2026-03-02T02:22:00.000Z' }),
      person('fin-keeper', 'fin', '赵印管', ['SEAL_KEEPER']),
      person('fin-leader', 'fin', '李领导', ['LEADER']),
    ]);
    assert.deepEqual(await Q.user(pool, 'admin'), person('admin', 'city-office', '王管理', ['SUPER_ADMIN']));
    assert.equal(await Q.user(pool, 'nobody'), null);
    assert.deepEqual(await Q.users(pool, 'tmp'), []);
  });

  test('credentials: issued and revoked, listed without their digests', async () => {
    assert.deepEqual(await Q.credentials(pool, 'edu-clerk'), [
      {
        userId: 'edu-clerk', credentialId: 'cred-1', unitId: 'edu', tokenHashAlgorithm: 'sm3', label: '办公电脑', expiresAt: '2026-06-01T00:00:00.000Z',
        revoked: false, revocationReason: null, issuedAt: '2026-03-02T02:20:00.000Z', revokedAt: null,
      },
      {
        userId: 'edu-clerk', credentialId: 'cred-2', unitId: 'edu', tokenHashAlgorithm: 'sha256', label: null, expiresAt: null,
        revoked: true, revocationReason: '手机遗失', issuedAt: '2026-03-02T02:20:00.000Z', revokedAt: '2026-03-02T02:21:00.000Z',
      },
    ]);
    const { rows } = await pool.query('SELECT user_id, credential_id, token_hash FROM directory_credentials ORDER BY user_id, credential_id');
    assert.deepEqual(rows, [
      { user_id: 'edu-clerk', credential_id: 'cred-1', token_hash: sm3Hex('token-edu-1') },
      { user_id: 'edu-clerk', credential_id: 'cred-2', token_hash: sha256Hex('token-edu-2') },
      { user_id: 'fin-clerk', credential_id: 'cred-f', token_hash: sm3Hex('token-fin') },
      { user_id: 'hlth-leader', credential_id: 'cred-h', token_hash: sm3Hex('token-hlth') },
    ]);
  });

  test('userByTokenHash: an active user with a live credential, and nobody otherwise', async () => {
    const t = new Date('2026-03-10T00:00:00.000Z');
    const eduClerk = (await Q.users(pool, 'edu'))[0]!;
    assert.deepEqual(await Q.userByTokenHash(pool, sm3Hex('token-edu-1'), { at: t }), { ...eduClerk, credentialId: 'cred-1' });
    // expiresAt is exclusive.
    assert.equal((await Q.userByTokenHash(pool, sm3Hex('token-edu-1'), { at: new Date('2026-05-31T23:59:59.999Z') }))?.userId, 'edu-clerk');
    assert.equal(await Q.userByTokenHash(pool, sm3Hex('token-edu-1'), { at: new Date('2026-06-01T00:00:00.000Z') }), null);
    assert.equal(await Q.userByTokenHash(pool, sha256Hex('token-edu-2'), { at: t }), null, 'revoked');
    assert.equal((await Q.userByTokenHash(pool, sm3Hex('token-fin'), { at: new Date('2026-03-02T12:00:00.000Z') }))?.userId, 'fin-clerk');
    assert.equal(await Q.userByTokenHash(pool, sm3Hex('token-fin'), { at: t }), null, 'expired');
    assert.equal(await Q.userByTokenHash(pool, sm3Hex('token-hlth'), { at: t }), null, 'user deactivated');
    assert.equal(await Q.userByTokenHash(pool, sm3Hex('no such token'), { at: t }), null);
    // The same digest registered for two people authenticates neither of them.
    await run(admin, 'IssueCredential', { userId: 'fin-leader', credentialId: 'shared', tokenHash: sm3Hex('token-shared') });
    await runner.catchUp();
    assert.equal((await Q.userByTokenHash(pool, sm3Hex('token-shared'), { at: t }))?.userId, 'fin-leader');
    await run(admin, 'IssueCredential', { userId: 'edu-leader', credentialId: 'shared', tokenHash: sm3Hex('token-shared') });
    await runner.catchUp();
    assert.equal(await Q.userByTokenHash(pool, sm3Hex('token-shared'), { at: t }), null);
  });

  test('seals: issued, replaced (both ends linked), revoked, destroyed', async () => {
    const forever = { validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-12-31T00:00:00.000Z' };
    const seal = (over: Partial<Q.Seal> & Pick<Q.Seal, 'sealId' | 'unitId' | 'name'>): Omit<Q.Seal, 'publicKey' | 'pictureSvg'> => ({
      sealType: '单位公章', status: 'active', statusReason: null, ...forever, keeperUserIds: [`${over.unitId}-keeper`],
      replacedBy: null, replaces: null, keyCustody: 'server', issuedBy: 'admin', issuedAt: seedAt, updatedAt: seedAt, ...over,
    });
    // Each server-held seal got its own generated key; the picture is its record's, with its name.
    const listed = async (opts?: Parameters<typeof Q.seals>[1]) =>
      (await Q.seals(pool, opts)).map(({ publicKey, pictureSvg, ...rest }) => {
        assert.match(publicKey, /^04[0-9a-f]{128}$/);
        assert.ok([...rest.name].every((ch) => pictureSvg.includes(`>${ch}<`)), `${rest.sealId}: every character of the name is in the picture`);
        return rest;
      });
    const all: Omit<Q.Seal, 'publicKey' | 'pictureSvg'>[] = [
      seal({ sealId: 'city-office-seal', unitId: 'city-office', name: '阜阳市人民政府办公室' }),
      seal({
        sealId: 'edu-contract', unitId: 'edu', name: '阜阳市教育和体育局合同专用章', sealType: '合同专用章',
        validFrom: '2026-03-01T00:00:00.000Z', validTo: '2026-03-20T00:00:00.000Z', issuedAt: '2026-03-02T02:30:00.000Z', updatedAt: '2026-03-02T02:30:00.000Z',
      }),
      seal({ sealId: 'edu-seal', unitId: 'edu', name: '阜阳市教育局' }),
      seal({ sealId: 'fin-seal', unitId: 'fin', name: '阜阳市财政局', status: 'destroyed', statusReason: '旧章已监督销毁', replacedBy: 'fin-seal-2', updatedAt: '2026-03-02T02:33:00.000Z' }),
      seal({
        sealId: 'fin-seal-2', unitId: 'fin', name: '阜阳市财政局', validFrom: '2026-03-02T00:00:00.000Z', validTo: '2028-12-31T00:00:00.000Z',
        replaces: 'fin-seal', issuedAt: '2026-03-02T02:31:00.000Z', updatedAt: '2026-03-02T02:31:00.000Z',
      }),
      seal({ sealId: 'hlth-seal', unitId: 'hlth', name: '阜阳市卫生健康委员会', status: 'revoked', statusReason: '机构改革，印章停用', updatedAt: '2026-03-02T02:32:00.000Z' }),
    ];
    assert.deepEqual(await listed(), all);
    assert.deepEqual(await listed({ unitId: 'edu' }), [all[1], all[2]]);
    assert.deepEqual(await listed({ unitId: 'fin', status: 'active' }), [all[4]]);
    assert.deepEqual((await Q.seals(pool, { status: 'revoked' })).map((s) => s.sealId), ['hlth-seal']);
  });

  const uses = async (opts: Q.SealUsageOptions = {}) => (await Q.sealUsage(pool, { first: 100, ...opts })).items;

  test('seal usage log: one row per sealing, with its anomalies', async () => {
    const rows = await uses();
    const { rows: events } = await pool.query<{ event_id: string; global_position: number }>(
      `SELECT event_id::text, global_position FROM events WHERE type = 'DocumentSealed' ORDER BY (data->>'sealedAt')::timestamptz`,
    );
    assert.deepEqual(rows.map((r) => [r.eventId, r.globalPosition]), events.map((e) => [e.event_id, e.global_position]));
    assert.deepEqual(rows.map(({ eventId: _e, globalPosition: _g, ...r }) => r), [
      { usageSeq: 1, sealId: 'city-office-seal', unitId: 'city-office', keeperUserId: 'city-office-keeper', documentId: 'doc-a', docNumber: '阜政办〔2026〕1号', sealedAt: '2026-03-02T02:42:00.000Z', keyCustody: 'server', anomalies: [] },
      { usageSeq: 2, sealId: 'edu-contract', unitId: 'edu', keeperUserId: 'edu-keeper', documentId: 'doc-c', docNumber: '阜教〔2026〕1号', sealedAt: '2026-03-02T23:30:00.000Z', keyCustody: 'server', anomalies: ['OFF_HOURS', 'NEAR_EXPIRY'] },
      { usageSeq: 3, sealId: 'fin-seal-2', unitId: 'fin', keeperUserId: 'fin-keeper', documentId: 'doc-d', docNumber: '阜财〔2026〕1号', sealedAt: '2026-03-04T09:30:00.000Z', keyCustody: 'server', anomalies: [] },
      { usageSeq: 4, sealId: 'edu-seal', unitId: 'edu', keeperUserId: 'edu-clerk', documentId: 'doc-b', docNumber: '阜教〔2026〕2号', sealedAt: '2026-03-07T12:00:00.000Z', keyCustody: 'server', anomalies: ['OFF_HOURS', 'WEEKEND', 'NOT_KEEPER'] },
      { usageSeq: 5, sealId: 'hlth-seal', unitId: 'hlth', keeperUserId: 'hlth-keeper', documentId: 'doc-x', docNumber: '阜卫〔2026〕9号', sealedAt: '2026-03-09T02:00:00.000Z', keyCustody: 'server', anomalies: ['INVALID_SEAL'] },
    ]);
  });

  test('seal usage filters: seal, unit, time window, anomalies only', async () => {
    const seqs = async (opts: Q.SealUsageOptions) => (await uses(opts)).map((u) => u.usageSeq);
    assert.deepEqual(await seqs({ anomaliesOnly: true }), [2, 4, 5]);
    assert.deepEqual(await seqs({ unitId: 'edu' }), [2, 4]);
    assert.deepEqual(await seqs({ unitId: 'edu', anomaliesOnly: true }), [2, 4]);
    assert.deepEqual(await seqs({ sealId: 'edu-seal' }), [4]);
    assert.deepEqual(await seqs({ sealId: 'fin-seal-2', anomaliesOnly: true }), []);
    // from inclusive, to exclusive.
    assert.deepEqual(await seqs({ from: '2026-03-02T23:30:00.000Z', to: '2026-03-07T12:00:00.000Z' }), [2, 3]);
    assert.deepEqual(await seqs({ from: new Date('2026-03-07T12:00:00.000Z') }), [4, 5]);
  });

  test('seal usage pagination is stable: pages of 2 concatenate to the whole log', async () => {
    const whole = await uses();
    const seen: Q.SealUse[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await Q.sealUsage(pool, { first: 2, ...(after ? { after } : {}) });
      seen.push(...p.items);
      if (!p.hasNextPage) break;
      after = p.endCursor!;
    }
    assert.deepEqual(seen, whole);
    const anomalous = await Q.sealUsage(pool, { first: 2, anomaliesOnly: true });
    assert.deepEqual(anomalous.items.map((u) => u.usageSeq), [2, 4]);
    assert.equal(anomalous.hasNextPage, true);
    const rest = await Q.sealUsage(pool, { first: 2, anomaliesOnly: true, after: anomalous.endCursor! });
    assert.deepEqual([rest.items, rest.hasNextPage, rest.hasPreviousPage, await rest.totalCount()], [[whole[4]], false, true, 3]);
    // Backward from the end by last/before, and NEWEST first: the same log the other way round.
    const back: Q.SealUse[] = [];
    for (let before: string | undefined; ; ) {
      const p = await Q.sealUsage(pool, { last: 2, before });
      back.unshift(...p.items);
      if (!p.hasPreviousPage) break;
      before = p.startCursor!;
    }
    assert.deepEqual(back, whole);
    assert.deepEqual((await Q.sealUsage(pool, { order: 'NEWEST', first: 100 })).items, [...whole].reverse());
    const newest = await Q.sealUsage(pool, { order: 'NEWEST', first: 2 });
    const older = await Q.sealUsage(pool, { order: 'NEWEST', first: 100, after: newest.endCursor! });
    assert.deepEqual([...newest.items, ...older.items], [...whole].reverse());
    await assert.rejects(Q.sealUsage(pool, { after: 'not-a-cursor' }), (e) => e instanceof Refusal && e.code === 'VALIDATION_FAILED');
    await assert.rejects(Q.sealUsage(pool, { first: 0 }), (e) => e instanceof Refusal && e.code === 'VALIDATION_FAILED');
  });

  test('a rebuild equals the incremental build, and batches of 1 equal batches of 1000', async () => {
    const incremental = await snapshot(pool);
    assert.equal(incremental.usage.length, 5);
    await runner.rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
    const oneByOne = new ProjectionRunner(pool, ledger.store, [directoryProjection], { batchSize: 1 });
    await oneByOne.rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
    const big = new ProjectionRunner(pool, ledger.store, [directoryProjection], { batchSize: 1000 });
    await big.rebuild();
    assert.deepEqual(await snapshot(pool), incremental);
  });
});

describe('seal anomalies (pure): the working-hours, weekend, keeper and expiry rules at their edges', () => {
  const seal: SealAtUse = {
    sealId: 's', unitId: 'u', status: 'active', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2026-12-31T16:00:00.000Z', keeperUserIds: ['k'],
  };
  const use = (sealedAt: string, over: Partial<{ unitId: string; keeperUserId: string }> = {}) => ({ unitId: 'u', keeperUserId: 'k', sealedAt, ...over });

  test('the office day, 08:30 to 17:30 Beijing time inclusive, on the working-day calendar; a millisecond outside is not', () => {
    // Wednesday 2026-03-04.
    assert.deepEqual(sealAnomalies(use('2026-03-04T00:30:00.000Z'), seal), []);
    assert.deepEqual(sealAnomalies(use('2026-03-04T00:29:59.999Z'), seal), ['OFF_HOURS']);
    assert.deepEqual(sealAnomalies(use('2026-03-04T09:30:00.000Z'), seal), []);
    assert.deepEqual(sealAnomalies(use('2026-03-04T09:30:00.001Z'), seal), ['OFF_HOURS']);
  });

  test('a 调休 Saturday is a working day; a holiday Monday is not', () => {
    // Saturday 10 October 2026 is worked (国庆节调休); Monday 5 October 2026 is a holiday.
    assert.deepEqual(sealAnomalies(use('2026-10-10T02:00:00.000Z'), seal), []);
    assert.deepEqual(sealAnomalies(use('2026-10-05T02:00:00.000Z'), seal), ['WEEKEND']);
  });

  test('Saturday and Sunday in Beijing, whatever the UTC date', () => {
    // Friday 2026-03-06 23:30 UTC is Saturday 07:30 in Beijing.
    assert.deepEqual(sealAnomalies(use('2026-03-06T23:30:00.000Z'), seal), ['OFF_HOURS', 'WEEKEND']);
    assert.deepEqual(sealAnomalies(use('2026-03-08T03:00:00.000Z'), seal), ['WEEKEND']);
    // Sunday 2026-03-08 16:00 UTC is Monday 00:00 in Beijing.
    assert.deepEqual(sealAnomalies(use('2026-03-08T16:00:00.000Z'), seal), ['OFF_HOURS']);
  });

  test('not a designated keeper; no keepers designated at all', () => {
    assert.deepEqual(sealAnomalies(use('2026-03-04T02:00:00.000Z', { keeperUserId: 'x' }), seal), ['NOT_KEEPER']);
    assert.deepEqual(sealAnomalies(use('2026-03-04T02:00:00.000Z'), { ...seal, keeperUserIds: [] }), ['NOT_KEEPER']);
  });

  test('within 30 days of expiry, up to the last valid moment; after it the seal is invalid', () => {
    assert.deepEqual(sealAnomalies(use('2026-12-01T15:59:59.999Z'), seal), ['OFF_HOURS']);
    assert.deepEqual(sealAnomalies(use('2026-12-01T16:00:00.000Z'), seal), ['OFF_HOURS', 'NEAR_EXPIRY']);
    assert.deepEqual(sealAnomalies(use('2026-12-31T03:00:00.000Z'), seal), ['NEAR_EXPIRY']);
    assert.deepEqual(sealAnomalies(use('2027-01-04T03:00:00.000Z'), seal), ['INVALID_SEAL']);
  });

  test('unknown, foreign, inactive or not yet valid seals are invalid', () => {
    const t = '2026-03-04T02:00:00.000Z';
    assert.deepEqual(sealAnomalies(use(t), undefined), ['INVALID_SEAL']);
    assert.deepEqual(sealAnomalies(use(t, { unitId: 'other' }), seal), ['INVALID_SEAL']);
    assert.deepEqual(sealAnomalies(use(t), { ...seal, status: 'replaced' }), ['INVALID_SEAL']);
    assert.deepEqual(sealAnomalies(use(t), { ...seal, validFrom: '2026-03-05T00:00:00.000Z' }), ['INVALID_SEAL']);
  });
});
