import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upsertColumnRows, upsertColumnsStatement, upsertRows, upsertStatement, type Column } from '../../projections/shared/bulk-upsert.ts';
import { createTestDatabase } from '../support/database.ts';

const db = await createTestDatabase({ migrate: false });

const COLUMNS: Column[] = [
  { name: 'id', type: 'int' }, { name: 't', type: 'text' }, { name: 'b', type: 'boolean' }, { name: 'at', type: 'timestamptz' }, { name: 'u', type: 'uuid' },
];
const awkward = 'quote " back\\slash {brace}, comma NULL 中文\ttab';
const rows = [
  { id: 1, t: awkward, b: true, at: '2025-03-01T08:00:00.123Z', u: '0b9e4a5c-3c43-4a8f-9d1e-7f00c2b9a111', extra: 'ignored' },
  { id: 2, t: 'NULL', b: false, at: new Date('2025-12-31T23:59:59.999Z'), u: null },
  { id: 3, t: '', b: null }, // fields it lacks are NULL, as json_to_recordset reads them
];

test('the column form stores what the object form stores, and upserts alike', async (t) => {
  for (const table of ['by_object', 'by_column']) await db.pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, t text, b boolean, at timestamptz, u uuid)`);
  const byObject = upsertStatement('by_object', COLUMNS, ['id']);
  const byColumn = upsertColumnsStatement('by_column', COLUMNS, ['id']);
  const client = await db.pool.connect();
  t.after(() => client.release());
  await upsertRows(client, byObject, rows);
  await upsertColumnRows(client, byColumn, COLUMNS, rows);
  await upsertColumnRows(client, byColumn, COLUMNS, []);
  const read = async (table: string) => (await db.pool.query(`SELECT id, t, b, to_json(at) #>> '{}' AS at, u::text FROM ${table} ORDER BY id`)).rows;
  assert.deepEqual(await read('by_column'), await read('by_object'));
  assert.deepEqual((await read('by_column'))[0], { id: 1, t: awkward, b: true, at: '2025-03-01T08:00:00.123+00:00', u: '0b9e4a5c-3c43-4a8f-9d1e-7f00c2b9a111' });
  // A second write of a key updates its row.
  await upsertColumnRows(client, byColumn, COLUMNS, [{ id: 2, t: 'again', b: true }]);
  assert.deepEqual((await read('by_column'))[1], { id: 2, t: 'again', b: true, at: null, u: null });
});

test('an array column is refused: it cannot ride in unnest', () => {
  assert.throws(() => upsertColumnsStatement('t', [{ name: 'id', type: 'int' }, { name: 'ids', type: 'text[]' }], ['id']), /array column/);
});
