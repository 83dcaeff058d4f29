import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { archivalCodeTemplate, DAT13_2022, DAT22_2015, resolveArchivalCodeTemplate } from '../../archive-formats/archival-code/index.ts';

describe('档号 templates', () => {
  const parts = { fondsCode: '0194', year: 2016, retention: 'D30' as const, organisation: 'BGS', itemNo: 1 };

  test('DA/T 22-2015: 全宗号-门类·年度-保管期限-机构-件号, the examples of the standard', () => {
    assert.equal(DAT22_2015.format(parts), '0194-WS·2016-D30-BGS-0001');
    assert.equal(DAT22_2015.format({ ...parts, fondsCode: null }), 'WS·2016-D30-BGS-0001');
    assert.equal(DAT22_2015.format({ ...parts, organisation: null }), '0194-WS·2016-D30-0001');
    assert.equal(DAT22_2015.format({ ...parts, fondsCode: undefined, organisation: '' }), 'WS·2016-D30-0001');
    assert.equal(DAT22_2015.format({ ...parts, retention: 'Y', itemNo: 12 }), '0194-WS·2016-Y-BGS-0012');
    assert.equal(DAT22_2015.format({ ...parts, itemNo: 12345 }), '0194-WS·2016-D30-BGS-12345');
    assert.equal(DAT22_2015.usesOrganisation, true);
  });

  test('DA/T 13-2022: year, retention and organisation in one class segment', () => {
    assert.equal(DAT13_2022.format({ fondsCode: 'Z109', year: 2011, retention: 'Y', organisation: '办公室', itemNo: 1 }), 'Z109-WS·2011·Y·办公室-0001');
    assert.equal(DAT13_2022.format({ fondsCode: null, year: 2011, retention: 'D10', organisation: '办公室', itemNo: 7 }), 'WS·2011·D10·办公室-0007');
    assert.equal(DAT13_2022.format({ fondsCode: 'Z109', year: 2011, retention: 'Y', itemNo: 1 }), 'Z109-WS·2011·Y-0001');
  });

  test('a pattern of its own; without {organisation} the 件号 runs across organisations', () => {
    const t = archivalCodeTemplate('local', 'A{fonds}/{year}-{retention}-{item:5}');
    assert.equal(t.format(parts), 'A0194/2016-D30-00001');
    assert.equal(t.format({ ...parts, fondsCode: null }), 'A2016-D30-00001');
    assert.equal(t.usesOrganisation, false);
    assert.equal(archivalCodeTemplate('c', '{fonds}-{category}·{year}-{retention}-{item:4}', { category: 'KJ' }).format(parts), '0194-KJ·2016-D30-0001');
  });

  test('configuration names a built-in form or gives a pattern', () => {
    assert.equal(resolveArchivalCodeTemplate('DA/T 22-2015'), DAT22_2015);
    assert.equal(resolveArchivalCodeTemplate('dat13-2022'), DAT13_2022);
    assert.equal(resolveArchivalCodeTemplate('{year}-{retention}-{item:3}').format(parts), '2016-D30-001');
    assert.throws(() => resolveArchivalCodeTemplate('DA/T 99'), /内置格式/);
  });

  test('broken patterns and ambiguous values are refused', () => {
    assert.throws(() => archivalCodeTemplate('x', '{fonds}-{year}-{item}'), /retention/);
    assert.throws(() => archivalCodeTemplate('x', '{year}{retention}-{item}'), /分隔符/);
    assert.throws(() => archivalCodeTemplate('x', '{year}-{retention}-{item}-{item}'), /两次/);
    assert.throws(() => archivalCodeTemplate('x', '{year}-{retention}-{volume}-{item}'), /未知的占位符/);
    assert.throws(() => DAT22_2015.format({ ...parts, organisation: 'B-GS' }), /分隔符/);
    assert.throws(() => DAT22_2015.format({ ...parts, itemNo: 0 }), /件号/);
  });
});
