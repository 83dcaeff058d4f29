import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DocNumber } from '../../../schemas/events/document.ts';
import { formatDocNumber, isDocNumber, normalizeDocNumber, parseDocNumber } from '../../../src/domain/document/doc-number.ts';

describe('formatDocNumber', () => {
  test('writes 机关代字〔year〕n号 with no padding and no 第', () => {
    assert.equal(formatDocNumber('阜政办', 2025, 12), '阜政办〔2025〕12号');
    assert.equal(formatDocNumber('国办发', 2012, 1), '国办发〔2012〕1号');
    assert.equal(formatDocNumber('阜政办函', 2026, 305), '阜政办函〔2026〕305号');
  });

  test('refuses what cannot be a document number', () => {
    assert.throws(() => formatDocNumber('阜政办', 2025, 0), RangeError);
    assert.throws(() => formatDocNumber('阜政办', 2025, -1), RangeError);
    assert.throws(() => formatDocNumber('阜政办', 2025, 1.5), RangeError);
    assert.throws(() => formatDocNumber('阜政办', 25, 1), RangeError);
    assert.throws(() => formatDocNumber('', 2025, 1), RangeError);
    assert.throws(() => formatDocNumber('阜 政办', 2025, 1), RangeError);
    assert.throws(() => formatDocNumber('阜政办〔', 2025, 1), RangeError);
  });
});

describe('parseDocNumber', () => {
  test('reads the parts back', () => {
    assert.deepEqual(parseDocNumber('阜政办〔2025〕12号'), { prefix: '阜政办', year: 2025, number: 12 });
    for (const [p, y, n] of [['国办发', 2012, 1], ['阜政办函', 2026, 999], ['皖政', 2024, 100000]] as const) {
      assert.deepEqual(parseDocNumber(formatDocNumber(p, y, n)), { prefix: p, year: y, number: n });
    }
  });

  test('accepts only the standard form', () => {
    for (const wrong of [
      '阜政办[2025]12号',
      '阜政办［2025］12号',
      '阜政办【2025】12号',
      '阜政办(2025)12号',
      '阜政办〔2025〕第12号',
      '阜政办〔2025〕012号',
      '阜政办〔25〕12号',
      '阜政办〔2025〕12',
      '〔2025〕12号',
      '阜政办〔2025〕0号',
      ' 阜政办〔2025〕12号',
    ]) {
      assert.equal(parseDocNumber(wrong), undefined, wrong);
      assert.equal(isDocNumber(wrong), false, wrong);
    }
  });

  test('the DocNumber schema agrees with the parser', () => {
    for (const text of ['阜政办〔2025〕12号', '阜政办〔2025〕012号', '阜政办[2025]12号', '阜政办〔2025〕第12号', 'ABC〔2025〕7号']) {
      assert.equal(DocNumber.safeParse(text).success, isDocNumber(text), text);
    }
  });
});

describe('normalizeDocNumber', () => {
  test('maps the usual misspellings to the standard form', () => {
    for (const text of [
      '阜政办〔2025〕12号',
      '阜政办[2025]12号',
      '阜政办［2025］12号',
      '阜政办【2025】第12号',
      '阜政办（2025）012号',
      '阜政办﹝2025﹞12号',
      ' 阜政办 〔２０２５〕 １２ 号 ',
    ]) {
      assert.equal(normalizeDocNumber(text), '阜政办〔2025〕12号', text);
    }
  });

  test('gives up on what is not a document number', () => {
    assert.equal(normalizeDocNumber('阜政办2025年12号'), undefined);
    assert.equal(normalizeDocNumber('阜政办〔2025〕0号'), undefined);
    assert.equal(normalizeDocNumber(''), undefined);
  });
});
