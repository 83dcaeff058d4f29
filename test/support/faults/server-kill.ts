import { randomUUID } from 'node:crypto';
import { acknowledgedOnce } from './acknowledged-once.ts';
import type pg from 'pg';
import { newToken } from '../../../src/api/api-commands.ts';
import { createLedger } from '../../../src/app/ledger.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.ts';
import { ledgerKeyFromPrivateKey } from '../../../src/integrity/ledger-key.ts';
import { verifyLedger } from '../../../src/integrity/verify-ledger.ts';
import { compareReadModels } from '../../../src/projections/compare-read-models.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { allProjections } from '../../../projections/index.ts';
import { eventRegistry } from '../../../schemas/events/index.ts';
import { startServe, waitUntil, type ServeProcess } from '../serve-process.ts';

/**
 * `gongwen serve` killed with SIGKILL while clients send mutations over HTTP, then started again
 * on the same database (issue 16). Each client sends RegisterUnit mutations one after another; a
 * request that gets no answer (the server died under it) or DATABASE_UNAVAILABLE is sent again
 * with the same commandId until it is answered, as a real client does. Shared by the quick test
 * (test/faults/server-kill.test.ts) and the longer run (bench/faults).
 */
export interface ServerKillOptions {
  /** The ledger's PostgreSQL (it survives the kills). */
  databaseUrl: string;
  pool: pg.Pool;
  ledgerKey: string;
  dataDir: string;
  clients: number;
  kills: number;
  /** Acknowledged commands between two kills (and after the last restart). */
  acksPerPhase: number;
}

export interface ServerKillReport {
  clients: number;
  kills: number;
  acknowledged: number;
  /** Requests that got no answer because the server died under them (sent again, same commandId). */
  unanswered: number;
  /** Of the commands sent again, how many the dead server had already applied (answered duplicate). */
  appliedBeforeKill: number;
  /** HTTP statuses other than 200 and GraphQL error codes other than DATABASE_UNAVAILABLE, by kind. */
  unexpected: Record<string, number>;
  /** Every broken promise, in words (empty when the ledger kept them all). */
  problems: string[];
  seconds: { total: number; restartMs: number[] };
}

interface Outcome {
  commandId: string;
  duplicate: boolean;
  eventIds: string[];
  /** It went unanswered at least once before this answer. */
  resent: boolean;
}

const MUTATION = `mutation ($input: RegisterUnitInput!) { registerUnit(input: $input) { commandId duplicate events { eventId } } }`;

async function post(url: string, token: string, commandId: string, unitId: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: MUTATION,
      variables: { input: { commandId, unitId, name: `故障演练单位 ${unitId}`, kind: 'CITY_DEPARTMENT', parentUnitId: 'city-office', docNumberPrefixes: [unitId.replaceAll('-', '')] } },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as { data?: { registerUnit?: { duplicate: boolean; events: { eventId: string }[] } }; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, result: body.data?.registerUnit, code: body.errors?.[0]?.extensions?.code };
}

/** The city office and its super administrator, and a login token for the clients. */
async function seed(o: ServerKillOptions): Promise<string> {
  const config = loadConfig({ DATABASE_URL: o.databaseUrl, GONGWEN_DATA_DIR: o.dataDir, GONGWEN_LEDGER_KEY: o.ledgerKey, GONGWEN_SEAL_KDF_LOG2N: '10' });
  const ledger = await createLedger(config, { url: o.databaseUrl, pool: o.pool, embedded: false, close: async () => {} });
  try {
    const system = { kind: 'system' } as const;
    const run = (type: string, input: Record<string, unknown>) => ledger.commands.execute(system, type, { commandId: `seed-${randomUUID()}`, ...input });
    await run('RegisterUnit', { unitId: 'city-office', name: '市人民政府办公室', kind: 'city-office', docNumberPrefixes: ['市政办'] });
    await run('RegisterUser', { userId: 'admin', unitId: 'city-office', name: '系统管理员', roles: ['SUPER_ADMIN'] });
    const { token, tokenHash } = newToken('admin');
    await run('IssueCredential', { userId: 'admin', credentialId: 'faults', tokenHash, tokenHashAlgorithm: 'sm3', label: 'faults' });
    return token;
  } finally {
    await ledger.close();
  }
}

export async function serverKillScenario(o: ServerKillOptions): Promise<ServerKillReport> {
  const started = performance.now();
  const token = await seed(o);
  const env = { DATABASE_URL: o.databaseUrl, GONGWEN_LEDGER_KEY: o.ledgerKey };
  let server: ServeProcess = await startServe(o.dataDir, env);
  let url: string | null = server.url;
  const outcomes: Outcome[] = [];
  const unexpected: Record<string, number> = {};
  let unanswered = 0;
  let stop = false;

  const client = async (c: number) => {
    for (let n = 0; !stop; n++) {
      const commandId = `kill-c${c}-${n}`;
      let resent = false;
      for (;;) {
        const at = url;
        if (!at) {
          await new Promise((ok) => setTimeout(ok, 50));
          continue;
        }
        let answer;
        try {
          answer = await post(at, token, commandId, `k${c}-${n}`);
        } catch {
          // No answer: the server died with the request in flight (or was down). The outcome is
          // unknown, so the same command goes again.
          unanswered++;
          resent = true;
          await new Promise((ok) => setTimeout(ok, 50));
          continue;
        }
        if (answer.result) {
          outcomes.push({ commandId, duplicate: answer.result.duplicate, eventIds: answer.result.events.map((e) => e.eventId), resent });
          break;
        }
        const kind = `HTTP ${answer.status} ${answer.code ?? '(no code)'}`;
        if (answer.status !== 200 || answer.code !== 'DATABASE_UNAVAILABLE') unexpected[kind] = (unexpected[kind] ?? 0) + 1;
        // A refusal that no retry can change (the input itself is wrong): counted, not sent forever.
        if (answer.status === 400) break;
        resent = true;
        await new Promise((ok) => setTimeout(ok, 50));
      }
    }
  };
  const clients = Array.from({ length: o.clients }, (_, c) => client(c));
  const restartMs: number[] = [];
  try {
    for (let k = 0; k < o.kills; k++) {
      const target = outcomes.length + o.acksPerPhase;
      await waitUntil(`${target} commands acknowledged`, () => outcomes.length >= target, 120_000);
      // A few ms more, so the kill lands among requests in flight rather than between them.
      await new Promise((ok) => setTimeout(ok, Math.floor(Math.random() * 20)));
      server.child.kill('SIGKILL');
      url = null;
      await server.exited;
      const t = performance.now();
      server = await startServe(o.dataDir, env);
      restartMs.push(Math.round(performance.now() - t));
      url = server.url;
    }
    const target = outcomes.length + o.acksPerPhase;
    await waitUntil(`${target} commands acknowledged after the last restart`, () => outcomes.length >= target, 120_000);
  } finally {
    stop = true;
    await Promise.all(clients);
  }

  const problems: string[] = [];
  try {
    problems.push(...(await acknowledgedOnce(o.pool, 'kill-c', outcomes)));
    const { rows: units } = await o.pool.query<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT stream_id)::int AS distinct FROM events WHERE type = 'UnitRegistered' AND command_id LIKE 'kill-c%'`,
    );
    if (units[0]!.n !== outcomes.length || units[0]!.distinct !== outcomes.length) {
      problems.push(`${outcomes.length} units acknowledged, ${units[0]!.n} UnitRegistered events on ${units[0]!.distinct} streams`);
    }
    // A client sending any of them again gets the first outcome, appends nothing.
    for (const out of outcomes.filter((_, i) => i % Math.max(1, Math.floor(outcomes.length / 16)) === 0)) {
      const again = await post(server.url, token, out.commandId, out.commandId.replace('kill-c', 'k'));
      if (!again.result?.duplicate || again.result.events.map((e) => e.eventId).join() !== out.eventIds.join()) {
        problems.push(`${out.commandId} sent again: ${JSON.stringify(again)} instead of its first outcome`);
      }
    }
    // The restarted server's read models catch up with every event and equal a clean rebuild.
    const store = new PostgresEventStore({ pool: o.pool, registry: eventRegistry, macKey: ledgerKeyFromPrivateKey(o.ledgerKey).macKey, notify: false });
    try {
      const runner = new ProjectionRunner(o.pool, store, allProjections);
      await waitUntil('the read models have caught up', async () => (await runner.status()).every((s) => s.eventsBehind === 0), 120_000);
      const readModels = await compareReadModels(o.pool, store, allProjections);
      for (const p of readModels.projections) {
        if (p.difference) problems.push(`read model ${p.name}: ${p.difference.table} ${p.difference.side} ${p.difference.row} (${p.difference.rowsDiffering} rows differ)`);
      }
    } finally {
      await store.close();
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  // And verify (chains, MACs, Merkle log, checkpoints) is clean.
  const key = ledgerKeyFromPrivateKey(o.ledgerKey);
  const verified = await verifyLedger(o.pool, { publicKeyHex: key.publicKeyHex, macKey: key.macKey, registry: eventRegistry });
  if (!verified.ok) problems.push(`verify: ${JSON.stringify(verified).slice(0, 2000)}`);

  return {
    clients: o.clients,
    kills: o.kills,
    acknowledged: outcomes.length,
    unanswered,
    appliedBeforeKill: outcomes.filter((x) => x.resent && x.duplicate).length,
    unexpected,
    problems,
    seconds: { total: Math.round((performance.now() - started) / 100) / 10, restartMs },
  };
}
