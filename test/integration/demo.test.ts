import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLedger } from '../../src/app/ledger.ts';
import { loadUnit, loadUser, loadState } from '../../src/app/commands/deps.ts';
import { authenticate } from '../../src/api/authenticate.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fold } from '../../src/domain/decider.ts';
import { deliveryDecider, type DeliveryState } from '../../src/domain/delivery/index.ts';
import { documentDecider, type DocumentState } from '../../src/domain/document/index.ts';
import { Refusal } from '../../src/domain/refusal.ts';
import { sealDecider, sealUsability } from '../../src/domain/seal/index.ts';
import { categoryOf, streams } from '../../src/domain/streams.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { SimulatedClock, chinaDay, officeDays } from '../../src/demo/clock.ts';
import { credentialsFile, type DemoCredentials } from '../../src/demo/credentials.ts';
import { demoClock, planDemo, seedDemo, type DemoResult } from '../../src/demo/seed.ts';
import { createTestDatabase } from '../support/database.ts';

async function allEvents(store: { readAll(from: string | null, limit: number): Promise<{ events: RecordedEvent[]; position: string | null }> }) {
  const events: RecordedEvent[] = [];
  for (let from: string | null = null; ; ) {
    const page = await store.readAll(from, 1000);
    events.push(...page.events);
    if (page.events.length === 0) return events;
    from = page.position;
  }
}

describe('the simulated clock', () => {
  test('moves forward only, and never past the wall clock', () => {
    let wall = Date.parse('2026-03-10T02:00:00Z');
    const clock = new SimulatedClock(new Date('2026-03-01T00:00:00Z'), 1000, () => wall);
    const a = clock.now();
    const b = clock.now();
    assert.ok(b > a);
    clock.advanceTo(new Date('2026-03-05T00:00:00Z'));
    clock.advanceTo(new Date('2026-03-02T00:00:00Z'));
    assert.equal(clock.peek().toISOString(), '2026-03-05T00:00:00.000Z');
    clock.advanceTo(new Date('2027-01-01T00:00:00Z'));
    assert.equal(clock.now().getTime(), wall, 'capped at the present');
    wall += 5000;
    assert.ok(clock.now().getTime() <= wall);
  });

  test('office days skip weekends and end today, whatever day today is', () => {
    // 2026-03-08 is a Sunday.
    assert.deepEqual(officeDays('2026-03-08', 3), ['2026-03-04', '2026-03-05', '2026-03-06', '2026-03-08']);
    assert.equal(chinaDay(new Date('2026-03-07T17:00:00Z')), '2026-03-08');
  });
});

describe('gongwen demo on a fresh database (small city)', async () => {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-demo-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: dataDir });
  const plan = planDemo('small');
  const clock = demoClock(plan);
  const ledger = await createLedger(config, { url: db.url, pool: db.pool, embedded: false, close: async () => {} }, { now: clock.now });
  db.beforeClose(() => ledger.close());
  const result: DemoResult = await seedDemo(ledger, clock, plan, { dataDir });
  const events = await allEvents(ledger.store);
  const { city } = plan;

  test('every sealing has its rendering recorded, so a year closed right after the demo exports its PDF/A', () => {
    const sealings = events.filter((e) => e.type === 'DocumentSealed').map((e) => e.eventId).sort();
    const rendered = events.filter((e) => e.type === 'DocumentRendered').map((e) => (e.data as { sealedEventId: string }).sealedEventId).sort();
    assert.ok(sealings.length > 0);
    assert.deepEqual(rendered, sealings);
  });

  test('every planned unit and user is registered and active, with the planned roles', async () => {
    assert.ok(city.units.length >= 20, 'units');
    assert.equal(result.units, city.units.length);
    const kinds = new Set(city.units.map((u) => u.kind));
    for (const kind of ['city-office', 'city-department', 'district', 'district-department', 'town'] as const) assert.ok(kinds.has(kind), kind);
    for (const u of city.units) {
      const unit = await loadUnit(ledger.store, u.unitId);
      if (unit.status === 'none') assert.fail(`${u.unitId} not registered`);
      assert.equal(unit.status, 'active', u.unitId);
      assert.equal(unit.name, u.name);
      assert.deepEqual(unit.docNumberPrefixes, u.prefixes);
    }
    assert.equal(city.people.length, city.units.length * 3 + 3);
    for (const p of city.people) {
      const user = await loadUser(ledger.store, p.userId);
      assert.ok(user.exists && user.active, p.userId);
      assert.equal(user.unitId, p.unitId);
      assert.deepEqual([...user.roles].sort(), [...p.roles].sort());
    }
    const roles = new Set(city.people.flatMap((p) => p.roles));
    for (const r of ['SUPER_ADMIN', 'CLERK', 'STAFF', 'LEADER', 'SEAL_KEEPER', 'INSPECTOR', 'ARCHIVIST'] as const) assert.ok(roles.has(r), r);
  });

  test('every unit has an active seal, usable now and kept by its seal keeper', async () => {
    const now = new Date().toISOString();
    for (const u of city.units) {
      const { state } = await loadState(ledger.store, sealDecider, streams.seal(u.sealId));
      assert.deepEqual(sealUsability(state, { unitId: u.unitId, at: now }), { usable: true }, u.unitId);
      assert.ok(state.status !== 'none' && state.keeperUserIds.includes(u.keeper.userId));
    }
  });

  test('the credentials file is owner-only and every token in it authenticates as its user', async () => {
    const path = credentialsFile(dataDir);
    assert.equal(result.credentialsPath, path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const file = JSON.parse(await readFile(path, 'utf8')) as DemoCredentials;
    assert.deepEqual(Object.keys(file).sort(), city.people.map((p) => p.userId).sort());
    for (const [userId, c] of Object.entries(file)) {
      assert.ok(c.name && c.unit && c.token, userId);
      const auth = await authenticate(ledger.store, `Bearer ${c.token}`, new Date());
      assert.ok(auth.ok, `${userId}: ${auth.ok ? '' : auth.reason}`);
      assert.equal(auth.principal.userId, userId);
      assert.deepEqual([...auth.principal.roles].sort(), [...c.roles].sort());
    }
    const forged = `${file['fy-admin']!.token.slice(0, -4)}AAAA`;
    assert.equal((await authenticate(ledger.store, `Bearer ${forged}`, new Date())).ok, false);
  });

  test('documents stand in every state of their life, at the issuer and at the recipients', async () => {
    const byStream = new Map<string, RecordedEvent[]>();
    for (const e of events) {
      if (!byStream.has(e.streamId)) byStream.set(e.streamId, []);
      byStream.get(e.streamId)!.push(e);
    }
    const documents: DocumentState[] = [];
    const deliveries: DeliveryState[] = [];
    for (const [streamId, list] of byStream) {
      if (categoryOf(streamId) === 'document') documents.push(fold(documentDecider, list as never));
      if (categoryOf(streamId) === 'delivery') deliveries.push(fold(deliveryDecider, list as never));
    }
    const documentStates = new Set(documents.map((d) => d.status));
    for (const s of ['drafted', 'signedOff', 'sealed', 'sent', 'recalled', 'filed'] as const) assert.ok(documentStates.has(s), `a document ${s}`);
    const deliveryStates = new Set(deliveries.map((d) => d.status));
    for (const s of ['delivered', 'received', 'returned', 'withdrawn', 'filed'] as const) assert.ok(deliveryStates.has(s), `a delivery ${s}`);

    const handled = deliveries.filter((d) => d.completedAt !== null);
    assert.ok(handled.length > 0, 'handled (办结)');
    const late = handled.filter((d) => d.assignment && d.completedAt!.slice(0, 10) > d.assignment.dueDate);
    assert.ok(late.length > 0, 'some handled after their due date');
    assert.ok(events.some((e) => e.type === 'HandlingUrged'), '催办/督办');
    assert.ok(events.some((e) => e.type === 'ReplySent' && (e.data as { replyDocumentId?: string }).replyDocumentId), 'a 批复 or 复函 answering a document');
    const urgencies = new Set(events.filter((e) => e.type === 'DocumentSent').map((e) => (e.data as { urgency: string }).urgency));
    assert.deepEqual([...urgencies].sort(), ['加急', '平件', '特急'].sort());
    const docTypes = new Set(events.filter((e) => e.type === 'DocumentSent').map((e) => (e.data as { docType: string }).docType));
    for (const t of ['通知', '请示', '批复', '函', '报告']) assert.ok(docTypes.has(t), t);
    const returned = events.find((e) => e.type === 'DocumentReturned');
    assert.ok(returned && (returned.data as { reason: string }).reason.length > 10, 'returned with a reason');
    assert.ok(events.some((e) => e.type === 'DocumentRecalled'), 'a recall');
  });

  test('the traffic spans the simulated days and nothing is dated in the future', () => {
    const now = Date.now();
    const times = events.map((e) => Date.parse(e.recordedAt));
    assert.ok(Math.max(...times) <= now);
    assert.equal(chinaDay(new Date(Math.min(...times))), plan.days[0]);
    const sentDays = new Set(events.filter((e) => e.type === 'DocumentSent').map((e) => chinaDay(new Date(e.recordedAt))));
    assert.ok(sentDays.size >= 3, `documents sent on ${[...sentDays].join(', ')}`);
    // Each stream's events are in time order, as the commands happened.
    const last = new Map<string, number>();
    for (const e of events) {
      const t = Date.parse(e.recordedAt);
      assert.ok(t >= (last.get(e.streamId) ?? 0), e.streamId);
      last.set(e.streamId, t);
    }
  });

  test('a second run refuses and changes nothing', async () => {
    const before = (await ledger.status()).events;
    await assert.rejects(
      seedDemo(ledger, clock, planDemo('small'), { dataDir }),
      (error: unknown) => error instanceof Refusal && error.code === 'ALREADY_EXISTS' && /已有单位/.test(error.message),
    );
    assert.equal((await ledger.status()).events, before);
  });
});
