import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { breakParagraph, isNoEnd, isNoStart } from '../../src/render/line-break.ts';

/** Every character one unit wide, half a unit for ASCII: lines of `width` full-width characters. */
const glyphs = (text: string) => Array.from(text, (ch) => ({ ch, width: /[\x20-\x7e]/.test(ch) ? 0.5 : 1 }));
const lines = (text: string, width: number, first = width) => breakParagraph(glyphs(text), first, width).map((l) => l.glyphs.map((g) => g.ch).join(''));

describe('Chinese line breaking (禁则)', () => {
  test('Han text breaks anywhere, every line full', () => {
    assert.deepEqual(lines('一二三四五六七八九十', 4), ['一二三四', '五六七八', '九十']);
  });

  test('a closing mark never starts a line: the character before it moves down with it', () => {
    // Without the rule the second line would begin with "，".
    assert.deepEqual(lines('一二三四，五六七', 4), ['一二三', '四，五六', '七']);
    assert.deepEqual(lines('甲乙丙丁。”戊', 4), ['甲乙丙', '丁。”戊']);
    for (const text of ['春节期间，各地要加强值班。请各单位于月底前报送。', '通知（试行）》发布后、各部门；执行：完毕！是否？']) {
      for (let width = 3; width <= 9; width++) {
        for (const line of lines(text, width).slice(1)) assert.ok(!isNoStart(line[0]!), `width ${width}: line starts with ${line[0]} in ${JSON.stringify(lines(text, width))}`);
      }
    }
  });

  test('an opening mark never ends a line: it moves down with what it opens', () => {
    assert.deepEqual(lines('一二三（四）五', 4), ['一二三', '（四）五']);
    assert.deepEqual(lines('甲乙丙“丁”', 4), ['甲乙丙', '“丁”']);
    for (const text of ['关于《阜阳市“十四五”规划》（草案）的说明', '请「全体」人员【立即】执行']) {
      for (let width = 3; width <= 9; width++) {
        for (const line of lines(text, width)) assert.ok(!isNoEnd(line.at(-1)!), `width ${width}: line ends with ${line.at(-1)} in ${JSON.stringify(lines(text, width))}`);
      }
    }
  });

  test('numbers and Latin words are not split; a word longer than a line is cut', () => {
    assert.deepEqual(lines('截至2025年', 3), ['截至', '2025年']);
    assert.deepEqual(lines('标准GB/T 9704', 4), ['标准GB/T', '9704']);
    assert.deepEqual(lines('标准GB/T 9704', 3), ['标准', 'GB/T', '9704']);
    assert.deepEqual(lines('a'.repeat(20), 3), ['aaaaaa', 'aaaaaa', 'aaaaaa', 'aa']);
  });

  test('every line but the last is justified to the full measure', () => {
    const result = breakParagraph(glyphs('一二三四，五六七'), 4, 4);
    const first = result[0]!;
    // "一二三" fills 4 units: the slack is spread between its three characters.
    assert.equal(first.x.length, 3);
    assert.ok(Math.abs(first.x[2]! + 1 - 4) < 1e-9);
    const last = result.at(-1)!;
    assert.deepEqual(last.x, [0]);
  });

  test('the first line has its own measure (the two-character indent)', () => {
    assert.deepEqual(lines('一二三四五六七八', 4, 2), ['一二', '三四五六', '七八']);
  });

  test('hostile text: 10,000 closing marks or letters still give lines no wider than the measure', () => {
    for (const text of ['。'.repeat(10_000), 'x'.repeat(10_000), '（'.repeat(10_000)]) {
      const result = breakParagraph(glyphs(text), 28, 28);
      assert.equal(result.reduce((n, l) => n + l.glyphs.length, 0), 10_000);
      for (const l of result) assert.ok(l.glyphs.reduce((w, g) => w + g.width, 0) <= 28 + 1e-9);
    }
  });
});
