/**
 * `BENCH_ONLY=hostile npm run bench` (or `npx tsx bench/hostile-queries.ts`): what two hostile
 * queries cost the server, in time and in peak memory of the process (the server runs in it).
 *
 * - fragment fan-out, no login: `query { ...F0 } fragment F0 on Query { ...F1 ...F1 } …` with
 *   BENCH_FRAGMENT_LEVELS levels (default 24; the document is under 1 KB);
 * - alias flood, logged in: BENCH_ALIASES aliases (default 1666) of `seals { pictureSvg }` on the
 *   small seeded city (4 seals).
 *
 * Peak memory is the process's maximum resident set size (getrusage), before and after each attack.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { newToken } from '../src/api/api-commands.ts';
import { createLedger } from '../src/app/ledger.ts';
import { loadConfig } from '../src/config/config.ts';
import { buildServer } from '../src/server.ts';
import { SYSTEM, seedCity } from '../test/support/ledger.ts';
import { createBenchDatabase, round, startBenchServer } from './server.ts';
import { peakRssKb } from './vm-hwm.mjs';

const LEVELS = Number(process.env.BENCH_FRAGMENT_LEVELS ?? 24);
const ALIASES = Number(process.env.BENCH_ALIASES ?? 1666);

export function fragmentFanOut(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i + 1 < levels ? `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Query { __typename }`,
  );
  return `query { ...F0 } ${fragments.join(' ')}`;
}

export const aliasFlood = (aliases: number, field = 'seals { pictureSvg }') => `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

const peakMb = () => round(peakRssKb() / 1024, 1);

export async function benchHostile(adminUrl: string) {
  const db = await createBenchDatabase(adminUrl, 'hostile');
  const config = loadConfig({ DATABASE_URL: db.url, GONGWEN_DATA_DIR: await mkdtemp(join(tmpdir(), 'gongwen-hostile-')), GONGWEN_SEAL_KDF_LOG2N: '10' });
  const ledger = await createLedger(config, { url: db.url, pool: db.pool, embedded: false, close: async () => {} });
  await seedCity(ledger);
  const { token, tokenHash } = newToken('edu-clerk');
  await ledger.commands.execute(SYSTEM, 'IssueCredential', { commandId: randomUUID(), userId: 'edu-clerk', credentialId: 'bench', tokenHash });
  await ledger.settle();
  const app = await buildServer(ledger, { logLevel: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;

  async function attack(query: string, auth: boolean) {
    const before = peakMb();
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const body = await res.text();
    const seconds = round((performance.now() - started) / 1000, 3);
    let code: unknown;
    try {
      code = (JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ?? null;
    } catch {
      code = 'unparsable';
    }
    return { documentBytes: query.length, seconds, status: res.status, errorCode: code, responseBytes: body.length, peakRssMbBefore: before, peakRssMbAfter: peakMb() };
  }

  try {
    return {
      fragmentFanOut: { levels: LEVELS, ...(await attack(fragmentFanOut(LEVELS), false)) },
      aliasFlood: { aliases: ALIASES, ...(await attack(aliasFlood(ALIASES), true)) },
    };
  } finally {
    await app.close();
    await ledger.close();
    await db.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startBenchServer();
  try {
    console.log(JSON.stringify(await benchHostile(server.adminUrl), null, 2));
  } finally {
    await server.stop();
  }
}
