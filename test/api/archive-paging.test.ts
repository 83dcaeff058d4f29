import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FixtureClock, seedDossierCity } from '../support/dossier-fixture.ts';
import { createTestLedger } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';
import { walkBothWays, type RelayPage } from '../support/relay-walk.ts';

/**
 * Issue 11: the archive side's lists as full Relay connections over HTTP — the 归档文件目录
 * (catalogue), the 发文登记簿 (numberRegister) and the export jobs (dossierExports) — read
 * forward and backward by their cursors, with pageInfo both ways and totalCount; and their closed
 * sets and times typed (CatalogueSide, NumberReleaseReason, DossierExportStatus, DateTime).
 */
describe('archive lists page both ways', async () => {
  const clock = new FixtureClock();
  const ledger = await createTestLedger({ now: clock.now });
  const f = await seedDossierCity(ledger, clock);
  const retentions = ['Y', 'D30', 'D10', 'D30', 'Y'] as const;
  for (const [i, retention] of retentions.entries()) await f.fileOne(`ap-${i + 1}`, { retention });
  await ledger.settle();
  const api = await startApi(ledger);
  after(() => api.close());
  const ok = (r: Awaited<ReturnType<typeof api.gql>>, field: string) => {
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data![field];
  };
  /** Arguments written into the query; an enum value is given as { enum: NAME }. */
  const vars = (a: Record<string, unknown>) =>
    `(${Object.entries(a).map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null && 'enum' in v ? (v as { enum: string }).enum : JSON.stringify(v)}`).join(', ')})`;
  const PAGE = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount';

  test('catalogue: forward = backward reversed, in the printed order (永久, 30 年, 10 年), typed side', async () => {
    const page = async (a: Record<string, unknown>): Promise<RelayPage<any>> =>
      ok(await api.gql('archivist', `{ catalogue${vars({ fonds: '0001', year: 2025, ...a })} { edges { cursor node { archivalCode retention side documentId } } ${PAGE} } }`), 'catalogue');
    const all = await walkBothWays(page, 2, 'catalogue');
    assert.equal(all.length, 5);
    assert.deepEqual(all.map((e) => e.node.retention), ['PERMANENT', 'PERMANENT', 'YEARS_30', 'YEARS_30', 'YEARS_10']);
    assert.ok(all.every((e) => e.node.side === 'SENT'));
    const d30 = await walkBothWays((a) => page({ ...a, retention: { enum: 'YEARS_30' } }) as never, 1, 'catalogue of one retention');
    assert.deepEqual(d30.map((e: any) => e.node.documentId), ['ap-2', 'ap-4']);
    // A cursor names its list: one of all retentions handed to the list of one retention is refused.
    const foreign = await api.gql('archivist', `{ catalogue(fonds: "0001", year: 2025, retention: YEARS_30, after: "${all[0]!.cursor}") { totalCount } }`);
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
    const both = await api.gql('archivist', '{ catalogue(fonds: "0001", year: 2025, first: 2, last: 2) { totalCount } }');
    assert.equal(both.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED');
  });

  test('numberRegister: forward = backward reversed, totalCount = lastNumber, reason typed', async () => {
    const page = async (a: Record<string, unknown>): Promise<RelayPage<any>> => {
      const r = ok(await api.gql('city-office-clerk', `{ numberRegister${vars({ unitId: 'city-office', prefix: '阜政办', year: 2025, ...a })} { lastNumber edges { cursor node { number status reason at } } ${PAGE} } }`), 'numberRegister');
      assert.equal(r.lastNumber, r.totalCount);
      return r;
    };
    const all = await walkBothWays(page, 2, 'numberRegister');
    assert.deepEqual(all.map((e) => e.node.number), [1, 2, 3, 4, 5]);
    assert.ok(all.every((e) => e.node.status === 'ISSUED' && e.node.reason === null));
    // Between two cursors: the numbers strictly between them.
    const between = await page({ after: all[0]!.cursor, before: all[4]!.cursor, first: 10 });
    assert.deepEqual(between.edges.map((e: any) => e.node.number), [2, 3, 4]);
    assert.deepEqual([between.pageInfo.hasPreviousPage, between.pageInfo.hasNextPage], [true, false]);
    const other = await api.gql('city-office-clerk', `{ numberRegister(unitId: "city-office", prefix: "阜政办", year: 2026, after: "${all[0]!.cursor}") { totalCount } }`);
    assert.equal(other.errors?.[0]?.extensions?.code, 'VALIDATION_FAILED', 'a cursor of another year is refused');
  });

  test('dossierExports: newest first, forward = backward reversed, status an enum and times DateTime', async () => {
    assert.equal((await api.mutate('archivist', 'closeDossier', { fonds: '0001', year: 2025 })).errors, undefined);
    // The job queue is not started: the exports stay requested (the list is what is tested here).
    for (let i = 1; i <= 5; i++) {
      const r = await api.mutate('archivist', 'requestDossierExport', { fonds: '0001', year: 2025, exportId: `ap-exp-${i}`, profile: 'default' });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    const page = async (a: Record<string, unknown>): Promise<RelayPage<any>> =>
      ok(await api.gql('archivist', `{ dossierExports${vars({ fonds: '0001', year: 2025, ...a })} { edges { cursor node { exportId status requestedAt updatedAt profile } } ${PAGE} } }`), 'dossierExports');
    const all = await walkBothWays(page, 2, 'dossierExports');
    assert.deepEqual(all.map((e) => e.node.exportId), ['ap-exp-5', 'ap-exp-4', 'ap-exp-3', 'ap-exp-2', 'ap-exp-1']);
    for (const e of all) {
      assert.equal(e.node.status, 'REQUESTED');
      assert.match(e.node.requestedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    }
    const byStatus = await api.gql('archivist', '{ __type(name: "DossierExport") { fields { name type { ofType { name } } } } }');
    const types = Object.fromEntries(byStatus.data!.__type.fields.map((x: any) => [x.name, x.type.ofType?.name]));
    assert.deepEqual([types.status, types.requestedAt, types.updatedAt], ['DossierExportStatus', 'DateTime', 'DateTime']);
  });
});
