import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { documentDecider } from '../../src/domain/document/index.ts';
import { streams } from '../../src/domain/streams.ts';
import { handleCommand } from '../../src/app/handle-command.ts';
import { ConcurrencyError, type EventStore } from '../../src/eventstore/port.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { SEAL_PASSPHRASE, cmdId, createTestLedger, draftInput, refusal, seedCity } from '../support/ledger.ts';

/**
 * Issue 9, items 1–3: a known commandId returns its first outcome before anything is decided, in
 * every route (multi-step ones included); authorisation comes first, also for a repeat, and a
 * repeat by another actor is COMMAND_ID_REUSED; a retry after a conflict compares fingerprints.
 */
describe('idempotency and authorisation of repeated commands', async () => {
  const ledger: Ledger = await createTestLedger();
  const city = await seedCity(ledger);

  const securityLogFor = async (commandId: string) =>
    (await ledger.db.pool.query<{ code: string }>('SELECT code FROM security_log WHERE command_id = $1', [commandId])).rows.map((r) => r.code);

  async function signedOff(documentId: string) {
    const office = city.units[0]!;
    await city.run(office.clerk, 'DraftDocument', draftInput(documentId));
    await city.run(office.leader, 'SignOffDocument', { documentId });
  }

  test('SealDocument repeated with its commandId returns the first outcome, reservation included, and logs no refusal', async () => {
    const office = city.units[0]!;
    await signedOff('idem-seal');
    const commandId = cmdId();
    const input = { commandId, passphrase: SEAL_PASSPHRASE, documentId: 'idem-seal', sealId: 'city-office-seal' };
    const first = await ledger.commands.execute(office.keeper, 'SealDocument', input);
    assert.deepEqual(first.events.map((e) => e.type), ['DocumentNumberReserved', 'DocumentNumbered', 'DocumentSealed']);
    const again = await ledger.commands.execute(office.keeper, 'SealDocument', input);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.events.map((e) => e.eventId), first.events.map((e) => e.eventId));
    // The passphrase is no part of the fingerprint: the repeat is the same command.
    const withOtherPassphrase = await ledger.commands.execute(office.keeper, 'SealDocument', { ...input, passphrase: 'not-the-passphrase' });
    assert.equal(withOtherPassphrase.duplicate, true);
    assert.deepEqual(await securityLogFor(commandId), []);
  });

  test('PrepareSealing repeated returns its first outcome', async () => {
    const office = city.units[0]!;
    await signedOff('idem-prepare');
    const input = { commandId: cmdId(), documentId: 'idem-prepare', sealId: 'city-office-seal' };
    const first = await ledger.commands.execute(office.keeper, 'PrepareSealing', input);
    assert.deepEqual(first.events.map((e) => e.type), ['DocumentNumberReserved']);
    const again = await ledger.commands.execute(office.keeper, 'PrepareSealing', input);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.events.map((e) => e.eventId), first.events.map((e) => e.eventId));
  });

  test('RecallDocument repeated returns the withdrawals and the recall of its first run', async () => {
    const office = city.units[0]!;
    await signedOff('idem-recall');
    await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'idem-recall', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'SendDocument', { documentId: 'idem-recall' });
    await ledger.settle();
    const input = { commandId: cmdId(), documentId: 'idem-recall', reason: '附件有误，重新发文' };
    const first = await ledger.commands.execute(office.clerk, 'RecallDocument', input);
    assert.deepEqual(first.events.map((e) => e.type), ['DeliveryWithdrawn', 'DeliveryWithdrawn', 'DeliveryWithdrawn', 'DocumentRecalled']);
    const again = await ledger.commands.execute(office.clerk, 'RecallDocument', input);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.events.map((e) => e.eventId), first.events.map((e) => e.eventId));
    assert.deepEqual(await securityLogFor(input.commandId), []);
  });

  test("another unit's leader repeating someone else's sign-off is COMMAND_ID_REUSED, and it is logged", async () => {
    const office = city.units[0]!;
    const edu = city.units[1]!;
    await city.run(office.clerk, 'DraftDocument', draftInput('idem-signoff'));
    const input = { commandId: cmdId(), documentId: 'idem-signoff' };
    await ledger.commands.execute(office.leader, 'SignOffDocument', input);
    const r = await refusal(ledger.commands.execute(edu.leader, 'SignOffDocument', input));
    assert.equal(r.code, 'COMMAND_ID_REUSED');
    assert.deepEqual(await securityLogFor(input.commandId), ['COMMAND_ID_REUSED']);
    // With a fresh commandId the same user is refused by the unit rule: a unit that may not read the
    // document is told what it would be told of none (NOT_FOUND, #10).
    assert.equal((await refusal(city.run(edu.leader, 'SignOffDocument', { documentId: 'idem-signoff' }))).code, 'NOT_FOUND');
    // A user without the role is refused by role before the look-up, repeat or not.
    assert.equal((await refusal(ledger.commands.execute(office.clerk, 'SignOffDocument', input))).code, 'NOT_AUTHORISED');
    // The first actor's own repeat is still the first outcome.
    assert.equal((await ledger.commands.execute(office.leader, 'SignOffDocument', input)).duplicate, true);
  });

  test("a recipient clerk of another unit repeating a receipt's commandId is COMMAND_ID_REUSED", async () => {
    const office = city.units[0]!;
    const [, edu, fin] = city.units;
    await signedOff('idem-receive');
    await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'idem-receive', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'SendDocument', { documentId: 'idem-receive' });
    await ledger.settle();
    const input = { commandId: cmdId(), documentId: 'idem-receive', unitId: 'edu' };
    await ledger.commands.execute(edu!.clerk, 'ReceiveDocument', input);
    assert.equal((await refusal(ledger.commands.execute(fin!.clerk, 'ReceiveDocument', input))).code, 'COMMAND_ID_REUSED');
  });

  test('a retry after a conflict does not return another command that took the commandId meanwhile', async () => {
    const office = city.units[0]!;
    await city.run(office.clerk, 'DraftDocument', draftInput('idem-race-a'));
    await city.run(office.clerk, 'DraftDocument', draftInput('idem-race-b'));
    const commandId = cmdId();
    const store = ledger.store;
    const target = streams.document('idem-race-a');
    let interleaved = false;
    // The real store, with two other writers slipped in at the worst moments: one moves the target
    // stream after it was read (so the append conflicts), the other takes the commandId for a
    // different command on another stream before the handler looks the commandId up again.
    const racing: EventStore = {
      readStream: async (streamId) => {
        const read = await store.readStream(streamId);
        if (streamId === target && !interleaved) {
          await city.run(office.clerk, 'ReviseDraft', { documentId: 'idem-race-a', title: '关于电子公文交换工作的补充通知' });
        }
        return read;
      },
      append: async (...args) => {
        try {
          return await store.append(...args);
        } catch (error) {
          if (error instanceof ConcurrencyError && !interleaved) {
            interleaved = true;
            await ledger.commands.execute(office.leader, 'SignOffDocument', { commandId, documentId: 'idem-race-b' });
          }
          throw error;
        }
      },
      readAll: (from, limit) => store.readAll(from, limit),
      backlog: (from) => store.backlog(from),
      subscribeAll: (from) => store.subscribeAll(from),
      findCommand: (id) => store.findCommand(id),
      findCommandSteps: (id) => store.findCommandSteps(id),
      awaitVisible: (timeoutMs) => store.awaitVisible(timeoutMs),
      close: async () => {},
    };
    const actor = { userId: 'city-office-leader', unitId: 'city-office', role: 'LEADER' as const };
    const r = await refusal(
      handleCommand(
        racing,
        { streamId: target, decider: documentDecider, context: () => ({ actor, now: new Date().toISOString() }) },
        { command: { type: 'SignOffDocument', data: { commandId, documentId: 'idem-race-a' } }, commandId, actor },
        { maxAttempts: 3 },
      ),
    );
    assert.ok(interleaved);
    assert.equal(r.code, 'COMMAND_ID_REUSED');
  });
});
