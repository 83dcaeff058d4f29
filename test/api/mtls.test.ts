import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf } from '../../src/api/authenticate.ts';
import { buildServer } from '../../src/server.ts';
import { createTestLedger, seedCity, SYSTEM, user } from '../support/ledger.ts';

/** A CA, a server certificate for 127.0.0.1 and two client certificates, made with openssl. */
async function certificates() {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test City CA');
  for (const name of ['server', 'clerk', 'stranger']) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2',
      ...(name === 'server' ? ['-extfile', await writeExt(dir)] : []));
  }
  return dir;
}

async function writeExt(dir: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const path = join(dir, 'san.ext');
  await writeFile(path, 'subjectAltName=IP:127.0.0.1\n');
  return path;
}

function post(port: number, client: string | null, body: string, ca: Buffer, key?: Buffer, cert?: Buffer): Promise<any> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/graphql', method: 'POST', ca, ...(client ? { key, cert } : {}), headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok(JSON.parse(text)));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

test('a registered client certificate logs its user in over mutual TLS; an unregistered or revoked one does not', async () => {
  const dir = await certificates();
  const ledger = await createTestLedger({
    env: { GONGWEN_TLS_CERT: join(dir, 'server.pem'), GONGWEN_TLS_KEY: join(dir, 'server.key'), GONGWEN_TLS_CLIENT_CA: join(dir, 'ca.pem') },
  });
  await seedCity(ledger);
  const fingerprint = fingerprintOf(new X509Certificate(await readFile(join(dir, 'clerk.pem'))).fingerprint256);
  await ledger.commands.execute(SYSTEM, 'IssueCredential', {
    commandId: `c-${randomUUID()}`, userId: 'edu-clerk', credentialId: 'usb-key', tokenHash: fingerprint, tokenHashAlgorithm: 'sha256',
  });
  await ledger.settle();
  const app = await buildServer(ledger, { logLevel: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  after(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const ca = await readFile(join(dir, 'ca.pem'));
  const me = JSON.stringify({ query: '{ me { userId unitId } }' });
  const as = async (name: string) => post(port, name, me, ca, await readFile(join(dir, `${name}.key`)), await readFile(join(dir, `${name}.pem`)));

  assert.deepEqual((await as('clerk')).data?.me, { userId: 'edu-clerk', unitId: 'edu' });
  assert.equal((await as('stranger')).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal((await post(port, null, me, ca)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');

  await ledger.commands.execute(user('admin', 'city-office', 'SUPER_ADMIN'), 'RevokeCredential', { commandId: `c-${randomUUID()}`, userId: 'edu-clerk', credentialId: 'usb-key' });
  assert.equal((await as('clerk')).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});
