import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CommandService } from '../../src/app/command-service.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { streams } from '../../src/domain/streams.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { SealKeyVault } from '../../src/seal/seal-key-vault.ts';
import { startApi } from '../support/http.ts';
import { cmdId, createTestLedger, draftInput, refusal, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/**
 * Issue 9, items 4 and 5: a reserved 发文字号 that can no longer be used is released with its reason
 * and reused by the next sealing of its prefix and year; a refused sealing leaves the register as
 * it was; a sealing interrupted on 31 December completes after midnight with its number; and the
 * register (numberRegister) lists every number, without a gap.
 */

/** The command service of `ledger` on a store that lets the test act between two of its calls. */
function serviceWith(ledger: Ledger, store: EventStore, now: () => Date) {
  const deps = { store, pool: ledger.db.pool, config: ledger.config, vault: new SealKeyVault(ledger.db.pool, ledger.key.macKey), sealIssuer: ledger.key, supervision: ledger.supervision, now };
  return new CommandService(deps, ledger.securityLog);
}

/** The real store, with `hook` run after each successful append (and able to fail the append). */
function hooked(store: Ledger['store'], hook: (streamId: string, phase: 'before' | 'after') => Promise<void>): EventStore {
  return {
    readStream: (id) => store.readStream(id),
    append: async (streamId, events, options) => {
      await hook(streamId, 'before');
      const result = await store.append(streamId, events, options);
      await hook(streamId, 'after');
      return result;
    },
    readAll: (from, limit) => store.readAll(from, limit),
    backlog: (from) => store.backlog(from),
    subscribeAll: (from) => store.subscribeAll(from),
    findCommand: (id) => store.findCommand(id),
    findCommandSteps: (id) => store.findCommandSteps(id),
    awaitVisible: (timeoutMs) => store.awaitVisible(timeoutMs),
    close: async () => {},
  };
}

const numbers = async (ledger: Ledger, prefix: string, year: number) =>
  (await ledger.store.readStream(streams.numbering('city-office', prefix, year))).events.map((e) => [e.type, (e.data as { number: number }).number, (e.data as { documentId: string }).documentId]);

const REGISTER = `query ($unitId: ID!, $prefix: String!, $year: Int!) {
  numberRegister(unitId: $unitId, prefix: $prefix, year: $year) { lastNumber totalCount pageInfo { hasNextPage } edges { node { number docNumber status documentId reason reasonText } } }
}`;

describe('released numbers and the register', async () => {
  let clock = new Date('2025-12-31T08:00:00.000Z');
  // A clock that the test sets, moving on by a millisecond at every reading (two sign-offs of one
  // document are never at the same instant).
  const now = () => (clock = new Date(clock.getTime() + 1));
  const ledger = await createTestLedger({ now });
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'fin', name: '纪检员', roles: ['INSPECTOR'] });
  const office = city.units[0]!;
  const api = await startApi(ledger);
  after(() => api.close());
  const seal = (documentId: string, commandId = cmdId()) =>
    ledger.commands.execute(office.keeper, 'SealDocument', { commandId, documentId, sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
  const signedOff = async (documentId: string, over: Record<string, unknown> = {}) => {
    await city.run(office.clerk, 'DraftDocument', draftInput(documentId, over));
    await city.run(office.leader, 'SignOffDocument', { documentId });
  };

  test('a prefix changed after PrepareSealing: the old number is released and taken by the next sealing', async () => {
    await signedOff('rel-a');
    await signedOff('rel-b');
    await city.run(office.keeper, 'PrepareSealing', { documentId: 'rel-a', sealId: 'city-office-seal' });
    await city.run(office.keeper, 'PrepareSealing', { documentId: 'rel-b', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'ReviseDraft', { documentId: 'rel-a', docNumberPrefix: '阜政' });
    await city.run(office.leader, 'SignOffDocument', { documentId: 'rel-a' });
    const sealedA = await seal('rel-a');
    assert.equal((sealedA.events.find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string }).docNumber, '阜政〔2025〕1号');
    assert.deepEqual(await numbers(ledger, '阜政办', 2025), [
      ['DocumentNumberReserved', 1, 'rel-a'],
      ['DocumentNumberReserved', 2, 'rel-b'],
      ['DocumentNumberReleased', 1, 'rel-a'],
    ]);
    await signedOff('rel-c');
    const sealedC = await seal('rel-c');
    assert.equal((sealedC.events.find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string }).docNumber, '阜政办〔2025〕1号');
    await seal('rel-b');
  });

  test('a sealing refused after its reservation (a revision raced it) leaves the register as it was', async () => {
    await signedOff('rel-d');
    let revised = false;
    const racing = hooked(ledger.store, async (streamId, phase) => {
      // Right after the number is reserved, the clerk revises the draft: the sign-off is void.
      if (phase === 'after' && streamId.startsWith('numbering-') && !revised) {
        revised = true;
        await city.run(office.clerk, 'ReviseDraft', { documentId: 'rel-d', title: '关于电子公文交换工作的补充通知' });
      }
    });
    const before = await numbers(ledger, '阜政办', 2025);
    const r = await refusal(serviceWith(ledger, racing, now).execute(office.keeper, 'SealDocument', { commandId: cmdId(), documentId: 'rel-d', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }));
    assert.equal(r.code, 'INVALID_STATE');
    const after = await numbers(ledger, '阜政办', 2025);
    assert.deepEqual(after.slice(before.length), [
      ['DocumentNumberReserved', 3, 'rel-d'],
      ['DocumentNumberReleased', 3, 'rel-d'],
    ]);
    // The number is the next sealing's, whichever document it is.
    await signedOff('rel-e');
    const sealedE = await seal('rel-e');
    assert.equal((sealedE.events.find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string }).docNumber, '阜政办〔2025〕3号');
  });

  test('a document revised and signed off again after PrepareSealing gets a number under its new sign-off, no gap', async () => {
    await signedOff('rel-f');
    await city.run(office.keeper, 'PrepareSealing', { documentId: 'rel-f', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'ReviseDraft', { documentId: 'rel-f', title: '关于电子公文交换工作的通知（修订）' });
    await city.run(office.leader, 'SignOffDocument', { documentId: 'rel-f' });
    const sealed = await seal('rel-f');
    assert.deepEqual(sealed.events.map((e) => e.type), ['DocumentNumberReleased', 'DocumentNumberReserved', 'DocumentNumbered', 'DocumentSealed']);
    assert.equal((sealed.events.at(-1)!.data as { docNumber: string }).docNumber, '阜政办〔2025〕4号');
  });

  test('a sealing interrupted on 31 December completes after midnight with the number it reserved', async () => {
    clock = new Date('2025-12-31T15:59:59.000Z'); // 23:59:59 in Beijing
    await signedOff('rel-g');
    let crashed = false;
    const crashing = hooked(ledger.store, async (streamId, phase) => {
      if (phase === 'before' && streamId === streams.document('rel-g') && !crashed) {
        crashed = true;
        throw new Error('connection lost');
      }
    });
    const commandId = cmdId();
    await assert.rejects(serviceWith(ledger, crashing, now).execute(office.keeper, 'SealDocument', { commandId, documentId: 'rel-g', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE }), /connection lost/);
    clock = new Date('2025-12-31T16:00:01.000Z'); // 00:00:01 on 1 January in Beijing
    const retried = await seal('rel-g', commandId);
    assert.equal((retried.events.at(-1)!.data as { docNumber: string }).docNumber, '阜政办〔2025〕5号');
    assert.deepEqual(await numbers(ledger, '阜政办', 2026), []);
    // The first sealing of the new year starts at 1.
    await signedOff('rel-h');
    const next = await seal('rel-h');
    assert.equal((next.events.at(-1)!.data as { docNumber: string }).docNumber, '阜政办〔2026〕1号');
  });

  test('PrepareSealing on 31 December, sealing after midnight: the 2025 number is used, nothing left in 2026', async () => {
    clock = new Date('2025-12-31T15:30:00.000Z');
    await signedOff('rel-i');
    await city.run(office.keeper, 'PrepareSealing', { documentId: 'rel-i', sealId: 'city-office-seal' });
    clock = new Date('2025-12-31T16:30:00.000Z');
    const sealed = await seal('rel-i');
    assert.deepEqual(sealed.events.map((e) => e.type), ['DocumentNumbered', 'DocumentSealed']);
    assert.equal((sealed.events.at(-1)!.data as { docNumber: string }).docNumber, '阜政办〔2025〕6号');
    assert.deepEqual((await numbers(ledger, '阜政办', 2026)).length, 1);
  });

  test('numberRegister lists every number in order, with its document or its reason, without a gap', async () => {
    const r = await api.gql('city-office-clerk', REGISTER, { unitId: 'city-office', prefix: '阜政办', year: 2025 });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const register = r.data!.numberRegister;
    assert.equal(register.lastNumber, 6);
    assert.deepEqual(
      register.edges.map(({ node: e }: { node: Record<string, unknown> }) => e).map((e: Record<string, unknown>) => [e.number, e.status, e.documentId]),
      [
        [1, 'ISSUED', 'rel-c'],
        [2, 'ISSUED', 'rel-b'],
        [3, 'ISSUED', 'rel-e'],
        [4, 'ISSUED', 'rel-f'],
        [5, 'ISSUED', 'rel-g'],
        [6, 'ISSUED', 'rel-i'],
      ],
    );
    // A released number not taken again shows its reason.
    await signedOff('rel-j');
    await city.run(office.keeper, 'PrepareSealing', { documentId: 'rel-j', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'ReviseDraft', { documentId: 'rel-j', docNumberPrefix: '阜政' });
    await city.run(office.leader, 'SignOffDocument', { documentId: 'rel-j' });
    await seal('rel-j');
    const again = await api.gql('inspector', REGISTER, { unitId: 'city-office', prefix: '阜政办', year: 2026 });
    assert.deepEqual(
      again.data!.numberRegister.edges.map(({ node: e }: { node: Record<string, unknown> }) => e).map((e: Record<string, unknown>) => [e.number, e.status, e.documentId, e.reason]),
      [
        [1, 'ISSUED', 'rel-h', null],
        [2, 'RELEASED', 'rel-j', 'PREFIX_CHANGED'],
      ],
    );
    assert.match(again.data!.numberRegister.edges[1].node.reasonText, /机关代字/);
  });

  test('numberRegister is for the unit’s own clerks and leaders, and inspectors', async () => {
    assert.equal((await api.gql('city-office-leader', REGISTER, { unitId: 'city-office', prefix: '阜政办', year: 2025 })).errors, undefined);
    for (const userId of ['edu-clerk', 'city-office-keeper']) {
      const r = await api.gql(userId, REGISTER, { unitId: 'city-office', prefix: '阜政办', year: 2025 });
      assert.equal(r.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED', userId);
    }
  });
});
