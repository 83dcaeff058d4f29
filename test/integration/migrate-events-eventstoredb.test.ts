import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { migrateEvents } from '../../src/cli/migrate-events.ts';
import { ledgerStreamCategories } from '../../src/eventstore/create-event-store.ts';
import { EventStoreDbEventStore } from '../../src/eventstore/eventstoredb/eventstoredb-event-store.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import { formatEsdbVerifyReport, verifyEventStoreDbLedger } from '../../src/integrity/verify-eventstoredb.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { EventStoreDbTestDouble } from '../support/eventstoredb-test-double.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';

async function wholeFeed(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (let position: string | null = null; ; ) {
    const page = await store.readAll(position, 1000);
    if (page.events.length === 0) return out;
    out.push(...page.events);
    position = page.position;
  }
}

test('migrate-events copies a PostgreSQL ledger into an empty EventStoreDB: ids, order, hashes and MACs; verify passes on the copy', async () => {
  const ledger = await createTestLedger({ env: { EVENT_STORE: 'postgres' } });
  await seedCity(ledger);
  await ledger.settle();
  await ledger.merkleLog.checkpoint();
  const double = await new EventStoreDbTestDouble().start();
  const config = { ...ledger.config, EVENTSTORE_URL: double.url };
  const copy = new EventStoreDbEventStore({ url: double.url, registry: eventRegistry, macKey: ledger.key.macKey, categories: ledgerStreamCategories() });
  try {
    assert.equal(await migrateEvents(config, 'eventstoredb', () => {}), 0);
    const original = await wholeFeed(ledger.store);
    const copied = await wholeFeed(copy);
    assert.ok(original.length > 20);
    const essence = (e: RecordedEvent) => ({ eventId: e.eventId, stream: e.streamId, revision: e.revision, hash: e.hash, mac: e.mac, recordedAt: e.recordedAt, data: e.data });
    assert.deepEqual(copied.map(essence), original.map(essence), 'every event, in feed order, as it was');

    const report = await verifyEventStoreDbLedger(copy, ledger.db.pool, { publicKeyHex: ledger.key.publicKeyHex });
    assert.equal(report.problem, null);
    assert.equal(report.ok, true);
    assert.equal(report.eventsChecked, original.length);
    assert.equal(report.leavesChecked, original.length, 'every Merkle leaf found its event in EventStoreDB');
    assert.ok(report.checkpointsChecked >= 1);

    // A repeated command still returns its first outcome from the copy (the command records came along).
    const someCommand = original.at(-1)!;
    assert.deepEqual((await copy.findCommand(someCommand.commandId))?.events.map((e) => e.eventId), original.filter((e) => e.commandId === someCommand.commandId).map((e) => e.eventId));

    assert.equal(await migrateEvents(config, 'eventstoredb', () => {}), 1, 'a second copy into a non-empty store is refused');

    // An event slipped into the copy behind the ledger's back is named by verify.
    const raw = EventStoreDBClient.connectionString(double.url);
    try {
      const last = copied.at(-1)!;
      await raw.appendToStream(last.streamId, jsonEvent({ type: last.type, data: last.data as Record<string, unknown>, metadata: { ...last, revision: undefined, prevHash: last.hash } }));
    } finally {
      await raw.dispose();
    }
    // …and a Merkle leaf edited in PostgreSQL: verify walks on and reports every finding, in ledger order.
    await ledger.db.pool.query(`UPDATE merkle_leaves SET event_mac = repeat('0', 64) WHERE leaf_index = 3`);
    const tampered = await verifyEventStoreDbLedger(copy, ledger.db.pool, { publicKeyHex: ledger.key.publicKeyHex });
    assert.equal(tampered.ok, false);
    const kinds = tampered.samples.map((m) => m.kind);
    assert.ok(kinds.includes('leaf_event_mismatch'), 'the edited leaf is named');
    assert.ok(kinds.includes('checkpoint_root_mismatch'), 'the checkpoint over the edited leaf is named');
    assert.equal(tampered.mismatches, tampered.samples.length);
    const forged = tampered.samples.find((m) => m.streamId === copied.at(-1)!.streamId && m.revision === copied.at(-1)!.revision + 1);
    assert.ok(forged && ['schema_invalid', 'hash_mismatch', 'mac_mismatch'].includes(forged.kind), `the forged event is named (${kinds.join(', ')})`);
    assert.equal(tampered.eventsChecked, original.length + 1, 'the walk went on past the forged event');
    assert.match(formatEsdbVerifyReport(tampered), /发现 \d+ 处不一致/);
  } finally {
    await copy.close();
    await double.stop();
  }
});
