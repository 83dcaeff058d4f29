import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createCityClock, generateCityYear } from '../support/city-year.ts';
import { createTestLedger } from '../support/ledger.ts';

/**
 * The generated year is the input of the cross-projection tests and the benchmarks: the same seed
 * must give the same year. (That a year covers the whole lifecycle is checked where a full year is
 * generated anyway: rebuild-equals-incremental.test.ts.)
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Every stream in revision order, with what the store generates at random (event ids, and the
 * references to them) replaced by the referenced event's place (stream@revision), and the random
 * commandIds of seedCity by a marker. Hashes and MACs cover event ids, so they are left out.
 */
const RANDOM_BY_DESIGN = new Set(['publicKey', 'sealRecord', 'signature', 'sealPublicKey', 'sealRecordDigest']);
/**
 * An export package names each event of an item by its global position (DA/T 48 业务实体), and the
 * positions follow how the lanes' commits interleave; so do the package's digests and sizes.
 */
const FEED_ORDER_DEPENDENT = new Set(['packageSm3', 'packageSha256', 'packageBytes', 'contentBytes']);

async function ledgerSnapshot(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT stream_id, revision, event_id::text AS event_id, type, data, occurred_at, recorded_at, actor, command_id, correlation_id, causation_id
       FROM events ORDER BY stream_id, revision`,
  );
  const place = new Map(rows.map((r) => [r.event_id as string, `${r.stream_id}@${r.revision}`]));
  return rows.map(({ event_id: _, ...r }) =>
    JSON.stringify(r, (key, value) =>
      // Keys and signatures are SM2's own randomness (each seal's key pair, a fresh k per signature).
      RANDOM_BY_DESIGN.has(key)
        ? 'SM2-random'
        : FEED_ORDER_DEPENDENT.has(key)
          ? 'feed-order-dependent'
          : typeof value === 'string'
          ? value.replace(UUID, (id) => place.get(id) ?? 'random-uuid').replace(/^c-random-uuid$/, 'seed-command')
          : value,
    ),
  );
}

async function year(seed: number, documents: number) {
  const clock = createCityClock();
  const ledger = await createTestLedger({ now: clock.now });
  const summary = await generateCityYear(ledger, { clock, seed, documents });
  return { summary, snapshot: await ledgerSnapshot(ledger.db.pool) };
}

test('the same seed gives the same year, event for event, whatever the lanes’ timing', async () => {
  const a = await year(11, 30);
  const b = await year(11, 30);
  assert.ok(a.summary.events > 700, `a year of 30 documents has ${a.summary.events} events`);
  assert.deepEqual(b.summary.paths, a.summary.paths);
  assert.equal(b.snapshot.length, a.snapshot.length);
  const firstDifference = a.snapshot.findIndex((line, i) => line !== b.snapshot[i]);
  assert.equal(firstDifference, -1, `first difference:\n${a.snapshot[firstDifference]}\n${b.snapshot[firstDifference]}`);
  // Not trivially equal: the simulated times and commandIds are there.
  assert.match(a.snapshot.find((l) => l.includes('"DocumentSent"'))!, /"recorded_at":"2025-/);
});
