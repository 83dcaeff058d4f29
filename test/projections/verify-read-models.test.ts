import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allProjections } from '../../projections/index.ts';
import { compareReadModels, formatReadModelReport } from '../../src/projections/compare-read-models.ts';
import { SEAL_PASSPHRASE, createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

// Issue 9, item 11: `gongwen verify --read-models` rebuilds every projection aside and names the
// first row that differs from the live read model.
test('every read model rebuilt aside equals the live one, until a row is edited, inserted or deleted behind the ledger', async () => {
  const ledger = await createTestLedger();
  const pool = ledger.db.pool;
  const city = await seedCity(ledger);
  const office = city.people('city-office');
  await city.run(office.clerk, 'DraftDocument', draftInput('doc-rm'));
  await city.run(office.leader, 'SignOffDocument', { documentId: 'doc-rm' });
  await city.run(office.keeper, 'SealDocument', { documentId: 'doc-rm', sealId: 'city-office-seal', passphrase: SEAL_PASSPHRASE });
  await city.run(office.clerk, 'SendDocument', { documentId: 'doc-rm' });
  await ledger.settle();

  const clean = await compareReadModels(pool, ledger.store, allProjections);
  assert.equal(clean.ok, true, formatReadModelReport(clean));
  assert.deepEqual(clean.projections.map((p) => p.name), allProjections.map((p) => p.name));
  assert.ok(clean.projections.every((p) => p.eventsReplayed > 0));
  const { rows: schemas } = await pool.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'gongwen_verify_%'`);
  assert.deepEqual(schemas, [], 'the scratch schema is dropped');

  await pool.query(`UPDATE audit_entries SET actor_user_id = 'edu-leader' WHERE document_id = 'doc-rm' AND type = 'DocumentSignedOff'`);
  const edited = await compareReadModels(pool, ledger.store, allProjections);
  assert.equal(edited.ok, false);
  const audit = edited.projections.find((p) => p.name === 'audit')!;
  assert.equal(audit.difference?.table, 'audit_entries');
  assert.equal(audit.difference?.rowsDiffering, 2, 'the edited row, and the row the events make');
  assert.match(audit.difference!.row, /DocumentSignedOff/);
  assert.ok(edited.projections.filter((p) => p.name !== 'audit').every((p) => p.difference === null));
  assert.match(formatReadModelReport(edited), /读模型校验未通过[\s\S]*audit_entries/);

  await pool.query(`DELETE FROM inbox_items WHERE document_id = 'doc-rm' AND unit_id = 'edu'`);
  const deleted = await compareReadModels(pool, ledger.store, allProjections);
  const inbox = deleted.projections.find((p) => p.name === 'inbox')!;
  assert.equal(inbox.difference?.side, 'rebuilt_only');
  assert.match(inbox.difference!.row, /doc-rm/);
});
