import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../schemas/common.ts';
import type { Principal } from '../../src/app/authorization.ts';
import { createLedger, type Ledger } from '../../src/app/ledger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { createTestDatabase } from './database.ts';
import { EventStoreDbTestDouble } from './eventstoredb-test-double.ts';

/** A whole ledger (store, command service, process managers) on a fresh test database. */
export async function createTestLedger(opts: { env?: Record<string, string>; now?: () => Date } = {}): Promise<Ledger> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-ledger-'));
  // GONGWEN_TEST_EVENT_STORE=eventstoredb: the events go to a gRPC EventStoreDB test double
  // (test/api/graphql-lifecycle-eventstoredb.test.ts runs the whole lifecycle that way).
  const double = process.env.GONGWEN_TEST_EVENT_STORE === 'eventstoredb' ? await new EventStoreDbTestDouble().start() : null;
  const storeEnv: Record<string, string> = double ? { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: double.url } : {};
  const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: dataDir, GONGWEN_SEAL_KDF_LOG2N: '10', ...storeEnv, ...opts.env });
  const ledger = await createLedger(config, { url: db.url, pool: db.pool, embedded: false, close: async () => {} }, { now: opts.now });
  db.beforeClose(async () => {
    await ledger.close();
    await double?.stop();
  });
  return ledger;
}

/** The Refusal a command ended in; fails the test when it succeeded instead. */
export async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}

/** Every seal seedCity issues is server-held under this passphrase (tests use a cheap KDF). */
export const SEAL_PASSPHRASE = 'Yinzhang-2026';

export const SYSTEM: Principal = { kind: 'system' };
export const cmdId = () => `c-${randomUUID()}`;

export const user = (userId: string, unitId: string, ...roles: Role[]): Principal => ({ kind: 'user', userId, unitId, roles, active: true });

/**
 * A small city: the city office (with its super administrator), three departments with a clerk,
 * a leader and a seal keeper each, and an active seal per unit.
 */
export async function seedCity(ledger: Ledger) {
  const run = (p: Principal, type: string, input: Record<string, unknown>) => ledger.commands.execute(p, type, { commandId: cmdId(), ...input });
  await run(SYSTEM, 'RegisterUnit', { unitId: 'city-office', name: '阜阳市人民政府办公室', kind: 'city-office', fondsCode: '0001', docNumberPrefixes: ['阜政办', '阜政'] });
  await run(SYSTEM, 'RegisterUser', { userId: 'admin', unitId: 'city-office', name: '王管理', roles: ['SUPER_ADMIN'] });
  const admin = user('admin', 'city-office', 'SUPER_ADMIN');
  const units = [
    { unitId: 'city-office', prefix: '阜政办' },
    { unitId: 'edu', name: '阜阳市教育局', prefix: '阜教' },
    { unitId: 'fin', name: '阜阳市财政局', prefix: '阜财' },
    { unitId: 'hlth', name: '阜阳市卫生健康委员会', prefix: '阜卫' },
  ];
  for (const u of units.slice(1)) {
    await run(admin, 'RegisterUnit', { unitId: u.unitId, name: u.name, kind: 'city-department', parentUnitId: 'city-office', docNumberPrefixes: [u.prefix] });
  }
  const validFrom = '2020-01-01T00:00:00.000Z';
  const validTo = '2099-12-31T00:00:00.000Z';
  for (const u of units) {
    await run(admin, 'RegisterUser', { userId: `${u.unitId}-clerk`, unitId: u.unitId, name: '张文书', roles: ['CLERK', 'STAFF'] });
    await run(admin, 'RegisterUser', { userId: `${u.unitId}-leader`, unitId: u.unitId, name: '李领导', roles: ['LEADER'] });
    await run(admin, 'RegisterUser', { userId: `${u.unitId}-keeper`, unitId: u.unitId, name: '赵印管', roles: ['SEAL_KEEPER'] });
    await run(admin, 'IssueSeal', {
      keyCustody: 'server',
      initialPassphrase: SEAL_PASSPHRASE,
      sealId: `${u.unitId}-seal`,
      unitId: u.unitId,
      name: u.unitId === 'city-office' ? '阜阳市人民政府办公室' : u.name,
      sealType: '单位公章',
      validFrom,
      validTo,
      keeperUserIds: [`${u.unitId}-keeper`],
    });
  }
  const people = (unitId: string) => ({
    clerk: user(`${unitId}-clerk`, unitId, 'CLERK', 'STAFF'),
    leader: user(`${unitId}-leader`, unitId, 'LEADER'),
    keeper: user(`${unitId}-keeper`, unitId, 'SEAL_KEEPER'),
  });
  return { admin, run, people, units: units.map((u) => ({ ...u, ...people(u.unitId) })) };
}

export const draftInput = (documentId: string, over: Record<string, unknown> = {}) => ({
  documentId,
  title: '关于做好2026年电子公文交换工作的通知',
  docType: '通知',
  urgency: '平件',
  classification: '非密',
  body: '　　各县区人民政府，市直各单位：为推进电子公文交换，现将有关事项通知如下……',
  attachments: [],
  mainRecipients: ['edu', 'fin'],
  ccRecipients: ['hlth'],
  docNumberPrefix: '阜政办',
  ...over,
});
