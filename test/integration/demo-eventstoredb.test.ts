import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demo } from '../../src/cli/demo.ts';
import { verify } from '../../src/cli/verify.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLedger } from '../../src/app/ledger.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createTestDatabase } from '../support/database.ts';
import { EventStoreDbTestDouble } from '../support/eventstoredb-test-double.ts';

// `gongwen demo small` and `gongwen verify` as the CLI runs them, with EVENT_STORE=eventstoredb:
// the events go over gRPC to the test double, the read models and the Merkle log to PostgreSQL.
test('gongwen demo on the EventStoreDB adapter (test double), then gongwen verify passes and status counts the events there', async () => {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'gongwen-demo-esdb-'));
  const double = await new EventStoreDbTestDouble().start();
  try {
    const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: double.url });
    assert.equal(await demo(config, ['small']), 0);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
    assert.equal(Number(rows[0]!.n), 0, 'no event went to PostgreSQL');
    const ledgerEvents = double.log.filter((r) => !r.streamId.startsWith('gongwen_') && !r.streamId.startsWith('$')).length;
    assert.ok(ledgerEvents > 500, `the demo wrote its events to EventStoreDB (${ledgerEvents})`);

    assert.equal(await verify(config, { json: false, checkpointFiles: [] }), 0, 'gongwen verify passes on the demo');

    const database = await openDatabase(config, { migrate: false });
    const ledger = await createLedger(config, database);
    try {
      const status = await ledger.status();
      assert.equal(status.events, ledgerEvents, 'status counts the events in EventStoreDB');
      assert.equal(status.treeSize, ledgerEvents, 'every event is in the signed Merkle log');
      for (const p of await ledger.projections.status()) assert.equal(p.eventsBehind, 0, `${p.name} is caught up`);
    } finally {
      await ledger.close();
      await database.close();
    }
  } finally {
    await double.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
