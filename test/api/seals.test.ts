import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { generateSm2KeyPair, sm2Sign } from '../../src/integrity/sm2.ts';
import { verifySealedDocumentPackage } from '../../src/seal/sealed-document-package.ts';
import { startApi } from '../support/http.ts';
import { createTestLedger, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** The operator's CLI on the ledger's own machine: its database and its key. */
async function gongwen(ledgerEnv: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, ...ledgerEnv } });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

/** `gongwen verify-seal` as an inspector runs it, on a machine without the ledger's key. */
async function verifySealCli(file: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const env = { ...process.env, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-inspector-')), GONGWEN_LEDGER_KEY: '', DATABASE_URL: '' };
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify-seal', file, ...args], { cwd: root, env });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const VERIFY = `query ($id: ID!) { verifySeal(documentId: $id) { valid problems { code message } notes sealId sealName sealedBy keyCustody docNumber contentDigest recomputedDigest } }`;

describe('electronic seals over GraphQL', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'inspector', unitId: 'city-office', name: '纪检员', roles: ['INSPECTOR'] });
  const api = await startApi(ledger);
  after(() => api.close());
  const pdf = Buffer.from('%PDF-1.7 电子印章试点方案');
  const draftAndSignOff = async (documentId: string) => {
    const d = await api.mutate('city-office-clerk', 'draftDocument', {
      documentId,
      title: '关于开展电子印章应用试点的通知',
      docType: '通知',
      urgency: '平件',
      body: '　　为推进电子印章在政务专网中的应用，现就试点工作通知如下。',
      mainRecipients: ['edu'],
      docNumberPrefix: '阜政办',
      attachments: [{ name: '试点方案.pdf', mediaType: 'application/pdf', contentBase64: pdf.toString('base64') }],
    });
    assert.ok(d.result, JSON.stringify(d.errors));
    assert.ok((await api.mutate('city-office-leader', 'signOffDocument', { documentId })).result);
  };
  const sealServer = (documentId: string, passphrase = SEAL_PASSPHRASE) => api.mutate('city-office-keeper', 'sealDocument', { documentId, sealId: 'city-office-seal', passphrase });

  test('seal with the passphrase, send, and the recipient verifies the seal', async () => {
    await draftAndSignOff('v-1');
    assert.ok((await sealServer('v-1')).result);
    assert.ok((await api.mutate('city-office-clerk', 'sendDocument', { documentId: 'v-1' })).result);
    await ledger.settle();
    const r = await api.gql('edu-clerk', VERIFY, { id: 'v-1' });
    const v = r.data!.verifySeal;
    assert.equal(v.valid, true, JSON.stringify(v.problems));
    assert.equal(v.sealId, 'city-office-seal');
    assert.equal(v.sealName, '阜阳市人民政府办公室');
    assert.equal(v.keyCustody, 'SERVER');
    assert.equal(v.contentDigest, v.recomputedDigest);
    // A unit that neither issued nor received it does not learn it exists.
    const other = await api.gql('fin-clerk', VERIFY, { id: 'v-1' });
    assert.equal(other.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  test('a wrong passphrase: SEAL_PASSPHRASE_WRONG, seen by inspectors in the security log', async () => {
    await draftAndSignOff('v-2');
    const r = await sealServer('v-2', 'Cuowu-mima-1');
    assert.equal(r.status, 200);
    assert.equal(r.code, 'SEAL_PASSPHRASE_WRONG');
    assert.match(r.errors![0]!.message, /印章「阜阳市人民政府办公室」的密码不正确/);
    const log = await api.gql('inspector', '{ securityLog(unitId: "city-office") { edges { node { code commandType userId } } } }');
    assert.deepEqual(log.data!.securityLog.edges[0].node, { code: 'SEAL_PASSPHRASE_WRONG', commandType: 'SealDocument', userId: 'city-office-keeper' });
    assert.ok((await sealServer('v-2')).result);
  });

  test('a USB key: prepareSealing → sealingContent → sign on the key → sealDocument with the signature', async () => {
    const usb = generateSm2KeyPair();
    const issued = await api.mutate('admin', 'issueSeal', {
      sealId: 'office-usb', unitId: 'city-office', name: '阜阳市人民政府办公室', sealType: '公文专用章', keyCustody: 'client',
      publicKey: usb.publicKeyHex, validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-01-01T00:00:00.000Z', keeperUserIds: ['city-office-keeper'],
    });
    assert.ok(issued.result, JSON.stringify(issued.errors));
    await draftAndSignOff('v-3');
    const before = await api.gql('city-office-keeper', '{ sealingContent(documentId: "v-3") { docNumber } }');
    assert.equal(before.errors?.[0]?.extensions?.code, 'INVALID_STATE');
    assert.ok((await api.mutate('city-office-keeper', 'prepareSealing', { documentId: 'v-3', sealId: 'office-usb' })).result);
    const c = await api.gql('city-office-keeper', '{ sealingContent(documentId: "v-3") { docNumber canonicalContent contentDigest digestAlgorithm signatureAlgorithm signerId } }');
    const content = c.data!.sealingContent;
    assert.equal(content.signatureAlgorithm, '1.2.156.10197.1.501');
    assert.equal(content.signerId, '1234567812345678');
    assert.equal(JSON.parse(content.canonicalContent).docNumber, content.docNumber);
    const outsider = await api.gql('edu-keeper', '{ sealingContent(documentId: "v-3") { docNumber } }');
    assert.equal(outsider.errors?.[0]?.extensions?.code, 'NOT_FOUND');

    const wrong = await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'v-3', sealId: 'office-usb', signature: sm2Sign(usb.privateKeyHex, Buffer.from('0'.repeat(64), 'hex')) });
    assert.equal(wrong.code, 'SIGNATURE_INVALID');
    const signature = sm2Sign(usb.privateKeyHex, Buffer.from(content.contentDigest, 'hex'));
    const sealed = await api.mutate('city-office-keeper', 'sealDocument', { documentId: 'v-3', sealId: 'office-usb', signature });
    assert.ok(sealed.result, JSON.stringify(sealed.errors));
    const v = (await api.gql('city-office-clerk', VERIFY, { id: 'v-3' })).data!.verifySeal;
    assert.equal(v.valid, true, JSON.stringify(v.problems));
    assert.equal(v.keyCustody, 'CLIENT');
    assert.equal(v.docNumber, content.docNumber);
  });

  test('seals show their key, custody and picture; the usage log is for the unit and inspectors', async () => {
    const seals = await api.gql('edu-clerk', '{ seals(unitId: "city-office") { sealId publicKey keyCustody pictureSvg } }');
    await ledger.settle();
    const office = (await api.gql('edu-clerk', '{ seals(unitId: "city-office") { sealId publicKey keyCustody pictureSvg } }')).data!.seals;
    assert.ok(seals.data, JSON.stringify(seals.errors));
    const main = office.find((s: { sealId: string }) => s.sealId === 'city-office-seal');
    assert.match(main.publicKey, /^04[0-9a-f]{128}$/);
    assert.equal(main.keyCustody, 'SERVER');
    assert.match(main.pictureSvg, /^<svg[^>]*width="42mm"/);
    const usage = await api.gql('inspector', '{ sealUsage(unitId: "city-office") { edges { node { documentId sealId keeperUserId keyCustody anomalies } } } }');
    const docs = usage.data!.sealUsage.edges.map((e: { node: { documentId: string; keyCustody: string } }) => [e.node.documentId, e.node.keyCustody]);
    assert.deepEqual(docs, [['v-1', 'SERVER'], ['v-2', 'SERVER'], ['v-3', 'CLIENT']]);
    const foreign = await api.gql('edu-keeper', '{ sealUsage(unitId: "city-office") { edges { node { documentId } } } }');
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
  });

  test('tampering shows: content changed, attachment changed; a seal revoked after the sealing is only a note', async () => {
    await draftAndSignOff('v-4');
    assert.ok((await sealServer('v-4')).result);
    await ledger.db.pool.query(
      `UPDATE events SET data = jsonb_set(data, '{body}', to_jsonb('　　改过的正文。'::text)) WHERE stream_id = 'document-v-4' AND type = 'DocumentDrafted'`,
    );
    const changed = (await api.gql('city-office-clerk', VERIFY, { id: 'v-4' })).data!.verifySeal;
    assert.equal(changed.valid, false);
    assert.deepEqual(changed.problems.map((p: { code: string }) => p.code), ['CONTENT_CHANGED']);
    assert.match(changed.problems[0].message, /公文内容已被改动/);

    const { rows } = await ledger.db.pool.query(`SELECT data->'attachments'->0->>'sm3' AS sm3 FROM events WHERE stream_id = 'document-v-1' AND type = 'DocumentDrafted'`);
    await ledger.db.pool.query(`UPDATE attachment_contents SET bytes = $2 WHERE sm3 = $1`, [rows[0].sm3, Buffer.from('%PDF-1.7 被替换的附件')]);
    const attachment = (await api.gql('edu-clerk', VERIFY, { id: 'v-1' })).data!.verifySeal;
    assert.deepEqual(attachment.problems.map((p: { code: string }) => p.code), ['ATTACHMENT_CHANGED']);
    await ledger.db.pool.query(`UPDATE attachment_contents SET bytes = $2 WHERE sm3 = $1`, [rows[0].sm3, pdf]);

    assert.ok((await api.mutate('admin', 'revokeSeal', { sealId: 'office-usb', reason: 'USB Key 遗失' })).result);
    const revokedLater = (await api.gql('city-office-clerk', VERIFY, { id: 'v-3' })).data!.verifySeal;
    assert.equal(revokedLater.valid, true);
    assert.match(revokedLater.notes[0], /盖章之后.*注销.*不影响/);
  });

  test('exported package: gongwen verify-seal says valid; a changed body, a trimmed history or an unknown ledger key is caught', async () => {
    const r = await api.gql('edu-clerk', '{ exportSealedDocument(documentId: "v-1") }');
    const text = r.data!.exportSealedDocument as string;
    const key = (await api.gql('edu-clerk', '{ ledgerKey { publicKey keyId } }')).data!.ledgerKey;
    assert.equal(key.publicKey, ledger.key.publicKeyHex);
    const dir = await mkdtemp(join(tmpdir(), 'gongwen-export-'));
    const file = join(dir, 'v-1.json');
    await writeFile(file, text);

    const ok = await verifySealCli(file, '--issuer-key', key.publicKey);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /印章验证通过/);
    // The sealing event is proven in the ledger's Merkle log under a checkpoint the ledger signed.
    assert.match(ok.out, /账本存证 ledger: +已记入全局日志/);
    const checkpoint = await ledger.merkleLog.latestCheckpoint();
    assert.ok(checkpoint && JSON.parse(text).ledgerProof.inclusion.treeSize <= checkpoint.treeSize);

    // A proof moved to another event, or with a broken audit path, proves nothing.
    const forged = JSON.parse(text);
    forged.ledgerProof.event.recordedAt = '2020-01-01T00:00:00.000Z';
    const re = verifySealedDocumentPackage(JSON.stringify(forged), [key.publicKey]);
    assert.ok('problems' in re && re.problems.some((p) => p.code === 'LEDGER_PROOF_INVALID'));
    const badPath = JSON.parse(text);
    badPath.ledgerProof.inclusion.rootHash = '0'.repeat(64);
    const rp = verifySealedDocumentPackage(JSON.stringify(badPath), [key.publicKey]);
    assert.ok('problems' in rp && rp.problems.map((p) => p.code).includes('LEDGER_PROOF_INVALID'));

    const untrusted = await verifySealCli(file);
    assert.equal(untrusted.code, 1, untrusted.out);
    assert.match(untrusted.out, /UNTRUSTED_ISSUER/);

    const pkg = JSON.parse(text);
    pkg.content.body = `${pkg.content.body}（附加一句）`;
    const tampered = join(dir, 'tampered.json');
    await writeFile(tampered, JSON.stringify(pkg));
    const bad = await verifySealCli(tampered, '--issuer-key', key.publicKey);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /CONTENT_CHANGED/);

    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, '{"format":"something-else"}');
    assert.equal((await verifySealCli(garbage, '--issuer-key', key.publicKey)).code, 2);

    // A package of the revoked USB seal with its revocation cut out: the ledger's signature breaks.
    const usbPkg = JSON.parse((await api.gql('city-office-clerk', '{ exportSealedDocument(documentId: "v-3") }')).data!.exportSealedDocument);
    assert.equal(verifySealedDocumentPackage(JSON.stringify(usbPkg), [key.publicKey]).valid, true);
    usbPkg.sealHistory = usbPkg.sealHistory.filter((h: { status: string }) => h.status === 'issued');
    const trimmed = verifySealedDocumentPackage(JSON.stringify(usbPkg), [key.publicKey]);
    assert.equal(trimmed.valid, false);
    assert.ok('problems' in trimmed && trimmed.problems.some((p) => p.code === 'PACKAGE_ALTERED'));
  });

  test('gongwen export-document on the ledger machine, then verify-seal there with its own key', async () => {
    const env = { DATABASE_URL: ledger.config.DATABASE_URL!, GONGWEN_DATA_DIR: ledger.config.GONGWEN_DATA_DIR };
    const file = join(await mkdtemp(join(tmpdir(), 'gongwen-export-')), 'v-3.json');
    const exported = await gongwen(env, 'export-document', 'v-3', '--out', file);
    assert.equal(exported.code, 0, exported.err);
    assert.match(exported.err, /已导出/);
    const checked = await gongwen(env, 'verify-seal', file);
    assert.equal(checked.code, 0, checked.out);
    assert.match(checked.out, /印章验证通过[\s\S]*USB Key[\s\S]*盖章之后/);
    const missing = await gongwen(env, 'export-document', 'no-such-doc');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /不存在/);
  });
});
