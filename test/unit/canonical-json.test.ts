import { test } from 'node:test';
import assert from 'node:assert/strict';
import canonicalize from 'canonicalize';
import { canonicalEventText, canonicalJson, canonicalLeafText } from '../../src/integrity/canonical-json.ts';

/** A small deterministic PRNG, so a failing case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'z', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '公文', '阜政办〔2025〕12号', '😀', '\u{1F600}\u{1F601}', '\uffff', '\u2028', '\u00ff', '　　'];
const NUMBERS = [0, -0, 1, -1, 42, 1.5, -2.25, 1e21, 1e-7, 123456789012, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, 5e-324, 1.7976931348623157e308, 3.14159];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]!;
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 3 || pick < 0.35) {
    const leaf = r();
    if (leaf < 0.35) return randomString(r);
    if (leaf < 0.7) return NUMBERS[Math.floor(r() * NUMBERS.length)]!;
    if (leaf < 0.85) return r() < 0.5;
    return null;
  }
  if (pick < 0.6) return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) o[randomString(r) || `k${i}`] = randomValue(r, depth + 1);
  return o;
}

test('canonicalJson writes exactly what the canonicalize package writes (RFC 8785)', () => {
  const r = rng(8785);
  for (let i = 0; i < 5000; i++) {
    const v = randomValue(r, 0);
    assert.equal(canonicalJson(v), canonicalize(v), JSON.stringify(v));
    // …including after a round trip through JSON text, which is how the verifier meets payloads.
    const back: unknown = JSON.parse(JSON.stringify(v));
    assert.equal(canonicalJson(back), canonicalize(back));
  }
  // Keys sort by UTF-16 code units: the astral emoji (a surrogate pair, D83D…) before U+FFFF.
  assert.equal(canonicalJson({ '\uffff': 1, '😀': 2, a: 3, B: 4 }), '{"B":4,"a":3,"😀":2,"\uffff":1}');
  assert.equal(canonicalJson({ x: undefined, y: [undefined], z: new Date(0) }), canonicalize({ x: undefined, y: [undefined], z: new Date(0) }));
});

test('objects of every key count sort their keys as canonicalize does: the insertion sort up to 32 keys and Array.prototype.sort past it', () => {
  const r = rng(32);
  for (let n = 0; n <= 70; n++) {
    for (let round = 0; round < 20; round++) {
      const o: Record<string, unknown> = {};
      // Integer-like keys (which Object.keys lists first, numerically), astral and BMP characters, repeats.
      for (let i = 0; i < n; i++) o[r() < 0.2 ? String(Math.floor(r() * 200)) : randomString(r) || `k${i}`] = i;
      assert.equal(canonicalJson(o), canonicalize(o), JSON.stringify(o));
    }
  }
});

test('canonicalJson refuses what RFC 8785 cannot represent, as canonicalize does', () => {
  for (const bad of [NaN, Infinity, -Infinity, '\ud800', 'a\udc00b', { k: '\ud83d' }, { '\udfff': 1 }]) {
    assert.throws(() => canonicalize(bad));
    assert.throws(() => canonicalJson(bad));
  }
});

test('the event and leaf texts equal the canonicalize package (the reference RFC 8785 implementation) of the same fields', () => {
  const r = rng(32905);
  for (let i = 0; i < 2000; i++) {
    const e = {
      eventId: `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
      type: r() < 0.5 ? 'DocumentDrafted' : randomString(r),
      schemaVersion: 1 + Math.floor(r() * 3),
      streamId: `document-${randomString(r)}`,
      revision: Math.floor(r() * 1000),
      occurredAt: new Date(1_700_000_000_000 + Math.floor(r() * 1e10)).toISOString(),
      recordedAt: new Date(1_700_000_000_000 + Math.floor(r() * 1e10)).toISOString(),
      actor: { userId: randomString(r) || 'u', unitId: 'fyzf', role: 'CLERK' },
      commandId: randomString(r),
      correlationId: randomString(r),
      causationId: r() < 0.5 ? null : randomString(r),
      data: randomValue(r, 0),
    };
    assert.equal(canonicalEventText(e), canonicalize(e));
    const leaf = { streamId: e.streamId, revision: e.revision, globalPosition: i * 7919, eventId: e.eventId, hash: 'ab'.repeat(32), mac: 'cd'.repeat(32) };
    assert.equal(canonicalLeafText(leaf), canonicalize(leaf));
  }
});

test('strings are escaped as JSON.stringify escapes them, every control character and every kind of UTF-8', () => {
  for (let c = 0; c < 0x80; c++) assert.equal(canonicalJson(String.fromCharCode(c)), JSON.stringify(String.fromCharCode(c)), `U+${c.toString(16)}`);
  for (const s of ['\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', '公文\u2028\u2029', 'a'.repeat(100_000)]) {
    assert.equal(canonicalJson(s), JSON.stringify(s));
    assert.equal(canonicalJson(s), canonicalize(s));
  }
  assert.throws(() => canonicalJson('a\ud800'), /Lone surrogate/);
  assert.throws(() => canonicalJson('\udc00\ud800'), /Lone surrogate/);
});

test('numbers are written as ECMAScript writes them: integers digit by digit, the rest through JSON.stringify', () => {
  const values = [0, -0, 7, -7, 9, 10, 99, 100, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e20, 1e21, -1e21, 0.5, 1e-7];
  for (const v of values) assert.equal(canonicalJson(v), canonicalize(v), String(v));
});

test('an event time given as epoch milliseconds is written as new Date(ms).toISOString()', () => {
  const r = rng(1970);
  const times = [0, 1, 999, 86_399_999, 86_400_000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), -1, Date.UTC(-1, 0, 1), Date.UTC(1600, 1, 29)];
  for (let i = 0; i < 20_000; i++) times.push(Math.floor(r() * Date.UTC(9999, 11, 31)));
  const base = { eventId: 'e', type: 't', schemaVersion: 1, streamId: 's', revision: 0, actor: {}, commandId: 'c', correlationId: 'c', causationId: null, data: null };
  for (const ms of times) {
    const iso = new Date(ms).toISOString();
    assert.equal(canonicalEventText({ ...base, occurredAt: ms, recordedAt: ms }), canonicalEventText({ ...base, occurredAt: iso, recordedAt: iso }), iso);
  }
  // Not a time at all: refused as new Date(NaN).toISOString() refuses it.
  assert.throws(() => canonicalEventText({ ...base, occurredAt: Number.NaN, recordedAt: 0 }), RangeError);
  assert.throws(() => canonicalEventText({ ...base, occurredAt: Number.POSITIVE_INFINITY, recordedAt: 0 }), RangeError);
});

test('a toJSON that asks for canonical JSON itself gets its own writer', () => {
  const inner = { toJSON: () => canonicalJson({ b: 2, a: [1, 'x'] }) };
  assert.equal(canonicalJson({ z: inner, y: 1 }), canonicalize({ z: { toJSON: () => canonicalize({ b: 2, a: [1, 'x'] }) }, y: 1 }));
  // …and the kept writer is whole again afterwards.
  assert.equal(canonicalJson({ q: 'after' }), '{"q":"after"}');
});
