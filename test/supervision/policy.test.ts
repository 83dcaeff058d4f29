import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { DEFAULT_POLICY_FILE, loadPolicy, parsePolicy, PolicyError } from '../../src/supervision/policy.ts';
import { createTestLedger } from '../support/ledger.ts';

const defaults = JSON.parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
const withChange = (change: (p: any) => void) => {
  const p = structuredClone(defaults);
  change(p);
  return p;
};

test('the shipped policy: 特急 2 hours on the clock, 加急 4 working hours, 平件 1 working day, 请示 10 working days', () => {
  const p = loadPolicy();
  assert.deepEqual(p.signFor, { 特急: { hours: 2 }, 加急: { workingHours: 4 }, 平件: { workingDays: 1 } });
  assert.deepEqual(p.handling.byDocType.请示, { workingDays: 10 });
  assert.deepEqual(p.meetingNotice, { signBefore: { workingHours: 4 }, handleBefore: { workingHours: 2 } });
  assert.equal(p.version, '2026.2');
});

test('a negative duration, an unknown urgency or two units at once are refused, naming the field', () => {
  assert.throws(() => parsePolicy(withChange((p) => (p.signFor.特急.hours = -1))), (e: Error) => e instanceof PolicyError && /signFor\.特急\.hours: .*不能为负数/.test(e.message));
  assert.throws(() => parsePolicy(withChange((p) => (p.signFor.紧急 = { hours: 1 }))), (e: Error) => e instanceof PolicyError && /signFor: .*紧急/.test(e.message));
  assert.throws(() => parsePolicy(withChange((p) => delete p.signFor.平件)), /signFor\.平件/);
  assert.throws(() => parsePolicy(withChange((p) => (p.warnings.redAfter = { workingDays: 1, hours: 3 }))), /warnings\.redAfter: .*exactly one/);
  assert.throws(() => parsePolicy(withChange((p) => (p.handling.byDocType.便函 = { workingDays: 3 }))), /handling\.byDocType: .*便函/);
  assert.throws(() => parsePolicy(withChange((p) => (p.meetingNotice.signBefore = { workingHours: -2 }))), /meetingNotice\.signBefore\.workingHours: .*不能为负数/);
  assert.throws(() => parsePolicy(withChange((p) => delete p.meetingNotice.handleBefore)), /meetingNotice\.handleBefore/);
});

test('a bad policy file stops the ledger at start-up with the field named; bad office hours stop the configuration', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-policy-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(withChange((p) => (p.signFor.加急.workingHours = -4))));
  await assert.rejects(createTestLedger({ env: { GONGWEN_DEADLINE_POLICY: file } }), (e: Error) => e instanceof PolicyError && e.message.includes(file) && /signFor\.加急\.workingHours/.test(e.message));
  writeFileSync(file, '{ not json');
  await assert.rejects(createTestLedger({ env: { GONGWEN_DEADLINE_POLICY: file } }), PolicyError);
  assert.throws(() => loadConfig({ GONGWEN_OFFICE_HOURS: '8:30-12:00' }), (e: Error) => e instanceof ConfigError && /GONGWEN_OFFICE_HOURS/.test(e.message));
  assert.equal(loadConfig({ GONGWEN_OFFICE_HOURS: '09:00-12:00,13:30-17:00' }).GONGWEN_OFFICE_HOURS, '09:00-12:00,13:30-17:00');
});
