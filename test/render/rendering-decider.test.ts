import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordRendering } from '../../schemas/commands/rendering.ts';
import { DocumentRendered } from '../../schemas/events/rendering.ts';
import { fold } from '../../src/domain/decider.ts';
import { currentRendering, renderingDecider } from '../../src/domain/rendering/index.ts';

const actor = { userId: 'system', unitId: 'system', role: 'SYSTEM' } as const;
const record = (over: Record<string, unknown> = {}) =>
  RecordRendering.input.parse({
    documentId: 'd-1',
    issuerUnitId: 'city-office',
    contentDigest: 'a'.repeat(64),
    sealedEventId: '0b7f2a5e-7c1d-4e59-9d3e-2f8a6b1c4d5e',
    format: 'PDF/A-2b',
    mediaType: 'application/pdf',
    sm3: 'b'.repeat(64),
    digestAlgorithm: 'SM3',
    pageCount: 2,
    byteLength: 210_000,
    rendererVersion: 'gongwen-render 1',
    fontsDigest: 'c'.repeat(64),
    substitutions: [],
    ...over,
  });

test('a rendering is recorded once per sealing, renderer and fonts; a new renderer or new fonts add a record', () => {
  const now = '2026-01-10T06:30:00.000Z';
  const first = renderingDecider.decide({ type: 'RecordRendering', data: record() }, renderingDecider.initialState(), { actor, now });
  assert.equal(first.length, 1);
  assert.deepEqual(DocumentRendered.data.parse(first[0]!.data), { ...record(), renderedAt: now });
  const state = fold(renderingDecider, first);
  assert.deepEqual(renderingDecider.decide({ type: 'RecordRendering', data: record() }, state, { actor, now }), []);
  const upgraded = renderingDecider.decide({ type: 'RecordRendering', data: record({ rendererVersion: 'gongwen-render 2', sm3: 'd'.repeat(64) }) }, state, { actor, now });
  assert.equal(upgraded.length, 1);
  const otherFonts = renderingDecider.decide({ type: 'RecordRendering', data: record({ fontsDigest: 'e'.repeat(64) }) }, state, { actor, now });
  assert.equal(otherFonts.length, 1);
  assert.equal(currentRendering(fold(renderingDecider, [...first, ...upgraded]))?.sm3, 'd'.repeat(64));
});

test('the event refuses what is not a rendering: a page count of 0, a foreign format, a malformed digest', () => {
  assert.throws(() => record({ pageCount: 0 }));
  assert.throws(() => record({ format: 'DOCX' }));
  assert.throws(() => record({ sm3: 'xyz' }));
  assert.throws(() => record({ substitutions: [{ codePoint: '1F600', count: 1 }] }));
});
