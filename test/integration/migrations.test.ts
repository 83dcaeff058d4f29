import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMigrations } from '../../src/db/database.ts';
import { migrate, MigrationChecksumError } from '../../src/db/migrate.ts';
import { createTestDatabase } from '../support/database.ts';

test('migrations apply once: a second run, and four concurrent runs, apply nothing more', async () => {
  const db = await createTestDatabase({ migrate: false });
  // Four at once: they race to create the bookkeeping table itself, not only to apply files.
  const applied = (await Promise.all([1, 2, 3, 4].map(() => migrate(db.pool, allMigrations)))).flat();
  assert.ok(applied.length > 0);
  assert.equal(new Set(applied).size, applied.length, 'no migration applied twice');
  assert.deepEqual(await migrate(db.pool, allMigrations), []);
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM schema_migrations');
  assert.equal(rows[0].n, applied.length);
});

test('a migration changed after it was applied is refused, not silently skipped', async () => {
  const db = await createTestDatabase({ migrate: false });
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-mig-'));
  await writeFile(join(dir, '001_t.sql'), 'CREATE TABLE t (a int);');
  assert.deepEqual(await migrate(db.pool, [{ component: 'x', dir }]), ['x/001_t']);
  await writeFile(join(dir, '001_t.sql'), 'CREATE TABLE t (a int, b int);');
  await assert.rejects(migrate(db.pool, [{ component: 'x', dir }]), MigrationChecksumError);
});

test('a failing migration leaves nothing half-applied', async () => {
  const db = await createTestDatabase({ migrate: false });
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-mig-'));
  await writeFile(join(dir, '001_bad.sql'), 'CREATE TABLE half (a int); SELECT * FROM no_such_table;');
  await assert.rejects(migrate(db.pool, [{ component: 'y', dir }]));
  const { rows } = await db.pool.query(`SELECT to_regclass('half') AS t, (SELECT count(*)::int FROM schema_migrations WHERE component = 'y') AS n`);
  assert.equal(rows[0].t, null);
  assert.equal(rows[0].n, 0);
});
