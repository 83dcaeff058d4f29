import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FixtureClock, seedDossierCity } from '../support/dossier-fixture.ts';
import { createTestLedger } from '../support/ledger.ts';
import { subscribeWs as subscribe } from '../support/graphql-ws.ts';
import { startApi } from '../support/http.ts';
import { streams } from '../../src/domain/streams.ts';

/**
 * The archivist's export over the API: closeDossier, requestDossierExport (refused while the year
 * is open, and for other roles), the pg-boss job with its progress pushed by subscription and
 * queryable, the package downloadable over HTTP by the archivist who asked (only), the 四性 query
 * on it, and DossierExported in the ledger with the package's digests.
 */

test('closeDossier, requestDossierExport, progress by subscription, download by the requester, 四性 query', async () => {
  const clock = new FixtureClock();
  const ledger = await createTestLedger({ now: clock.now });
  const f = await seedDossierCity(ledger, clock);
  await f.fileOne('doc-1');
  await f.fileOne('doc-2', { retention: 'Y' });
  await ledger.settle();
  const api = await startApi(ledger);
  after(() => api.close());
  // A second archivist of the same fonds: may see the export, may not download it.
  await f.city.run(f.city.admin, 'RegisterUser', { userId: 'archivist-2', unitId: 'city-office', name: '周档案', roles: ['ARCHIVIST'] });

  const early = await api.mutate('archivist', 'requestDossierExport', { fonds: '0001', year: 2025, exportId: 'exp-early', profile: 'default' });
  assert.equal(early.code, 'INVALID_STATE');
  assert.match(early.errors![0]!.message, /gongwen close-dossier --year 2025 --fonds 0001/);
  const clerk = await api.mutate('city-office-clerk', 'closeDossier', { fonds: '0001', year: 2025 });
  assert.equal(clerk.code, 'NOT_AUTHORISED');
  const other = await api.mutate('edu-archivist', 'closeDossier', { fonds: '0001', year: 2025 });
  assert.equal(other.code, 'NOT_AUTHORISED', 'an archivist of another fonds');

  const closed = await api.mutate('archivist', 'closeDossier', { fonds: '0001', year: 2025 });
  assert.equal(closed.errors, undefined, JSON.stringify(closed.errors));
  assert.equal(closed.result!.events[0].type, 'DossierClosed');
  const requested = await api.mutate('archivist', 'requestDossierExport', { fonds: '0001', year: 2025, exportId: 'exp-1', profile: 'default' });
  assert.equal(requested.errors, undefined, JSON.stringify(requested.errors));

  const fields = 'exportId status itemsDone itemsTotal packageSha256 packageSm3 downloadUrl';
  const progress = await subscribe(api.url, await api.tokenFor('archivist'), `subscription { dossierExportProgress(exportId: "exp-1") { ${fields} } }`);
  await new Promise((ok) => setTimeout(ok, 100));
  await ledger.jobs.start();
  await ledger.exports.sweep();
  let last: any;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const m = await progress.next();
    last = m.payload?.data?.dossierExportProgress;
    if (last?.status === 'EXPORTED' || last?.status === 'FAILED') break;
  }
  progress.close();
  assert.equal(last.status, 'EXPORTED', JSON.stringify(last));
  assert.equal(last.itemsDone, 2);

  const q = await api.gql('archivist-2', `{ dossierExport(exportId: "exp-1") { ${fields} } dossierExports(fonds: "0001", year: 2025) { totalCount edges { node { exportId } } } }`);
  assert.equal(q.errors, undefined, JSON.stringify(q.errors));
  assert.equal(q.data!.dossierExport.packageSha256, last.packageSha256);
  assert.deepEqual(q.data!.dossierExports.edges.map((e: any) => e.node.exportId), ['exp-1']);
  assert.equal(q.data!.dossierExports.totalCount, 1);
  const stranger = await api.gql('edu-archivist', '{ dossierExport(exportId: "exp-1") { exportId } }');
  assert.equal(stranger.errors?.[0]?.extensions?.code, 'NOT_FOUND');

  const download = (userId: string) => api.tokenFor(userId).then((t) => fetch(`${api.url}${last.downloadUrl}`, { headers: { authorization: `Bearer ${t}` } }));
  const mine = await download('archivist');
  assert.equal(mine.status, 200);
  const zip = Buffer.from(await mine.arrayBuffer());
  assert.equal(createHash('sha256').update(zip).digest('hex'), last.packageSha256);
  // Refusals in GraphQL's error shape (http-errors.ts), with the status a plain HTTP client expects.
  const refused = async (res: Response, status: number, code: string) => {
    assert.equal(res.status, status);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.deepEqual(Object.keys(body), ['errors']);
    assert.equal(body.errors[0]!.extensions.code, code);
    return body.errors[0]!.message;
  };
  assert.match(await refused(await download('archivist-2'), 403, 'NOT_AUTHORISED'), /^移交包只能由申请导出的档案员下载/);
  await refused(await fetch(`${api.url}${last.downloadUrl}`), 401, 'UNAUTHENTICATED');
  const missing = await fetch(`${api.url}/exports/none/package`, { headers: { authorization: `Bearer ${await api.tokenFor('archivist')}`, 'accept-language': 'en' } });
  assert.equal(await refused(missing, 404, 'NOT_FOUND'), 'no such export');

  const check = await api.gql('archivist', '{ checkDossierPackage(exportId: "exp-1") { passed items findings { code item } summary } }');
  assert.equal(check.errors, undefined, JSON.stringify(check.errors));
  assert.equal(check.data!.checkDossierPackage.passed, true, check.data!.checkDossierPackage.summary);
  // An argument written null is the same as one left out (absentIfNull), on every archive read.
  const nulls = await api.gql('archivist', '{ checkDossierPackage(exportId: "exp-1", packageBase64: null) { passed findings(first: null) { code } } dossierExports(fonds: "0001", year: 2025, first: null) { edges { node { exportId } } } }');
  assert.equal(nulls.errors, undefined, JSON.stringify(nulls.errors));
  assert.equal(nulls.data!.checkDossierPackage.passed, true);
  assert.deepEqual(nulls.data!.dossierExports.edges.map((e: any) => e.node.exportId), ['exp-1']);
  const broken = Buffer.from(zip);
  broken[200] = broken[200]! ^ 0xff;
  const upload = await api.gql('archivist', 'query ($p: String) { checkDossierPackage(packageBase64: $p) { passed findings { code item } } }', { p: broken.toString('base64') });
  assert.ok(upload.errors || upload.data!.checkDossierPackage.passed === false, 'a damaged upload does not pass');

  const events = (await ledger.store.readStream(streams.dossier('0001', 2025))).events.map((e) => e.type);
  assert.deepEqual(events, ['DossierClosed', 'DossierExportRequested', 'DossierExported']);
  const exported = (await ledger.store.readStream(streams.dossier('0001', 2025))).events.at(-1)!.data as Record<string, unknown>;
  assert.equal(exported.packageSha256, last.packageSha256);
  assert.equal(exported.items, 2);
  assert.equal(exported.profile, 'default');
  await ledger.jobs.stop();
});
