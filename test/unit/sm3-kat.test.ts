import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sm3, sm3Hex } from '../../src/integrity/sm3.ts';

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
