import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogueProjection } from '../../projections/catalogue/index.ts';
import { groupKeyOf, type ItemRow } from '../../projections/catalogue/fold.ts';
import { writeBatch } from '../../projections/catalogue/store.ts';
import { storedRendering, storeRendering } from '../../src/render/rendering-contents.ts';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * Two writes of every document lifecycle made cheaper for PostgreSQL (issue #16.3): the rendering's
 * bytes are stored without pglz's futile try at compressing a PDF (migration 330), and the
 * catalogue's 页数 update finds the filed rows by the documents' ids instead of scanning them all.
 */

test('rendering contents are stored uncompressed out of line, and read back as written', async () => {
  const db = await createTestDatabase();
  const { rows } = await db.pool.query(`SELECT attstorage FROM pg_attribute WHERE attrelid = 'rendering_contents'::regclass AND attname = 'bytes'`);
  assert.equal(rows[0].attstorage, 'e', 'EXTERNAL: out of line, never compressed');
  // Compressible bytes too: stored as they are, and the same bytes come back.
  const pdf = Buffer.from('%PDF-1.7\n'.repeat(20_000));
  const sm3 = sm3Hex(pdf);
  await storeRendering(db.pool, { pdf, sm3 });
  const { rows: size } = await db.pool.query(`SELECT pg_column_size(bytes) AS stored FROM rendering_contents WHERE sm3 = $1`, [sm3]);
  assert.equal(size[0].stored, pdf.length);
  assert.deepEqual(await storedRendering(db.pool, sm3), pdf);
});

const item = (documentId: string, unitId: string, itemNo: number, pages: number | null): ItemRow => ({
  documentId,
  unitId,
  side: 'sent',
  fondsKey: '0001',
  fondsCode: '0001',
  year: 2026,
  retention: 'D10',
  retentionRank: 3,
  organisationCode: null,
  groupOrg: '',
  itemNo,
  archivalCode: `0001-WS·2026-D10-${String(itemNo).padStart(4, '0')}`,
  docNumber: null,
  responsible: '市政府办公室',
  title: '关于开展安全检查的通知',
  documentDate: '20260302',
  classification: '非密',
  pages,
  remarks: null,
  recalled: false,
  filedBy: 'clerk',
  filedAt: '2026-03-05T01:00:00.000Z',
});

test('a rendering recorded after filing sets the pages of that document’s rows only, through the primary key', async () => {
  const db = await createTestDatabase();
  await db.pool.query(catalogueProjection.schemaSql);
  const client = await db.pool.connect();
  try {
    const items = [item('doc-1', 'office', 1, 9), item('doc-1', 'bureau', 2, null), item('doc-2', 'office', 3, 4)];
    // Enough other rows that a scan of them all would be the planner's poorer choice.
    const others = Array.from({ length: 3000 }, (_, i) => item(`other-${i}`, 'office', 10 + i, 1));
    await writeBatch(client, [], [], [...items, ...others], new Map([[groupKeyOf(items[0]!), 3009]]));
    await client.query('ANALYZE catalogue_items');
    const plans: string[] = [];
    const query = client.query.bind(client);
    // The statement as sent, explained with the same arguments (the projection runs it in its batch).
    const explaining = Object.assign(Object.create(client), {
      query: async (text: string, values?: unknown[]) => {
        if (typeof text === 'string' && text.startsWith('UPDATE catalogue_items')) {
          const { rows } = await query(`EXPLAIN ${text}`, values);
          plans.push(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n'));
        }
        return query(text, values);
      },
    });
    await writeBatch(explaining, [], [], [], new Map(), new Map([['doc-1', 2]]));
    const { rows } = await client.query(`SELECT document_id, unit_id, pages FROM catalogue_items WHERE document_id IN ('doc-1', 'doc-2') ORDER BY document_id, unit_id`);
    assert.deepEqual(rows, [
      { document_id: 'doc-1', unit_id: 'bureau', pages: 2 },
      { document_id: 'doc-1', unit_id: 'office', pages: 2 },
      { document_id: 'doc-2', unit_id: 'office', pages: 4 },
    ]);
    assert.equal(plans.length, 1);
    assert.match(plans[0]!, /catalogue_items_pkey/);
    assert.doesNotMatch(plans[0]!, /Seq Scan on catalogue_items/);
  } finally {
    client.release();
  }
});
