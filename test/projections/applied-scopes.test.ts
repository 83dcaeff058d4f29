import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { ProjectionRunner, type AppliedBatch } from '../../src/projections/projection-runner.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';

/**
 * What a committed batch says it changed (AppliedBatch.scopes, what the read cache drops): what
 * `apply` returned, else the projection's `scopesOf` of the handled events, else null — not known,
 * so every answer of the projection goes.
 */
const projection = (name: string, over: Partial<Projection> = {}): Projection => ({
  name,
  version: 1,
  handles: new Set(['UnitRegistered']),
  tables: [],
  schemaSql: 'SELECT 1',
  async apply() {},
  ...over,
});

test("a batch's scopes: apply's, else scopesOf's, else unknown (null)", async () => {
  const ledger = await createTestLedger();
  try {
    await seedCity(ledger);
    const unitsOf = (events: readonly RecordedEvent[]) => new Set(events.map((e) => `unit:${(e.data as { unitId: string }).unitId}`));
    const runner = new ProjectionRunner(ledger.db.pool, ledger.store, [
      projection('scopes-unknown'),
      projection('scopes-of-events', { scopesOf: unitsOf }),
      projection('scopes-of-apply', { scopesOf: () => new Set(['never']), apply: async (_tx: pg.ClientBase, events) => new Set([`applied:${events.length}`]) }),
    ]);
    await runner.prepare();
    const batches: AppliedBatch[] = [];
    runner.on('applied', (b) => batches.push(b));
    await runner.catchUp();
    const of = (name: string) => batches.filter((b) => b.projection === name && b.handled.length > 0);
    assert.ok(of('scopes-unknown').length > 0 && of('scopes-unknown').every((b) => b.scopes === null));
    const units = new Set(of('scopes-of-events').flatMap((b) => [...b.scopes!]));
    assert.deepEqual(units, new Set(['unit:city-office', 'unit:edu', 'unit:fin', 'unit:hlth']));
    assert.ok(of('scopes-of-apply').every((b) => b.scopes!.size === 1 && [...b.scopes!][0] === `applied:${b.handled.length}`));
  } finally {
    await ledger.close();
  }
});
