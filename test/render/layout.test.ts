import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDocument, type RenderInput } from '../../src/render/index.ts';
import { BLOCK, CHARS_PER_LINE, LINES_PER_PAGE, MM, PITCH } from '../../src/render/layout.ts';
import { SUBSTITUTE } from '../../src/render/text.ts';
import { pdfFonts, pdfInfo, pdfWords, redInk, type Word } from './pdf-facts.ts';
import { sampleInput } from './sample.ts';

/**
 * Layout facts of GB/T 9704-2012 measured from the PDF itself (poppler's pdftotext -bbox for the
 * text, pdftoppm for the red ink), never from the layout code's own numbers.
 */

const HAN = '国务院办公厅关于进一步加强政务公开工作的意见各地区各部门要坚持以人民为中心的发展思想推进决策执行管理服务结果公开';
/** Paragraphs of Han characters only (no punctuation, so no line is shortened by 禁则). */
const hanBody = (paragraphs: number, length = 276) => Array.from({ length: paragraphs }, (_, i) => HAN.repeat(6).slice(i % 7, (i % 7) + length)).join('\n');

const RIGHT = BLOCK.left + BLOCK.width;
const BOTTOM = BLOCK.top + BLOCK.height;
const centreY = (w: Word) => (w.yMin + w.yMax) / 2;
const gridLine = (w: Word) => Math.floor((centreY(w) - BLOCK.top) / PITCH);
const isHanLine = (w: Word) => /^[\p{Script=Han}]+$/u.test(w.text) && w.text.length > 2;

async function render(over: Partial<RenderInput>) {
  const r = await renderDocument(sampleInput(over));
  return { ...r, ...(await pdfWords(r.pdf)) };
}

describe('GB/T 9704 layout, measured from the PDF', async () => {
  const one = await render({ body: hanBody(1, 20), attachments: [], mainRecipients: ['各县（市、区）人民政府'], ccRecipients: [], remarks: null });
  const two = await render({});
  const thirty = await render({ body: hanBody(62), attachments: [], ccRecipients: ['市委各部门'] });

  test('bodies of 1, 2 and 30 pages give 1, 2 and 30 A4 pages', () => {
    assert.deepEqual([one.pageCount, two.pageCount, thirty.pageCount], [1, 2, 30]);
    for (const r of [one, two, thirty]) {
      assert.equal(r.pages.length, r.pageCount);
      for (const p of r.pages) {
        assert.ok(Math.abs(p.width - 210 * MM) < 0.5 && Math.abs(p.height - 297 * MM) < 0.5, `A4: ${p.width} × ${p.height}`);
      }
    }
  });

  test('the 版心: text starts 28 mm from the left edge and ends within 156 mm; 37 mm 天头', () => {
    for (const r of [one, two, thirty]) {
      const text = r.words.filter(isHanLine);
      const left = Math.min(...text.map((w) => w.xMin));
      const right = Math.max(...text.map((w) => w.xMax));
      assert.ok(Math.abs(left - 28 * MM) < 0.5, `left margin ${(left / MM).toFixed(2)} mm`);
      assert.ok(right <= RIGHT + 0.5 && right > RIGHT - 1, `right edge ${(right / MM).toFixed(2)} mm`);
      // Every line of text lies in one of the 22 lines of the 版心 (page numbers excepted).
      for (const w of r.words.filter((w) => w.text !== '—' && !/^\d+$/.test(w.text))) {
        assert.ok(centreY(w) > BLOCK.top && centreY(w) < BOTTOM, `"${w.text}" at ${(centreY(w) / MM).toFixed(1)} mm is outside the 版心`);
      }
    }
  });

  test('a long body: 28 characters a line and 22 lines a page', () => {
    // Pages 2 to 28 are full; 29 gives its last lines to the 署名 page (never a page without text).
    for (let page = 2; page < 29; page++) {
      const lines = thirty.words.filter((w) => w.page === page && isHanLine(w));
      assert.equal(new Set(lines.map(gridLine)).size, LINES_PER_PAGE, `page ${page}`);
      assert.deepEqual([...new Set(lines.map(gridLine))].sort((a, b) => a - b), [...Array(LINES_PER_PAGE).keys()]);
      // Full lines hold 28 characters; a paragraph's first line 26 (two-character indent).
      for (const w of lines) {
        const indented = Math.abs(w.xMin - (BLOCK.left + (2 * BLOCK.width) / CHARS_PER_LINE)) < 0.5;
        if (w.xMax > RIGHT - 1) assert.equal(Array.from(w.text).length, indented ? CHARS_PER_LINE - 2 : CHARS_PER_LINE, `page ${page}: ${w.text}`);
      }
    }
    // Consecutive lines are one grid line (225/22 mm) apart.
    const page2 = thirty.words.filter((w) => w.page === 2 && isHanLine(w)).sort((a, b) => a.yMin - b.yMin);
    for (let i = 1; i < page2.length; i++) assert.ok(Math.abs(page2[i]!.yMin - page2[i - 1]!.yMin - PITCH) < 0.05);
  });

  test('the 版头: urgency, the red 发文机关标志 35 mm below the 版心, 发文字号, red rule, title', async () => {
    const first = one.words.filter((w) => w.page === 1);
    const mark = first.find((w) => w.text === '阜阳市人民政府办公室文件')!;
    assert.ok(mark, 'mark');
    assert.ok(Math.abs((mark.xMin + mark.xMax) / 2 - (BLOCK.left + RIGHT) / 2) < 1, 'mark centred');
    const number = first.find((w) => w.text === '阜政办〔2025〕12号')!;
    assert.ok(Math.abs((number.xMin + number.xMax) / 2 - (BLOCK.left + RIGHT) / 2) < 1, '发文字号 centred');
    assert.equal(first.find((w) => w.text === '加急')?.xMin.toFixed(1), BLOCK.left.toFixed(1));
    // Red ink on page 1 above the 发文字号 is the mark: its top 35 mm (±1.5) below the 版心's top.
    const markInk = await redInk(one.pdf, 1, 0, number.yMin);
    assert.ok(markInk);
    assert.ok(Math.abs(markInk.yMin - (BLOCK.top + 35 * MM)) < 1.5 * MM, `mark top at ${((markInk.yMin - BLOCK.top) / MM).toFixed(1)} mm`);
    // The red rule spans the 版心, 4 mm below the 发文字号 and above the title.
    const title = first.filter((w) => w.text.includes('年春节期间安全生产工作的通知'))[0]!;
    const ruleInk = await redInk(one.pdf, 1, number.yMax, title.yMin);
    assert.ok(ruleInk, 'a red rule between the 发文字号 and the title');
    assert.ok(Math.abs(ruleInk.xMin - BLOCK.left) <= 1 && Math.abs(ruleInk.xMax - RIGHT) <= 1.5, `rule from ${ruleInk.xMin} to ${ruleInk.xMax}`);
    assert.ok(ruleInk.yMin - number.yMax < 6 * MM, 'rule about 4 mm below the 发文字号');
  });

  test('the seal (~42 mm, red) is pressed over the 署名 and the 成文日期, which sit a little below its centre', async () => {
    for (const r of [one, two]) {
      const last = r.pageCount;
      const date = r.words.find((w) => w.page === last && w.text === '2025年1月10日')!;
      const issuer = r.words.find((w) => w.page === last && w.text === '阜阳市人民政府办公室')!;
      assert.ok(date && issuer, 'date and 署名 on the last page');
      // 成文日期 four characters in from the right; 署名 centred over it.
      assert.ok(Math.abs(RIGHT - date.xMax - 4 * (BLOCK.width / CHARS_PER_LINE)) < 1, `date right edge ${RIGHT - date.xMax}`);
      assert.ok(Math.abs((issuer.xMin + issuer.xMax) / 2 - (date.xMin + date.xMax) / 2) < 1);
      const seal = (await redInk(r.pdf, last, date.yMin - 80 * MM))!;
      const diameter = (seal.xMax - seal.xMin) / MM;
      assert.ok(Math.abs(diameter - 42) < 1.5, `seal ${diameter.toFixed(1)} mm wide`);
      const sx = (seal.xMin + seal.xMax) / 2;
      const sy = (seal.yMin + seal.yMax) / 2;
      assert.ok(Math.abs(sx - (date.xMin + date.xMax) / 2) < 2, 'seal centred on the date');
      assert.ok(seal.yMin < issuer.yMin && seal.yMax > date.yMax, 'seal covers 署名 and date');
      assert.ok(sy < (centreY(issuer) + centreY(date)) / 2 && sy > centreY(issuer) - PITCH, '署名 and date a little below the seal centre');
      assert.ok(seal.yMax < BOTTOM, 'seal inside the 版心');
    }
  });

  test('附件说明, 附注 and the 版记 with 抄送 and 印发 at the foot of the last page', () => {
    const last = two.words.filter((w) => w.page === 2);
    const attachment = last.find((w) => w.text.startsWith('附件：1.春节期间安全生产检查表'))!;
    assert.ok(attachment, '附件说明 without the file extension');
    assert.ok(Math.abs(attachment.xMin - BLOCK.left - 2 * (BLOCK.width / CHARS_PER_LINE)) < 0.5, '附件 two characters in');
    const second = last.find((w) => w.text === '2.值班安排表')!;
    assert.ok(Math.abs(second.xMin - (attachment.xMin + 3 * (BLOCK.width / CHARS_PER_LINE))) < 0.5, 'second name under the first');
    assert.ok(last.some((w) => w.text === '（此件公开发布）'));
    const printed = last.find((w) => w.text === '2025年1月10日印发')!;
    assert.equal(gridLine(printed), LINES_PER_PAGE - 1, '印发 on the last line');
    assert.ok(Math.abs(RIGHT - printed.xMax - 14) < 1, '印发日期 one character in from the right');
    const cc = last.find((w) => w.text.startsWith('抄送：'))!;
    assert.ok(cc && gridLine(cc) < LINES_PER_PAGE - 1);
    assert.ok(last.some((w) => w.text.endsWith('市检察院。')), 'the last 抄送机关 ends with 。');
  });

  test('page numbers — n — 7 mm below the 版心: odd pages right, even pages left, one character in', () => {
    for (let page = 1; page <= thirty.pageCount; page++) {
      const on = thirty.words.filter((w) => w.page === page && w.yMin > BOTTOM);
      assert.deepEqual(
        on.map((w) => w.text),
        ['—', String(page), '—'],
        `page ${page}`,
      );
      const [left, , right] = on;
      assert.ok(left!.yMin > BOTTOM + 5 * MM && left!.yMin < BOTTOM + 9 * MM);
      if (page % 2 === 1) assert.ok(Math.abs(RIGHT - right!.xMax - 14) < 1.5, `page ${page} right`);
      else assert.ok(Math.abs(left!.xMin - BLOCK.left - 14) < 1.5, `page ${page} left`);
    }
  });

  test('PDF/A: identification in the XMP, every font embedded as a subset, metadata from the document', async () => {
    const fonts = await pdfFonts(two.pdf);
    const rows = fonts.split('\n').slice(2).filter(Boolean);
    assert.ok(rows.length >= 3);
    for (const row of rows) assert.match(row, /\+\S+.*\byes\s+yes\s+yes\b/, row);
    const text = two.pdf.toString('latin1');
    assert.match(text, /<pdfaid:part>2<\/pdfaid:part>/);
    assert.match(text, /<pdfaid:conformance>B<\/pdfaid:conformance>/);
    assert.match(text, /\/OutputIntents/);
    const info = await pdfInfo(two.pdf);
    assert.match(info, /Title:\s+阜阳市人民政府办公室关于做好2025年春节期间安全生产工作的通知/);
    assert.match(info, /CreationDate:\s+Fri Jan 10 06:30:00 2025 UTC/);
  });
});

describe('上行文 and long names', () => {
  test('a 请示 puts 发文字号 left and 签发人 right; a long 发文机关 is narrowed and its 印发 line split', async () => {
    const issuerName = '中共阜阳市委员会办公室阜阳市人民政府办公室联合';
    const r = await render({ docType: '请示', issuerName, signerName: '张明', title: '关于申请专项资金的请示', body: '　　妥否，请批示。', attachments: [] });
    const first = r.words.filter((w) => w.page === 1);
    const number = first.find((w) => w.text === '阜政办〔2025〕12号')!;
    assert.ok(Math.abs(number.xMin - BLOCK.left - BLOCK.width / CHARS_PER_LINE) < 0.5, '发文字号 one character in');
    const signer = first.find((w) => w.text.startsWith('签发人'))!;
    assert.ok(Math.abs(RIGHT - BLOCK.width / CHARS_PER_LINE - signer.xMax) < 1, '签发人 one character in from the right');
    assert.equal(gridLine(signer), gridLine(number));
    const mark = first.find((w) => w.text === `${issuerName}文件`)!;
    assert.ok(mark.xMin >= BLOCK.left - 0.5 && mark.xMax <= RIGHT + 0.5, 'mark narrowed into the 版心');
    const last = r.words.filter((w) => w.page === r.pageCount);
    const printer = last.find((w) => w.text === issuerName && w.yMin > BLOCK.top + 18 * PITCH)!;
    const printed = last.find((w) => w.text === '2025年1月10日印发')!;
    assert.equal(gridLine(printed), LINES_PER_PAGE - 1);
    assert.equal(gridLine(printer), LINES_PER_PAGE - 2, '印发机关 on the line above the date');
  });
});

describe('rendering is deterministic', () => {
  test('two renders of one document are byte-identical; another document differs', async () => {
    const a = await renderDocument(sampleInput());
    const b = await renderDocument(sampleInput());
    assert.ok(a.pdf.equals(b.pdf));
    assert.equal(a.sm3, b.sm3);
    assert.match(a.sm3, /^[0-9a-f]{64}$/);
    const c = await renderDocument(sampleInput({ docNumber: '阜政办〔2025〕13号' }));
    assert.notEqual(c.sm3, a.sm3);
  });
});

describe('hostile text', () => {
  test('10,000 characters without a break: every line inside the 版心', async () => {
    for (const body of ['政'.repeat(10_000), 'x'.repeat(10_000), '。'.repeat(10_000)]) {
      const r = await render({ body, attachments: [] });
      assert.ok(r.pageCount >= 2);
      for (const w of r.words) assert.ok(w.xMax <= RIGHT + 0.5 && w.xMin >= BLOCK.left - 0.5, `"${w.text.slice(0, 10)}…" from ${w.xMin} to ${w.xMax}`);
    }
  });

  test('characters outside every font and control characters become 〓, and are reported', async () => {
    const r = await render({
      title: '关于<测试>&“特殊”字符的通知\u0007',
      body: '　　表情😀私用\ue000反向\u202e文字，零宽\u200b空格。',
      mainRecipients: ['各单位'],
    });
    assert.deepEqual(
      r.substitutions.map((s) => s.codePoint),
      ['U+0007', 'U+200B', 'U+202E', 'U+E000', 'U+1F600'],
    );
    const text = r.words.map((w) => w.text).join('');
    assert.ok(text.includes(`表情${SUBSTITUTE}私用${SUBSTITUTE}反向${SUBSTITUTE}文字`), text);
    assert.ok(!text.includes('\u202e') && !text.includes('😀'));
    // A title with XML's special characters keeps the XMP packet well-formed.
    assert.match(await pdfInfo(r.pdf), /Title:\s+关于<测试>&“特殊”字符的通知/);
    assert.ok(r.pdf.toString('utf8').includes('关于&lt;测试&gt;&amp;“特殊”字符的通知'));
  });

  test('a glyph missing from the role face is drawn from another configured face, not replaced', async () => {
    // 〇 and the rare 堃 are not in AR PL KaitiM GB; a level-two heading in 楷体 borrows them.
    const r = await render({ body: '（一）堃〇工作。正文。', attachments: [] });
    assert.deepEqual(r.substitutions, []);
    assert.ok(r.words.some((w) => w.text.includes('（一）堃〇工作。')));
  });
});
