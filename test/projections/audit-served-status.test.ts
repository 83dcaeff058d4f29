import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditProjection } from '../../projections/audit/index.ts';
import * as Q from '../../projections/audit/queries.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

// Issue 9, item 11: the timeline is shown to inspectors as evidence; an entry edited in the read
// model must not be served as verified. Its status is computed when served, from its event.
test('audit entries edited in the read model are served as altered, an inserted one as without event', async () => {
  const ledger = await createTestLedger();
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const office = city.people('city-office');
  const runner = new ProjectionRunner(pool, ledger.store, [auditProjection]);
  await runner.prepare();
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-e'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-e' });
  await city.run(office.keeper, 'SealDocument', { documentId: 'doc-e', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
  await ledger.settle();
  await runner.catchUp();
  const timeline = async () => (await Q.documentTimeline(pool, 'doc-e')).items;
  const before = await timeline();
  assert.ok(before.length >= 3);
  assert.ok(before.every((e) => e.hashStatus === 'verified'), JSON.stringify(before.map((e) => e.hashStatus)));
  const byType = (type: string) => before.find((e) => e.type === type)!;

  const drafted = byType('DocumentDrafted');
  const signed = byType('DocumentSignedOff');
  const sealed = byType('DocumentSealed');
  await pool.query(`UPDATE audit_entries SET actor_user_id = 'edu-leader' WHERE feed_seq = $1`, [signed.feedSeq]);
  await pool.query(`UPDATE audit_entries SET occurred_at = occurred_at - interval '3 days' WHERE feed_seq = $1`, [drafted.feedSeq]);
  await pool.query(`UPDATE audit_entries SET action = '签发' WHERE feed_seq = $1`, [sealed.feedSeq]);
  // A fake 归档, copied from a real entry with a new place in the feed.
  await pool.query(
    `INSERT INTO audit_entries SELECT feed_seq + 100000, position, global_position + 100000, stream_id, revision + 10, gen_random_uuid(),
            'DocumentFiled', '归档', actor_user_id, actor_unit_id, actor_role, command_id, correlation_id, document_id, subject_unit_id,
            subject_user_id, occurred_at, recorded_at, late_recorded, hash, prev_hash, 'verified'
       FROM audit_entries WHERE feed_seq = $1`,
    [sealed.feedSeq],
  );

  const after = await timeline();
  const status = new Map(after.map((e) => [e.feedSeq, e.hashStatus]));
  assert.equal(status.get(signed.feedSeq), 'entry_altered', 'another actor');
  assert.equal(status.get(drafted.feedSeq), 'entry_altered', 'a date moved three days');
  assert.equal(status.get(sealed.feedSeq), 'entry_altered', '盖章 relabelled 签发');
  assert.equal(status.get(sealed.feedSeq + 100000), 'event_missing', 'a fake 归档 inserted');
  const untouched = after.filter((e) => ![signed.feedSeq, drafted.feedSeq, sealed.feedSeq, sealed.feedSeq + 100000].includes(e.feedSeq));
  assert.ok(untouched.length > 0 && untouched.every((e) => e.hashStatus === 'verified'));
  await runner.stop();
});
