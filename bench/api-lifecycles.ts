/**
 * Whole document lifecycles through the real GraphQL API, for bench/api.ts (issue #16.3: "mutations:
 * whole lifecycles per second through GraphQL while the queries run"). Each lifecycle client gets its
 * own sending unit (clerk, leader, seal keeper, a server-custody seal: sealings of one seal wait for
 * each other, so clients sharing one would measure that lock) and its own receiving unit (clerk,
 * leader), made through the API by the super administrator with ids new to this run, so a reused
 * big ledger takes a second run. One lifecycle is nine mutations by five users: draft → sign off →
 * seal → send → receive (once the dispatch has delivered it) → assign → complete → file the
 * incoming copy → file the original.
 */
const PASSPHRASE = 'Bench-yinzhang-2026';

type Gql = (token: string, query: string, variables?: Record<string, unknown>) => Promise<{ data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] }>;

export function graphqlClient(url: string): Gql {
  return async (token, query, variables = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    return (await res.json()) as never;
  };
}

const inputType = (mutation: string) => `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;

/** One mutation; the GraphQL error code of a refusal, or null when it was done. */
async function mutate(gql: Gql, token: string, mutation: string, input: Record<string, unknown>, fields = 'commandId'): Promise<{ code: string | null; data?: Record<string, any> }> {
  const r = await gql(token, `mutation ($input: ${inputType(mutation)}!) { ${mutation}(input: $input) { ${fields} } }`, { input });
  if (r.errors?.length) return { code: r.errors[0]!.extensions?.code ?? r.errors[0]!.message };
  return { code: null, data: r.data?.[mutation] };
}

async function must(gql: Gql, token: string, mutation: string, input: Record<string, unknown>, fields?: string) {
  const r = await mutate(gql, token, mutation, input, fields);
  if (r.code) throw new Error(`${mutation}: ${r.code}`);
  return r.data!;
}

export interface Pair {
  c: number;
  sender: { unitId: string; sealId: string; prefix: string; clerk: string; leader: string; keeper: string };
  receiver: { unitId: string; clerk: string; clerkUserId: string; leader: string };
}

/**
 * The units, users, seals and tokens of `clients` lifecycle clients, through the API as `adminToken`.
 * `receivers`: existing units to send to (client c to receivers[c % n]) instead of a new receiving
 * unit per client, so that the writes land where the query clients are reading.
 */
export async function lifecycleClients(url: string, adminToken: string, clients: number, receivers: Pair['receiver'][] = []) {
  const gql = graphqlClient(url);
  const run = `lc${Date.now().toString(36)}`;
  const now = Date.now();
  const pairs: Pair[] = [];
  for (let c = 0; c < clients; c++) {
    const s = `${run}-s${c}`;
    const r = `${run}-r${c}`;
    const prefix = `压测${run}${c}`.slice(0, 16);
    await must(gql, adminToken, 'registerUnit', { unitId: s, name: `压测发文单位${c}`, kind: 'CITY_DEPARTMENT', docNumberPrefixes: [prefix] });
    if (receivers.length === 0) await must(gql, adminToken, 'registerUnit', { unitId: r, name: `压测收文单位${c}`, kind: 'CITY_DEPARTMENT', docNumberPrefixes: [`压收${run}${c}`.slice(0, 16)] });
    const user = async (userId: string, unitId: string, role: string) => {
      await must(gql, adminToken, 'registerUser', { userId, unitId, name: '压测用户', roles: [role] });
      const issued = await must(gql, adminToken, 'issueCredential', { userId, credentialId: `${userId}-bench`, label: 'bench', expiresAt: new Date(now + 86_400_000).toISOString(), waitForReadModels: true }, 'token');
      return issued.token as string;
    };
    const sender = { unitId: s, sealId: `${s}-seal`, prefix, clerk: await user(`${s}-clerk`, s, 'CLERK'), leader: await user(`${s}-leader`, s, 'LEADER'), keeper: await user(`${s}-keeper`, s, 'SEAL_KEEPER') };
    await must(gql, adminToken, 'issueSeal', {
      sealId: sender.sealId,
      unitId: s,
      name: `压测发文单位${c}`,
      sealType: 'UNIT_SEAL',
      keyCustody: 'SERVER',
      initialPassphrase: PASSPHRASE,
      validFrom: new Date(now - 86_400_000).toISOString(),
      validTo: new Date(now + 365 * 86_400_000).toISOString(),
      keeperUserIds: [`${s}-keeper`],
      waitForReadModels: true,
    });
    const receiver = receivers.length > 0 ? receivers[c % receivers.length]! : { unitId: r, clerk: await user(`${r}-clerk`, r, 'CLERK'), clerkUserId: `${r}-clerk`, leader: await user(`${r}-leader`, r, 'LEADER') };
    pairs.push({ c, sender, receiver });
  }

  /** Milliseconds of each step, by step (the receive step includes waiting for the dispatch). */
  const stepMs: Record<string, number[]> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await work();
    (stepMs[step] ??= []).push(performance.now() - started);
    return out;
  };
  const step = (token: string, mutation: string, input: Record<string, unknown>) => timed(mutation, () => must(gql, token, mutation, input));

  /** One whole lifecycle of document `documentId` by pair `p`. */
  async function lifecycle(p: Pair, documentId: string): Promise<void> {
    const { sender: s, receiver: r } = p;
    await step(s.clerk, 'draftDocument', {
      documentId,
      title: '关于开展公文处理压力测试的通知',
      docType: 'NOTICE',
      urgency: 'URGENT',
      body: '　　为检验电子公文系统在高负载下的处理能力，现就有关事项通知如下。',
      mainRecipients: [r.unitId],
      docNumberPrefix: s.prefix,
    });
    await step(s.leader, 'signOffDocument', { documentId, opinion: '同意' });
    await step(s.keeper, 'sealDocument', { documentId, sealId: s.sealId, passphrase: PASSPHRASE });
    await step(s.clerk, 'sendDocument', { documentId });
    // The dispatch (a process manager) delivers it: until then receiving is refused, and tried again.
    const k = { documentId, unitId: r.unitId };
    await timed('receiveDocument (with the wait for the dispatch)', async () => {
      for (let tries = 0; ; tries++) {
        const got = await mutate(gql, r.clerk, 'receiveDocument', k);
        if (!got.code) return;
        if (tries > 600) throw new Error(`receiveDocument: ${got.code} after ${tries} tries`);
        await new Promise((ok) => setTimeout(ok, 20));
      }
    });
    await step(r.leader, 'assignHandling', { ...k, assigneeUserId: r.clerkUserId, dueDate: '2099-12-01' });
    await step(r.clerk, 'completeHandling', { ...k, result: '已办结' });
    await step(r.clerk, 'fileIncoming', { ...k, retention: 'YEARS_10' });
    await step(s.clerk, 'fileDocument', { documentId, retention: 'YEARS_10' });
  }

  /** Every client runs lifecycles one after another until `until` (ms since epoch); the counts. */
  async function runUntil(until: number): Promise<{ lifecycles: number; seconds: number; failures: Record<string, number>; msPerLifecycle: number[]; medianMsByStep: Record<string, number> }> {
    const started = performance.now();
    for (const k of Object.keys(stepMs)) delete stepMs[k];
    let lifecycles = 0;
    const failures: Record<string, number> = {};
    const msPerLifecycle: number[] = [];
    await Promise.all(
      pairs.map(async (p) => {
        for (let n = 0; Date.now() < until; n++) {
          const started = performance.now();
          try {
            await lifecycle(p, `${run}-c${p.c}-${n}-${Math.random().toString(36).slice(2, 6)}`);
            lifecycles++;
            msPerLifecycle.push(performance.now() - started);
          } catch (error) {
            const what = (error as Error).message;
            failures[what] = (failures[what] ?? 0) + 1;
          }
        }
      }),
    );
    const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
    return {
      lifecycles,
      // Until the last lifecycle begun before `until` ended: the rate is over this, not the nominal time.
      seconds: (performance.now() - started) / 1000,
      failures,
      msPerLifecycle,
      medianMsByStep: Object.fromEntries(Object.entries(stepMs).map(([k, xs]) => [k, median(xs)])),
    };
  }

  return { runUntil };
}
