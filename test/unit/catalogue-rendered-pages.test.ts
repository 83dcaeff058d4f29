import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAT22_2015 } from '../../archive-formats/archival-code/index.ts';
import { resolveBatch, type DocumentRow, type UnitRow } from '../../projections/catalogue/fold.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';

/**
 * The catalogue's 页数 is the recorded rendering's page count (DocumentRendered): measured from the
 * archived file, it wins over the pages a filing typed in, whether the rendering was recorded before
 * the filing (the usual order: rendered at sealing) or after it (then the filed rows are updated).
 */
const config = { timeZone: 'Asia/Shanghai', template: DAT22_2015 };
const ev = (type: string, data: Record<string, unknown>) => ({ type, data }) as unknown as RecordedEvent;
const rendered = (pageCount: number) => ev('DocumentRendered', { documentId: 'doc-1', issuerUnitId: 'office', pageCount });
const filed = ev('DocumentFiled', {
  documentId: 'doc-1',
  issuerUnitId: 'office',
  retention: 'D30',
  fondsCode: '0001',
  pages: 9,
  title: '关于开展安全检查的通知',
  docNumber: '阜政办〔2025〕1号',
  classification: '非密',
  documentDate: '2025-03-02T01:00:00.000Z',
  recalled: false,
  filedBy: 'clerk',
  filedAt: '2025-03-05T01:00:00.000Z',
});
const fresh = () => {
  const units = new Map<string, UnitRow>([['office', { unitId: 'office', name: '市政府办公室', fondsCode: '0001', organisationCode: null }]]);
  const documents = new Map<string, DocumentRow>([
    ['doc-1', { documentId: 'doc-1', issuerUnitId: 'office', signedOffAt: '2025-03-02T01:00:00.000Z', title: '关于开展安全检查的通知', docNumber: '阜政办〔2025〕1号', issuerName: '市政府办公室', renderedPages: null }],
  ]);
  return { units, documents };
};

test('a rendering recorded before the filing gives the filed row its page count', () => {
  const { units, documents } = fresh();
  const out = resolveBatch([rendered(3), filed], units, documents, config);
  assert.equal(out.pending[0]!.pages, 3);
  assert.equal(documents.get('doc-1')!.renderedPages, 3, 'kept on the document for filings in later batches');
  assert.ok(out.documents.has('doc-1'));
});

test('without a rendering the pages the filing gave stand', () => {
  const { units, documents } = fresh();
  assert.equal(resolveBatch([filed], units, documents, config).pending[0]!.pages, 9);
});

test('a rendering recorded after the filing is reported for the rows already written', () => {
  const { units, documents } = fresh();
  resolveBatch([filed], units, documents, config);
  const later = resolveBatch([rendered(4)], units, documents, config);
  assert.deepEqual([...later.rendered], [['doc-1', 4]]);
});
