import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import type { Actor } from '../../../schemas/common.ts';
import { fold } from '../../../src/domain/decider.ts';
import {
  numberingDecider,
  reservedNumberFor,
  yearOf,
  type NumberingCommand,
  type NumberingEvent,
  type NumberingState,
} from '../../../src/domain/numbering/index.ts';
import { assertRefused, assertValidEvents, command, ISSUER, NOW, sealKeeper } from '../../support/document-fixtures.ts';

const given = (events: readonly NumberingEvent[]): NumberingState => fold(numberingDecider, events);

function when(events: readonly NumberingEvent[], cmd: NumberingCommand, actor: Actor = sealKeeper): NumberingEvent[] {
  const out = numberingDecider.decide(cmd, given(events), { actor, now: NOW });
  assertValidEvents(out);
  return out;
}

let seq = 0;
const reserve = (documentId: string, input: Record<string, unknown> = {}) =>
  command(ReserveDocumentNumber, { commandId: `cmd-reserve-${++seq}`, documentId, unitId: ISSUER, prefix: '阜政办', year: 2025, ...input });

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
        data: { documentId: 'doc-a', unitId: ISSUER, prefix: '阜政办', year: 2025, number: 1, docNumber: '阜政办〔2025〕1号' },
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
    assert.deepEqual(reservedNumberFor(given(history), 'doc-b'), { prefix: '阜政办', year: 2025, number: 2, docNumber: '阜政办〔2025〕2号' });
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
