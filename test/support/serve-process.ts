import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The environment of a ledger on its own embedded server in `dataDir` (never the suite's DATABASE_URL unless `extra` names one). */
export function embeddedEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GONGWEN_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', GONGWEN_SEAL_KDF_LOG2N: '10' };
  delete env.DATABASE_URL;
  delete env.GONGWEN_TEST_ADMIN_URL;
  // An explicit DATABASE_URL in `extra` puts the ledger on that database instead (the fault tests).
  return { ...env, ...extra };
}

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `gongwen serve` as a real process; resolves once it prints where GraphQL listens (within `startMs`: a first start runs initdb, which took over 60 s once at load 15). */
export async function startServe(dataDir: string, extra: Record<string, string> = {}, startMs = 120_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], { env: embeddedEnv(dataDir, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start in ${startMs / 1000} s:\n${out}`)), startMs);
    const look = () => {
      const m = /GraphQL:\s+(http:\/\/[^/\s]+)\/graphql/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`serve exited (${signal ?? code}) before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

/** A `gongwen` command run to its end. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
  return { code, stdout, stderr };
}

/** Whether a process runs (an orphan's zombie, which nobody may reap in a container, does not). */
export { processAlive as alive } from '../../src/db/embedded-process.ts';

const started = new Set<ChildProcess>();
/** Kills (SIGKILL) every server a test started and left running, e.g. after a failed assertion. */
export function killLeftoverServers(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** A GraphQL request; the HTTP status and the parsed body. */
export async function gql(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}, timeoutMs = 30_000) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}
