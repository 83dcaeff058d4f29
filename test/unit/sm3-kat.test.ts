import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { hmacSm3Hex, hmacSm3HexOfHex, sm3, sm3Hex, sm3HexOfHexAndText } from '../../src/integrity/sm3.ts';

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

// The append path's and the verifier's one-call forms (a buffer kept between calls, pads worked
// out once per key) must give exactly the digests of the plain forms, whatever the input.

test('sm3HexOfHexAndText is SM3 of the hex bytes followed by the UTF-8 text', () => {
  const texts = ['', 'abc', '各县区人民政府，市直各单位：'.repeat(40), '😀\u0000\u202e', 'x'.repeat(70_000), '公'.repeat(30_000)];
  for (const text of texts) {
    const prev = randomBytes(32).toString('hex');
    assert.equal(sm3HexOfHexAndText(prev, text), sm3Hex(Buffer.from(prev, 'hex'), text), `text of ${text.length} code units`);
  }
  // A hash after a long one still uses only its own bytes (the kept buffer is longer by then).
  assert.equal(sm3HexOfHexAndText('', 'abc'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  // Hex that is not hex is cut where Buffer.from would cut it.
  assert.equal(sm3HexOfHexAndText('61zz', 'bc'), sm3Hex(Buffer.from('61zz', 'hex'), 'bc'));
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
