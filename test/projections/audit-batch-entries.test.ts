import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditProjection } from '../../projections/audit/index.ts';
import { documentEntriesOf } from '../../projections/audit/queries.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { createTestLedger, draftInput, seedCity } from '../support/ledger.ts';
import { countingPool } from './mailroom-scenario.ts';

// The entries the timeline subscription pushes after each audit batch (src/api/subscriptions.ts):
// found through an index, never by scanning audit_entries — which it did, by event id, after every
// batch the projection applied (0.3–0.8 s of PostgreSQL a batch on the 200k-event bench ledger).

test('a batch\'s document entries: in feed order, directory entries left out, read through audit_entries_stream', async () => {
  const ledger = await createTestLedger();
  after(() => ledger.close());
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const office = city.people('city-office');
  const runner = new ProjectionRunner(pool, ledger.store, [auditProjection]);
  await runner.prepare();
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-b1'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-b1', opinion: '同意' });
  await ledger.settle();
  await runner.catchUp();

  const { rows: stored } = await pool.query<{ stream_id: string; revision: string; event_id: string; document_id: string | null }>(
    'SELECT stream_id, revision, event_id, document_id FROM audit_entries ORDER BY feed_seq',
  );
  const ofDocument = stored.filter((r) => r.document_id === 'doc-b1');
  const directory = stored.find((r) => r.document_id === null)!;
  assert.ok(ofDocument.length >= 2 && directory, 'the document\'s entries and a directory entry are there');
  // Asked out of order and with a directory event among them.
  const batch = [...ofDocument].reverse().map((r) => ({ streamId: r.stream_id, revision: Number(r.revision) }));
  batch.push({ streamId: directory.stream_id, revision: Number(directory.revision) });
  const entries = await documentEntriesOf(pool, batch);
  assert.deepEqual(entries.map((e) => e.event_id), ofDocument.map((r) => r.event_id));
  assert.equal(entries[0]!.document_id, 'doc-b1');

  // The plan: the stream index, no sequential scan of audit_entries (a table of this size would
  // be scanned by preference; with sequential scans priced out, only a missing index shows one).
  const counted = countingPool(pool);
  await documentEntriesOf(counted.pool, batch);
  const client = await pool.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${counted.statements[0]!.text}`, counted.statements[0]!.values);
    type Node = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: Node[] };
    const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
    const all = nodes(rows[0]['QUERY PLAN'][0].Plan as Node);
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    assert.deepEqual(all.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'audit_entries'), [], plan);
    assert.ok(all.some((n) => n['Index Name'] === 'audit_entries_stream'), plan);
  } finally {
    client.release();
  }
});
