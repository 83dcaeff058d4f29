import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { Actor } from '../../schemas/common.ts';
import type { CommandDefinition } from '../../schemas/define.ts';
import { documentEvents } from '../../schemas/events/document.ts';
import { numberingEvents } from '../../schemas/events/numbering.ts';
import { createEventRegistry } from '../../schemas/registry.ts';
import { contentDigest, sealedContent, type DocumentContext, type DocumentState, type ReservedNumber, type SealSnapshot, type UnitStatus } from '../../src/domain/document/index.ts';
import { sm2PublicKeyOf, sm2Sign } from '../../src/integrity/sm2.ts';
import { Refusal, type RefusalCode } from '../../src/domain/refusal.ts';

/**
 * Shared fixtures for the document and numbering deciders: a city government office (阜政办) that
 * issues to two county governments and a bureau, its actors, a valid seal, and helpers that parse
 * commands through their real schemas and check every emitted event against its real schema.
 */

export const ISSUER = 'fy-gov-office';
export const COUNTY_A = 'yingzhou-gov';
export const COUNTY_B = 'yingdong-gov';
export const BUREAU = 'fy-finance';
export const INACTIVE_UNIT = 'fy-old-bureau';
export const OTHER_UNIT = 'hf-gov-office';

export const clerk: Actor = { userId: 'clerk-wang', unitId: ISSUER, role: 'CLERK' };
export const leader: Actor = { userId: 'leader-li', unitId: ISSUER, role: 'LEADER' };
export const sealKeeper: Actor = { userId: 'keeper-zhao', unitId: ISSUER, role: 'SEAL_KEEPER' };
export const archivist: Actor = { userId: 'archivist-sun', unitId: ISSUER, role: 'ARCHIVIST' };
export const outsider: Actor = { userId: 'clerk-hf', unitId: OTHER_UNIT, role: 'CLERK' };

export const NOW = '2025-03-09T02:00:00.000Z';
export const MB = 1024 * 1024;

const units: Record<string, UnitStatus> = {
  [ISSUER]: 'active',
  [COUNTY_A]: 'active',
  [COUNTY_B]: 'active',
  [BUREAU]: 'active',
  [INACTIVE_UNIT]: 'inactive',
  [OTHER_UNIT]: 'active',
};

/** The seal's SM2 key (the GM/T 0003.5 example key: a fixed key keeps failures reproducible). */
export const SEAL_PRIVATE_KEY = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';

export const activeSeal: SealSnapshot = {
  sealId: 'seal-fy-gov-office-1',
  unitId: ISSUER,
  name: '阜阳市人民政府办公室',
  status: 'active',
  validFrom: '2024-01-01T00:00:00+08:00',
  validTo: '2029-12-31T23:59:59+08:00',
  keeperUserIds: ['keeper-zhao'],
  publicKey: sm2PublicKeyOf(SEAL_PRIVATE_KEY),
  keyCustody: 'server',
  sealRecordDigest: '9'.repeat(64),
};

/** What the server-held key signs when this document is sealed with this number. */
export function sealSignature(state: DocumentState, number: ReservedNumber, privateKeyHex = SEAL_PRIVATE_KEY): string {
  if (state.status !== 'signedOff') return '';
  return sm2Sign(privateKeyHex, Buffer.from(contentDigest(sealedContent(state, number)), 'hex'));
}

export const number12 = { prefix: '阜政办', year: 2025, number: 12, docNumber: '阜政办〔2025〕12号' };

/** A context with every part filled; tests override what they are about. */
export function context(overrides: Partial<DocumentContext> = {}): DocumentContext {
  return {
    actor: clerk,
    now: NOW,
    attachmentLimitBytes: 3 * MB,
    unitStatus: (unitId) => units[unitId],
    issuerPrefixes: ['阜政办', '阜政办函'],
    number: number12,
    seal: activeSeal,
    signedRecipients: [],
    ...overrides,
  };
}

export const sm3Of = (n: number) => n.toString(16).padStart(64, '0');

export const draftInput = {
  commandId: 'cmd-draft-0001',
  documentId: 'doc-2025-0001',
  title: '关于做好2025年春季森林防火工作的通知',
  docType: '通知',
  urgency: '加急',
  classification: '非密',
  body: '　　各县区人民政府，市政府各部门：\n　　为切实做好春季森林防火工作，现将有关事项通知如下。',
  attachments: [
    { name: '森林防火责任分工表.pdf', mediaType: 'application/pdf', size: 1 * MB, sm3: sm3Of(1) },
    { name: '值班安排.ofd', mediaType: 'application/ofd', size: 512 * 1024, sm3: sm3Of(2) },
  ],
  mainRecipients: [COUNTY_A, COUNTY_B],
  ccRecipients: [BUREAU],
  docNumberPrefix: '阜政办',
  remarks: '此件公开发布',
};

/** A command as the handler gets it: the input parsed by the command's own schema. */
export function command<T extends string, S extends z.ZodType>(def: CommandDefinition<T, S>, input: unknown): { type: T; data: z.infer<S> } {
  return { type: def.type, data: def.input.parse(input) };
}

const registry = createEventRegistry([...documentEvents, ...numberingEvents]);

/** Every event a decider emits must pass its schema, exactly as the store will check it. */
export function assertValidEvents(events: readonly { type: string; data: unknown }[]): void {
  for (const e of events) {
    const parsed = registry.parse(e.type, registry.definition(e.type)!.schemaVersion, e.data);
    assert.deepEqual(parsed.data, e.data, `${e.type} changes when parsed by its schema`);
    assert.ok(
      !Object.values(e.data as object).includes(undefined),
      `${e.type} carries a key whose value is undefined`,
    );
  }
}

const HAN = /[\u4e00-\u9fff]/;

/** The decision throws a Refusal with this code and a Chinese message; returns the refusal. */
export function assertRefused(fn: () => unknown, code: RefusalCode, messagePattern?: RegExp): Refusal {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Refusal, `expected a Refusal ${code}, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  assert.match(caught.message, HAN, `the message of ${code} is not in Chinese: ${caught.message}`);
  if (messagePattern) assert.match(caught.message, messagePattern);
  return caught;
}
