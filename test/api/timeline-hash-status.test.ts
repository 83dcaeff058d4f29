import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as audit from '../../projections/audit/queries.ts';
import { countingPool } from '../projections/mailroom-scenario.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

/**
 * Issue #16: a timeline checks its entries against their events (hashing each one) only when the
 * query shows hashStatus; asked for in any way (directly, through a named or an inline fragment), an
 * edited entry is still served as ENTRY_ALTERED, and a page that does not show it reads no event.
 */
describe('timelines check hashes only when hashStatus is shown', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.people('city-office');
  ledger.start();
  const api = await startApi(ledger);
  after(async () => {
    await api.close();
    await ledger.close();
  });
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-h'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-h' });
  await ledger.settle();
  const signed = (await audit.documentTimeline(ledger.db.pool, 'doc-h')).items.find((e) => e.type === 'DocumentSignedOff')!;
  await ledger.db.pool.query(`UPDATE audit_entries SET actor_user_id = 'edu-leader' WHERE feed_seq = $1`, [signed.feedSeq]);

  type Edge = { node: { type: string; hashStatus?: string } };
  const statuses = async (selection: string, fragments = '') => {
    const r = await api.gql('city-office-clerk', `{ timeline(documentId: "doc-h") { edges { ${selection} } } } ${fragments}`);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return Object.fromEntries((r.data!.timeline.edges as Edge[]).map((e) => [e.node.type, e.node.hashStatus]));
  };

  test('asked for directly, through a named fragment or an inline one: checked, the edited entry shows', async () => {
    for (const [selection, fragments] of [
      ['node { type hashStatus }', ''],
      ['node { type ...Checked }', 'fragment Checked on TimelineEntry { hashStatus }'],
      ['... on TimelineEdge { node { type ... on TimelineEntry { hashStatus } } }', ''],
      ['...Edge', 'fragment Edge on TimelineEdge { node { type ...Checked } } fragment Checked on TimelineEntry { hashStatus }'],
    ]) {
      const s = await statuses(selection!, fragments);
      assert.equal(s.DocumentSignedOff, 'ENTRY_ALTERED', selection);
      assert.equal(s.DocumentDrafted, 'VERIFIED', selection);
    }
  });

  test('not asked for: the page comes without reading the events', async () => {
    assert.deepEqual(Object.keys(await statuses('node { type }')).sort(), ['DocumentDrafted', 'DocumentSignedOff']);
    for (const hashStatus of [false, true]) {
      const counted = countingPool(ledger.db.pool);
      const page = await audit.documentTimeline(counted.pool, 'doc-h', { hashStatus });
      assert.equal(page.items.length, 2);
      assert.equal(/JOIN events ev/.test(counted.statements[0]!.text), hashStatus);
      assert.deepEqual(page.items.map((e) => e.hashStatus), hashStatus ? ['verified', 'entry_altered'] : [null, null]);
    }
  });
});
