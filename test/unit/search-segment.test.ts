import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalText, documentVector, lexemeVector, locate, parseQuery, runsOf, termQuery } from '../../projections/search/segment.ts';
import { snippet } from '../../projections/search/queries.ts';

describe('Chinese segmentation for the search index', () => {
  test('runs: Han and words apart, NFKC and lower case, punctuation separates', () => {
    assert.deepEqual(runsOf('阜政办〔２０２６〕12号：关于GB/T 9704的通知'), [
      { kind: 'han', text: '阜政办' },
      { kind: 'word', text: '2026' },
      { kind: 'word', text: '12' },
      { kind: 'han', text: '号' },
      { kind: 'han', text: '关于' },
      { kind: 'word', text: 'gb' },
      { kind: 'word', text: 't' },
      { kind: 'word', text: '9704' },
      { kind: 'han', text: '的通知' },
    ]);
    assert.equal(canonicalText('电子，印章'), ' 电子 印章 ');
    assert.equal(canonicalText('　　'), ' ');
    // CJK Extension B (a surrogate pair) and 〇 are Han.
    assert.deepEqual(runsOf('𠀀〇年'), [{ kind: 'han', text: '𠀀〇年' }]);
  });

  test('a body is indexed as its bigrams and the last character of each run; words whole', () => {
    const v = lexemeVector(runsOf('电子印章，函。2026年'));
    assert.deepEqual(v.lexemes.split(' ').sort(), ['2026', '子印', '年', '函', '印章', '电子', '章'].sort());
    assert.equal(v.complete, true);
    // Short fields keep positions and weights, one position apart between fields.
    assert.equal(documentVector([{ runs: runsOf('专网'), weight: 'A' }, { runs: runsOf('12号'), weight: 'B' }]).tsvector, "'专网':1A '网':2A '12':4B '号':5B");
  });

  test('queries: terms at white space; a lone character is a prefix; phrases keep the distances', () => {
    const [a, b] = parseQuery('电子印章  12号');
    assert.equal(a!.pattern, '电子印章');
    assert.equal(termQuery(a!), "'电子' & '子印' & '印章'");
    assert.equal(b!.pattern, ' 12 号');
    assert.equal(termQuery(b!), "'12' & '号':*");
    // Several operands are a superset of the term's matches: the canonical text decides.
    assert.deepEqual([a!.exact, b!.exact], [false, false]);
    const [n] = parseQuery('阜政办〔2026〕12号');
    assert.equal(n!.pattern, '阜政办 2026 12 号');
    assert.equal(n!.exact, false);
    // One operand the index decides alone: one or two Han characters, a word short of the lexeme's cut.
    assert.deepEqual(parseQuery('通知 函 gb9704').map((t) => [termQuery(t), t.exact]), [["'通知'", true], ["'函':*", true], ["'gb9704'", true]]);
    assert.deepEqual(parseQuery('x'.repeat(64)).map((t) => t.exact), [false]);
    assert.deepEqual(parseQuery('，。！'), []);
    assert.equal(parseQuery('函 函').length, 1);
  });

  test('locate finds exactly where the canonical text matches, as ranges of the original', () => {
    const text = '　　参照阜政办〔2025〕12号文件，不是112号，电子，印章与电子印章。';
    assert.deepEqual(
      locate(text, parseQuery('12号')).map((r) => text.slice(r.start, r.end)),
      ['12号'],
    );
    assert.deepEqual(
      locate(text, parseQuery('阜政办[2025]12号')).map((r) => text.slice(r.start, r.end)),
      ['阜政办〔2025〕12号'],
    );
    assert.deepEqual(
      locate(text, parseQuery('电子印章')).map((r) => text.slice(r.start, r.end)),
      ['电子印章'],
    );
    assert.deepEqual(locate('ＧＢ９７０４', parseQuery('gb9704')), [{ start: 0, end: 6 }]);
  });

  test('locate agrees with the canonical text on random mixtures (the index and the highlighter cannot drift)', () => {
    const alphabet = ['电', '子', '印', '章', '1', '2', 'a', 'Ａ', '，', ' ', '〔', '𠀀', '号'];
    let seed = 11;
    const pick = () => alphabet[(seed = (seed * 48271) % 2147483647) % alphabet.length]!;
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 12 }, pick).join('');
      const query = Array.from({ length: 1 + (i % 3) }, pick).join('');
      const terms = parseQuery(query);
      if (terms.length !== 1) continue;
      assert.equal(locate(text, terms).length > 0, canonicalText(text).includes(terms[0]!.pattern), JSON.stringify({ text, query }));
    }
  });

  test('snippets fold white space, mark every hit in the window, and say where they were cut', () => {
    const body = `　　第一段。\n　　${'甲'.repeat(50)}电子印章${'乙'.repeat(120)}电子印章`;
    const s = snippet(body, parseQuery('电子印章'));
    assert.ok(s.snippet.startsWith('…'));
    assert.ok(s.snippet.endsWith('…'));
    assert.equal(s.snippetHighlights.length, 1);
    assert.equal(s.snippet.slice(s.snippetHighlights[0]!.start, s.snippetHighlights[0]!.end), '电子印章');
    const short = snippet('　　关于\n\n　　印发电子印章', parseQuery('电子印章'));
    assert.deepEqual(short, { snippet: '关于 印发电子印章', snippetHighlights: [{ start: 5, end: 9 }] });
    assert.deepEqual(snippet('　　无关内容', parseQuery('电子印章')), { snippet: '无关内容', snippetHighlights: [] });
  });
});
