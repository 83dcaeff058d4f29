import { readFile } from 'node:fs/promises';
import { acknowledgedOnce } from './acknowledged-once.ts';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { alive, embeddedEnv, runCli, startServe, waitUntil, type ServeProcess } from '../serve-process.ts';

/**
 * The embedded PostgreSQL's postmaster killed with SIGKILL under load, the ledger left running
 * (issue 16): `gongwen serve` on its own embedded server, mutation clients registering units (each
 * refused or unanswered command sent again with its commandId until acknowledged, as a real client
 * does) and query clients listing them, all over HTTP. The ledger must restart its PostgreSQL and
 * reconnect by itself: every request answered (a success or a retryable code — never a 5xx other
 * than SERVER_BUSY, never a request left hanging), every acknowledged command in the ledger once,
 * nothing unacknowledged in it, `gongwen verify --read-models` clean, and traffic flowing again
 * without a restart of the ledger. Shared by the quick test (test/faults/postgres-kill.test.ts) and
 * the longer run (bench/faults, FAULTS_ONLY=postgresKill).
 */
export interface PostgresKillOptions {
  /** The ledger's data folder (its embedded PostgreSQL lives there). */
  dataDir: string;
  mutationClients: number;
  queryClients: number;
  kills: number;
  /** Acknowledged mutations between two kills (and after the last one). */
  acksPerPhase: number;
  /** A request without an answer for this long is counted as hung (the server's own bound is 30 s). */
  hungMs?: number;
}

/** The codes a client is told to retry on: the database restarting, the server shedding load. */
const RETRYABLE = new Set(['DATABASE_UNAVAILABLE', 'SERVER_BUSY']);

export interface PostgresKillReport {
  mutationClients: number;
  queryClients: number;
  kills: number;
  requests: {
    ok: number;
    /** Refusals with a retryable code, by code. */
    retryable: Record<string, number>;
    /** HTTP 5xx answers other than SERVER_BUSY's 503 (must be 0). */
    http5xx: number;
    /** Requests with no answer within hungMs (must be 0). */
    hung: number;
    /** Anything else: other codes, other statuses, connections refused or reset (must be empty). */
    unexpected: Record<string, number>;
  };
  mutations: { acknowledged: number; resent: number; appliedBeforeRefusal: number };
  /** Per kill: until the new postmaster was up; until a mutation sent after the outage began was acknowledged. */
  ms: { postgresBack: number[]; trafficResumed: (number | null)[] };
  verify: { exitCode: number | null };
  /** Every broken promise, in words (empty when the ledger kept them all). */
  problems: string[];
  seconds: number;
}

const MUTATION = `mutation ($input: RegisterUnitInput!) { registerUnit(input: $input) { commandId duplicate events { eventId } } }`;
const QUERY = '{ units { unitId } }';

type Answer =
  | { kind: 'ok'; data: Record<string, any> }
  | { kind: 'refused'; status: number; code: string | undefined }
  | { kind: 'hung' }
  | { kind: 'noAnswer'; error: string };

async function send(url: string, token: string, query: string, variables: Record<string, unknown>, hungMs: number): Promise<Answer> {
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(hungMs),
    });
    const body = (await res.json().catch(() => ({}))) as { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] };
    if (res.status === 200 && body.data && !body.errors?.length) return { kind: 'ok', data: body.data };
    return { kind: 'refused', status: res.status, code: body.errors?.[0]?.extensions?.code };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') return { kind: 'hung' };
    return { kind: 'noAnswer', error: e.cause?.code ?? e.name };
  }
}

const postmasterPid = async (dir: string) => Number((await readFile(join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);

export async function postgresKillScenario(o: PostgresKillOptions): Promise<PostgresKillReport> {
  const started = performance.now();
  const hungMs = o.hungMs ?? 35_000;
  // A first start creates the PostgreSQL cluster (initdb): on a loaded machine that alone can take a minute.
  const server: ServeProcess = await startServe(o.dataDir, {}, 180_000);
  const problems: string[] = [];
  const requests: PostgresKillReport['requests'] = { ok: 0, retryable: {}, http5xx: 0, hung: 0, unexpected: {} };
  const outcomes: { commandId: string; duplicate: boolean; eventIds: string[]; resent: boolean; sentAt: number }[] = [];
  let outageSince: number | null = null;
  let stop = false;
  try {
    const init = await runCli(['init'], embeddedEnv(o.dataDir));
    if (init.code !== 0) throw new Error(`gongwen init: ${init.stderr}`);
    const { token } = JSON.parse(init.stdout) as { token: string };

    const count = (a: Answer) => {
      if (a.kind === 'ok') return void requests.ok++;
      if (a.kind === 'hung') return void requests.hung++;
      if (a.kind === 'noAnswer') return void (requests.unexpected[`no answer (${a.error})`] = (requests.unexpected[`no answer (${a.error})`] ?? 0) + 1);
      if (a.code && RETRYABLE.has(a.code)) requests.retryable[a.code] = (requests.retryable[a.code] ?? 0) + 1;
      else if (a.status >= 500) requests.http5xx++;
      else requests.unexpected[`HTTP ${a.status} ${a.code ?? '(no code)'}`] = (requests.unexpected[`HTTP ${a.status} ${a.code ?? '(no code)'}`] ?? 0) + 1;
    };
    const noteOutage = (a: Answer) => {
      if (a.kind !== 'ok' && outageSince === null) outageSince = performance.now();
    };

    const mutationClient = async (c: number) => {
      for (let n = 0; !stop; n++) {
        const commandId = `pgkill-c${c}-${n}`;
        const unitId = `pg${c}-${n}`;
        const input = { commandId, unitId, name: `故障演练单位 ${unitId}`, kind: 'CITY_DEPARTMENT', parentUnitId: 'city-office', docNumberPrefixes: [unitId.replaceAll('-', '')] };
        let resent = false;
        // Until acknowledged, or the run stops (a ledger that died answers nobody: the report says so).
        while (!stop) {
          const sentAt = performance.now();
          const a = await send(server.url, token, MUTATION, { input }, hungMs);
          count(a);
          noteOutage(a);
          if (a.kind === 'ok') {
            const r = a.data.registerUnit as { duplicate: boolean; events: { eventId: string }[] };
            outcomes.push({ commandId, duplicate: r.duplicate, eventIds: r.events.map((e) => e.eventId), resent, sentAt });
            break;
          }
          // A refusal no retry can change is counted (as unexpected) and not sent for ever.
          if (a.kind === 'refused' && a.status === 400) break;
          resent = true;
          await new Promise((ok) => setTimeout(ok, 50));
        }
      }
    };
    const queryClient = async () => {
      while (!stop) {
        const a = await send(server.url, token, QUERY, {}, hungMs);
        count(a);
        noteOutage(a);
        if (a.kind !== 'ok') await new Promise((ok) => setTimeout(ok, 50));
      }
    };
    const clients = [...Array.from({ length: o.mutationClients }, (_, c) => mutationClient(c)), ...Array.from({ length: o.queryClients }, () => queryClient())];

    const postgresBack: number[] = [];
    const trafficResumed: (number | null)[] = [];
    try {
      for (let k = 0; k < o.kills; k++) {
        const target = outcomes.length + o.acksPerPhase;
        await waitUntil(`${target} mutations acknowledged`, () => outcomes.length >= target, 180_000);
        const pg = await postmasterPid(o.dataDir);
        outageSince = null;
        const killedAt = performance.now();
        process.kill(pg, 'SIGKILL');
        await waitUntil('a new postmaster', async () => {
          const now = await postmasterPid(o.dataDir).catch(() => pg);
          return now !== pg && alive(now);
        }, 120_000);
        postgresBack.push(Math.round(performance.now() - killedAt));
        // Traffic has resumed when a mutation sent after the first failed request was acknowledged.
        const resumed = await waitUntil('a mutation acknowledged after the outage', () => outageSince !== null && outcomes.some((x) => x.sentAt >= outageSince!), 120_000)
          .then(() => Math.round(Math.min(...outcomes.filter((x) => x.sentAt >= outageSince!).map((x) => x.sentAt)) - killedAt))
          .catch(() => null);
        // No request met the database down (the kill fell between requests and the pool reconnected first): nothing to time.
        trafficResumed.push(resumed);
      }
      const target = outcomes.length + o.acksPerPhase;
      await waitUntil(`${target} mutations acknowledged after the last restart`, () => outcomes.length >= target, 180_000);
    } catch (error) {
      // What the ledger said is what explains a wait that never ended.
      throw new Error(`${(error as Error).message}; the ledger ${server.child.exitCode === null ? 'is running' : `exited (${server.child.exitCode})`}, its last output:\n${server.output().slice(-3000)}`, { cause: error });
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    if (server.child.exitCode !== null) problems.push(`the ledger exited (${server.child.exitCode}):\n${server.output().slice(-2000)}`);
    if (o.kills > 0 && !/embedded PostgreSQL exited unexpectedly/.test(server.output())) problems.push('the ledger did not notice its PostgreSQL die');

    // Nothing half-written: every acknowledged command once, with the events its answer named, and nothing else.
    const db = await openDatabase(loadConfig(embeddedEnv(o.dataDir)), { migrate: false });
    try {
      problems.push(...(await acknowledgedOnce(db.pool, 'pgkill-c', outcomes)));
    } finally {
      await db.close();
    }
    // The hash chains, MACs, Merkle log, and each read model against a rebuild aside.
    const verified = await runCli(['verify', '--read-models'], embeddedEnv(o.dataDir));
    if (verified.code !== 0) problems.push(`gongwen verify --read-models exited ${verified.code}:\n${(verified.stdout + verified.stderr).slice(-3000)}`);

    return {
      mutationClients: o.mutationClients,
      queryClients: o.queryClients,
      kills: o.kills,
      requests,
      mutations: { acknowledged: outcomes.length, resent: outcomes.filter((x) => x.resent).length, appliedBeforeRefusal: outcomes.filter((x) => x.resent && x.duplicate).length },
      ms: { postgresBack, trafficResumed },
      verify: { exitCode: verified.code },
      problems,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    stop = true;
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    if (code !== 0) problems.push(`the ledger stopped with ${code}`);
  }
}
