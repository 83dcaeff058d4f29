import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyRows } from '../../projections/shared/copy-rows.ts';
import { createTestDatabase } from '../support/database.ts';

const db = await createTestDatabase({ migrate: false });

test('copyRows stores every value exactly as an INSERT would, escapes included', async () => {
  await db.pool.query(`CREATE TABLE copy_probe (id int PRIMARY KEY, t text, n bigint, b boolean, at timestamptz, u uuid, j jsonb)`);
  const awkward = 'tab\there\nnew line\\back\\slash\r\\N 中文 \u0001';
  const rows = [
    [1, awkward, 9007199254740991, true, '2025-03-01T08:00:00.123Z', '0b9e4a5c-3c43-4a8f-9d1e-7f00c2b9a111', { k: 'v\t"q"', n: [1, 2] }],
    [2, null, null, false, new Date('2025-12-31T23:59:59.999Z'), null, null],
    [3, '\\N', 0, null, null, undefined, ['a']],
    [4, '', -1, true, null, null, JSON.stringify('plain string as json')],
  ];
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    assert.equal(await copyRows(client, 'copy_probe', ['id', 't', 'n', 'b', 'at', 'u', 'j'], rows), 4);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  const { rows: stored } = await db.pool.query(`SELECT id, t, n::text, b, to_json(at) #>> '{}' AS at, u::text, j FROM copy_probe ORDER BY id`);
  assert.deepEqual(stored, [
    { id: 1, t: awkward, n: '9007199254740991', b: true, at: '2025-03-01T08:00:00.123+00:00', u: '0b9e4a5c-3c43-4a8f-9d1e-7f00c2b9a111', j: { k: 'v\t"q"', n: [1, 2] } },
    { id: 2, t: null, n: null, b: false, at: '2025-12-31T23:59:59.999+00:00', u: null, j: null },
    { id: 3, t: '\\N', n: '0', b: null, at: null, u: null, j: ['a'] },
    { id: 4, t: '', n: '-1', b: true, at: null, u: null, j: 'plain string as json' },
  ]);
});

test('a failing COPY aborts the transaction like any statement, and the connection stays usable', async () => {
  await db.pool.query(`CREATE TABLE copy_fail (id int PRIMARY KEY)`);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO copy_fail VALUES (1)');
    await assert.rejects(copyRows(client, 'copy_fail', ['id'], [[2], [1]]), (e: { code?: string }) => e.code === '23505');
    await assert.rejects(client.query('SELECT 1'), /current transaction is aborted/);
    await client.query('ROLLBACK');
    assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM copy_fail')).rows, [{ n: 0 }]);
    assert.equal(await copyRows(client, 'copy_fail', ['id'], []), 0, 'nothing to copy: no statement');
    await assert.rejects(copyRows(client, 'copy_fail', ['id'], [[1, 2]]), TypeError);
    await assert.rejects(copyRows(client, 'copy_fail', ['id'], [[Number.NaN]]), TypeError);
  } finally {
    client.release();
  }
});

test('a batch larger than one encoded chunk arrives whole: rows and multi-byte text across chunk ends, a bad row sends nothing', async () => {
  await db.pool.query(`CREATE TABLE copy_many (id int PRIMARY KEY, t text)`);
  // Lines of differing lengths (Chinese, a surrogate pair, escapes) so the chunk ends fall inside
  // rows and after multi-byte characters: several hundred kilobytes of COPY text in all.
  const text = (i: number) => `${'签收归档'.repeat(i % 37)}\t𠀋${i}\\${'x'.repeat(i % 11)}`;
  const rows = Array.from({ length: 5000 }, (_, i) => [i, text(i)]);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    assert.equal(await copyRows(client, 'copy_many', ['id', 't'], rows), 5000);
    await assert.rejects(copyRows(client, 'copy_many', ['id', 't'], [[6000, 'ok'], ...rows.slice(0, 3000), [7000, 'late', 'extra']]), TypeError);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const { rows: stored } = await db.pool.query<{ id: number; t: string }>('SELECT id, t FROM copy_many ORDER BY id');
  assert.equal(stored.length, 5000);
  for (const r of stored) assert.equal(r.t, text(r.id));
});
