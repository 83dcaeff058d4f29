import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReleaseDocumentNumber, ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import type { Actor } from '../../../schemas/common.ts';
import { fold } from '../../../src/domain/decider.ts';
import {
  numberingDecider,
  reservedNumberFor,
  staleReservation,
  yearOf,
  type HolderView,
  type NumberingCommand,
  type NumberingEvent,
  type NumberingState,
} from '../../../src/domain/numbering/index.ts';
import { assertRefused, assertValidEvents, command, ISSUER, NOW, sealKeeper } from '../../support/document-fixtures.ts';

const given = (events: readonly NumberingEvent[]): NumberingState => fold(numberingDecider, events);

function when(events: readonly NumberingEvent[], cmd: NumberingCommand, actor: Actor = sealKeeper, holder?: HolderView): NumberingEvent[] {
  const out = numberingDecider.decide(cmd, given(events), { actor, now: NOW, ...(holder && { holder }) });
  assertValidEvents(out);
  return out;
}

let seq = 0;
const SIGNED_OFF = '2025-03-09T01:00:00.000Z';
const SIGNED_OFF_AGAIN = '2025-03-09T03:00:00.000Z';
const reserve = (documentId: string, input: Record<string, unknown> = {}) =>
  command(ReserveDocumentNumber, { commandId: `cmd-reserve-${++seq}`, documentId, unitId: ISSUER, prefix: '阜政办', year: 2025, signedOffAt: SIGNED_OFF, ...input });
const release = (documentId: string) => command(ReleaseDocumentNumber, { commandId: `cmd-release-${++seq}`, documentId, unitId: ISSUER, prefix: '阜政办', year: 2025 });
const SYSTEM: Actor = { userId: 'system', unitId: 'system', role: 'SYSTEM' };

/** Reserve numbers for these documents one after another, as the handler would. */
function reserveAll(documentIds: string[]): NumberingEvent[] {
  let history: NumberingEvent[] = [];
  for (const id of documentIds) history = [...history, ...when(history, reserve(id))];
  return history;
}

describe('ReserveDocumentNumber', () => {
  test('the first number of a stream is 1', () => {
    assert.deepEqual(when([], reserve('doc-a')), [
      {
        type: 'DocumentNumberReserved',
        data: { documentId: 'doc-a', unitId: ISSUER, prefix: '阜政办', year: 2025, number: 1, docNumber: '阜政办〔2025〕1号', signedOffAt: SIGNED_OFF },
      },
    ]);
  });

  test('numbers run from 1 without gaps, one per document', () => {
    const ids = Array.from({ length: 120 }, (_, i) => `doc-${i}`);
    const history = reserveAll(ids);
    assert.deepEqual(
      history.map((e) => e.data.number),
      ids.map((_, i) => i + 1),
    );
    assert.equal(history[11]!.data.docNumber, '阜政办〔2025〕12号');
    assert.equal(history[119]!.data.docNumber, '阜政办〔2025〕120号');
    assert.equal(given(history).lastNumber, 120);
  });

  test('is idempotent per document: a second reservation appends nothing and the number is found again', () => {
    const history = reserveAll(['doc-a', 'doc-b', 'doc-c']);
    assert.deepEqual(when(history, reserve('doc-b')), []);
    assert.deepEqual(reservedNumberFor(given(history), 'doc-b'), { documentId: 'doc-b', prefix: '阜政办', year: 2025, number: 2, docNumber: '阜政办〔2025〕2号', signedOffAt: SIGNED_OFF });
    assert.equal(reservedNumberFor(given(history), 'doc-z'), undefined);
    assert.equal(reservedNumberFor(given([]), 'doc-a'), undefined);
    // After the repeat, the next document still gets the next number: nothing was skipped.
    assert.equal(when(history, reserve('doc-d'))[0]!.data.number, 4);
  });

  test('two writers deciding on the same revision pick the same number (the store’s revision check keeps one)', () => {
    const history = reserveAll(['doc-a']);
    const [first] = when(history, reserve('doc-b'));
    const [second] = when(history, reserve('doc-c'));
    assert.equal(first!.data.number, 2);
    assert.equal(second!.data.number, 2);
    // The loser decides again on the stream that now holds the winner's event.
    assert.equal(when([...history, first!], reserve('doc-c'))[0]!.data.number, 3);
  });

  test('refuses another unit’s numbering: NOT_AUTHORISED', () => {
    assertRefused(() => when([], reserve('doc-a'), { userId: 'keeper-hf', unitId: 'hf-gov-office', role: 'SEAL_KEEPER' }), 'NOT_AUTHORISED');
  });

  test('the ledger itself (SYSTEM) may reserve for any unit', () => {
    assert.equal(when([], reserve('doc-a'), { userId: 'system', unitId: 'system', role: 'SYSTEM' }).length, 1);
  });

  test('refuses a reservation for another prefix, year or unit on this stream: INVALID_STATE', () => {
    const history = reserveAll(['doc-a']);
    assertRefused(() => when(history, reserve('doc-b', { prefix: '阜政办函' })), 'INVALID_STATE', /阜政办函〔2025〕/);
    assertRefused(() => when(history, reserve('doc-b', { year: 2026 })), 'INVALID_STATE', /2026/);
    assertRefused(
      () => when(history, reserve('doc-b', { unitId: 'other-unit' }), { userId: 'system', unitId: 'system', role: 'SYSTEM' }),
      'INVALID_STATE',
      /other-unit/,
    );
  });

  test('the command schema requires a commandId and a plausible year', () => {
    assert.equal(ReserveDocumentNumber.input.safeParse({ documentId: 'd', unitId: ISSUER, prefix: '阜政办', year: 2025 }).success, false);
    assert.equal(ReserveDocumentNumber.input.safeParse({ commandId: 'cmd-00000001', documentId: 'd', unitId: ISSUER, prefix: '阜政办', year: 25 }).success, false);
  });
});

describe('released numbers (issue 9, item 4)', () => {
  test('a document signed off again gives its old reservation back and takes the lowest free number', () => {
    const history = reserveAll(['doc-a', 'doc-b', 'doc-c']);
    const out = when(history, reserve('doc-b', { signedOffAt: SIGNED_OFF_AGAIN }), SYSTEM);
    assert.deepEqual(
      out.map((e) => [e.type, e.data.number]),
      [['DocumentNumberReleased', 2], ['DocumentNumberReserved', 2]],
    );
    assert.equal((out[0]!.data as { reason: string }).reason, 'SIGN_OFF_VOIDED');
    // A reservation under an older sign-off than the one held takes nothing from the newer one.
    assert.deepEqual(when([...history, ...out], reserve('doc-b', { signedOffAt: SIGNED_OFF }), SYSTEM), []);
  });

  test('a stale reservation is released with its reason; the next sealing of the stream reuses the number', () => {
    const history = reserveAll(['doc-a', 'doc-b', 'doc-c']);
    const revised: HolderView = { prefix: '阜政办' }; // revised after the reservation: no sign-off now
    const out = when(history, release('doc-b'), SYSTEM, revised);
    assert.deepEqual(out.map((e) => [e.type, e.data.number, (e.data as { reason?: string }).reason]), [['DocumentNumberReleased', 2, 'SIGN_OFF_VOIDED']]);
    assert.deepEqual(given([...history, ...out]).free, [2]);
    assert.equal(reservedNumberFor(given([...history, ...out]), 'doc-b'), undefined);
    const next = when([...history, ...out], reserve('doc-d'), SYSTEM);
    assert.equal(next[0]!.data.number, 2);
    assert.equal(when([...history, ...out, ...next], reserve('doc-e'), SYSTEM)[0]!.data.number, 4);
    assert.deepEqual(when(history, release('doc-b'), SYSTEM, { prefix: '阜政' }).map((e) => (e.data as { reason?: string }).reason), ['PREFIX_CHANGED']);
  });

  test('a reservation the document can still use, or was sealed with, is never released', () => {
    const history = reserveAll(['doc-a']);
    assert.deepEqual(when(history, release('doc-a'), SYSTEM, { prefix: '阜政办', signedOffAt: SIGNED_OFF }), []);
    const number = { prefix: '阜政办', year: 2025, number: 1, docNumber: '阜政办〔2025〕1号' };
    assert.deepEqual(when(history, release('doc-a'), SYSTEM, { prefix: '阜政办', number }), []);
    assert.deepEqual(when(history, release('doc-z'), SYSTEM, { prefix: '阜政办' }), []);
  });

  test('staleness never reverts: a voided sign-off is not revived by a later one', () => {
    const r = { documentId: 'doc-a', prefix: '阜政办', year: 2025, number: 1, docNumber: '阜政办〔2025〕1号', signedOffAt: SIGNED_OFF };
    assert.equal(staleReservation(r, { prefix: '阜政办', signedOffAt: SIGNED_OFF }), undefined);
    assert.equal(staleReservation(r, { prefix: '阜政办' }), 'SIGN_OFF_VOIDED');
    assert.equal(staleReservation(r, { prefix: '阜政办', signedOffAt: SIGNED_OFF_AGAIN }), 'SIGN_OFF_VOIDED');
    assert.equal(staleReservation(r, { prefix: '阜政', signedOffAt: SIGNED_OFF }), 'PREFIX_CHANGED');
  });
});

describe('yearOf', () => {
  test('reckons the year in the configured zone', () => {
    assert.equal(yearOf('2025-12-31T17:00:00Z', 'Asia/Shanghai'), 2026);
    assert.equal(yearOf('2025-12-31T15:59:59.999Z', 'Asia/Shanghai'), 2025);
    assert.equal(yearOf('2025-12-31T16:00:00Z', 'Asia/Shanghai'), 2026);
    assert.equal(yearOf('2025-12-31T17:00:00Z', 'UTC'), 2025);
    assert.equal(yearOf('2026-01-01T00:30:00+08:00', 'Asia/Shanghai'), 2026);
    assert.equal(yearOf('2026-01-01T00:30:00+08:00', 'UTC'), 2025);
  });

  test('refuses an unknown zone or a time that is not one', () => {
    assert.throws(() => yearOf(NOW, 'Mars/Olympus'), RangeError);
    assert.throws(() => yearOf('not a time', 'Asia/Shanghai'), RangeError);
  });
});
