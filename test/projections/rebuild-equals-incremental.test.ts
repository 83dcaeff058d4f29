import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allProjections } from '../../projections/index.ts';
import { allEventDefinitions } from '../../schemas/events/index.ts';
import { digestAll, rowCounts } from '../../src/projections/digest.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { createCityClock, generateCityYear, lifecycleGaps } from '../support/city-year.ts';
import { createTestLedger } from '../support/ledger.ts';
import { applicationCountProjection } from '../support/test-projections.ts';

/**
 * DESIGN.md: "a rebuild equals the incrementally built state". A year of the city is driven
 * through the command service while a runner follows the feed in the background (so the
 * projections see the year in whatever batches the traffic makes), then every projection is
 * dropped and replayed from the events, and the two builds must agree row for row — for every
 * registered projection, whichever have landed.
 */

// Enough documents for every path of the lifecycle (lifecycleGaps below); CITY_YEAR_DOCUMENTS=300
// for the generator's full default year.
const DOCUMENTS = Number(process.env.CITY_YEAR_DOCUMENTS ?? 160);

test('every projection rebuilt from scratch equals the one built incrementally while the year was written', async () => {
  const clock = createCityClock();
  const ledger = await createTestLedger({ now: clock.now });
  const projections = [...allProjections, applicationCountProjection];
  const pool = ledger.db.pool;
  const runner = new ProjectionRunner(pool, ledger.store, projections);
  await runner.prepare();

  const batchesWhileWriting = new Map<string, number>();
  const errors: string[] = [];
  let writing = true;
  runner.on('applied', (b) => {
    if (writing) batchesWhileWriting.set(b.projection, (batchesWhileWriting.get(b.projection) ?? 0) + 1);
  });
  runner.on('error', (error, name) => errors.push(`${name}: ${String(error)}`));
  runner.start();
  const year = await generateCityYear(ledger, { clock, seed: 2025, documents: DOCUMENTS });
  writing = false;
  await runner.stop();
  await runner.catchUp();
  assert.deepEqual(errors, [], 'the background runner failed');

  // The year is worth comparing: every path of the lifecycle is in it.
  const { rows: types } = await pool.query<{ type: string }>('SELECT DISTINCT type FROM events');
  assert.deepEqual(lifecycleGaps(year, types.map((t) => t.type), allEventDefinitions.map((d) => d.type)), []);
  for (const p of projections) {
    assert.ok((batchesWhileWriting.get(p.name) ?? 0) >= 10, `${p.name} applied ${batchesWhileWriting.get(p.name) ?? 0} batches while the year was written`);
  }

  const incremental = await digestAll(pool, projections);
  for (const p of projections) {
    const rows = Object.values(rowCounts(incremental[p.name]!)).reduce((a, b) => a + b, 0);
    assert.ok(rows >= 10, `${p.name} has only ${rows} rows after a year of ${year.events} events: ${JSON.stringify(rowCounts(incremental[p.name]!))}`);
  }
  const counted = rowCounts(incremental.appcount!);
  assert.equal(counted.appcount_by_event, year.events, 'every event was applied');
  const { rows: twice } = await pool.query('SELECT event_id FROM appcount_by_event WHERE applications <> 1');
  assert.deepEqual(twice, [], 'no event was applied twice');

  await runner.rebuild();
  const rebuilt = await digestAll(pool, projections);
  for (const p of projections) assert.deepEqual(rebuilt[p.name], incremental[p.name], `${p.name}: the rebuild differs from the incremental build`);

});
