import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { eventHash } from '../../src/integrity/event-hash.ts';
import { hmacSm3Hex, hmacSm3HexOfHex, sm3, sm3Hex } from '../../src/integrity/sm3.ts';
import { sm3Continue, sm3StateAfter } from '../../src/integrity/sm3-js.ts';

// GB/T 32905-2016 (GM/T 0004-2012), Annex A: the two published examples.

test('SM3 example 1: "abc"', () => {
  assert.equal(sm3Hex('abc'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(sm3Hex(Buffer.from('616263', 'hex')), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
});

test('SM3 example 2: 64 bytes of "abcd" × 16 (padding spills into a second block)', () => {
  const message = 'abcd'.repeat(16);
  assert.equal(Buffer.byteLength(message), 64);
  assert.equal(sm3Hex(message), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test('a message given in parts hashes as its concatenation', () => {
  assert.equal(sm3Hex('ab', Buffer.from('c'), new Uint8Array([])), sm3Hex('abc'));
  assert.deepEqual(sm3('abcd'.repeat(8), 'abcd'.repeat(8)), Buffer.from('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732', 'hex'));
  assert.notEqual(sm3Hex('abd'), sm3Hex('abc'));
});

// The append path's and the verifier's one-call forms (a buffer kept between calls, pads hashed
// once per key) must give exactly the digests of the plain forms, whatever the input.

const EVENT = {
  eventId: '0000002a-0000-4000-8000-000000000000',
  type: 'DocumentDrafted',
  schemaVersion: 1,
  streamId: 'document-d1',
  revision: 3,
  occurredAt: '2025-03-01T08:30:00.123Z',
  recordedAt: '2025-03-01T08:30:01.000Z',
  actor: { userId: 'u1', unitId: 'fyzf', role: 'CLERK' },
  commandId: 'c1',
  correlationId: 'c1',
  causationId: null,
  data: {},
};

test('eventHash is SM3 of the previous hash’s bytes followed by the event’s RFC 8785 UTF-8', () => {
  const texts = ['', 'abc', '各县区人民政府，市直各单位：'.repeat(40), '😀\u0000\u202e', 'x'.repeat(70_000), '公'.repeat(300_000), 'y'];
  for (const text of texts) {
    const prev = randomBytes(32).toString('hex');
    const e = { ...EVENT, data: { text } };
    assert.equal(eventHash(prev, e), sm3Hex(Buffer.from(prev, 'hex'), canonicalize(e)!), `text of ${text.length} code units`);
  }
  // A hash after a long one uses only its own bytes (the kept buffer was longer by then).
  assert.equal(eventHash('', EVENT), sm3Hex(canonicalize(EVENT)!));
  // Hex that is not hex is cut where Buffer.from would cut it.
  assert.equal(eventHash('61zz', EVENT), sm3Hex(Buffer.from('61zz', 'hex'), canonicalize(EVENT)!));
  // The verifier's epoch milliseconds stand for the ISO text new Date(ms) gives.
  assert.equal(eventHash('ab'.repeat(32), { ...EVENT, occurredAt: Date.parse(EVENT.occurredAt), recordedAt: Date.parse(EVENT.recordedAt) }), eventHash('ab'.repeat(32), EVENT));
});

test('hmacSm3HexOfHex is HMAC-SM3 of the hex bytes, for short, block-sized, long and changed keys', () => {
  for (const size of [1, 32, 64, 65, 200]) {
    const key = randomBytes(size);
    for (let i = 0; i < 3; i++) {
      const message = randomBytes(32).toString('hex');
      assert.equal(hmacSm3HexOfHex(key, message), createHmac('sm3', key).update(Buffer.from(message, 'hex')).digest('hex'), `key of ${size} bytes`);
      assert.equal(hmacSm3HexOfHex(key, message), hmacSm3Hex(key, Buffer.from(message, 'hex')));
    }
  }
  const key = randomBytes(32);
  const message = randomBytes(32).toString('hex');
  const before = hmacSm3HexOfHex(key, message);
  key[0] = key[0]! ^ 1; // the same Buffer, another key: its pads are worked out again
  assert.notEqual(hmacSm3HexOfHex(key, message), before);
  assert.equal(hmacSm3HexOfHex(key, message), hmacSm3Hex(key, Buffer.from(message, 'hex')));
  // A message longer than a hash.
  const long = randomBytes(300).toString('hex');
  assert.equal(hmacSm3HexOfHex(key, long), hmacSm3Hex(key, Buffer.from(long, 'hex')));
});

test('the JavaScript SM3 (sm3-js.ts) gives node:crypto’s digest for every tail length, from IV and from a state after whole blocks', () => {
  const out = Buffer.alloc(40);
  for (let length = 0; length <= 200; length++) {
    const data = randomBytes(length);
    const prefix = randomBytes(64 * (length % 3));
    sm3Continue(sm3StateAfter(prefix), prefix.length, data, length, out, 8);
    assert.equal(out.subarray(8).toString('hex'), sm3Hex(prefix, data), `${prefix.length} + ${length} bytes`);
  }
  // Only the first `length` bytes count, and the state it started from is left as it was.
  const state = sm3StateAfter(Buffer.alloc(64, 7));
  const before = Int32Array.from(state);
  sm3Continue(state, 64, Buffer.from('abcdef'), 3, out);
  assert.equal(out.subarray(0, 32).toString('hex'), sm3Hex(Buffer.alloc(64, 7), 'abc'));
  assert.deepEqual(state, before);
  assert.throws(() => sm3StateAfter(Buffer.alloc(10)), RangeError);
});
