/**
 * Many askers for the API bench (issue #16.3): with a read cache in the server, 50 clients asking
 * as one user with one query would measure nothing but the cache. So the clients are spread over
 * up to BENCH_API_USERS (24) units of the bench ledger — those that received most; the generated
 * city has 6 receiving units — each with its clerk (inbox, sentDocuments, timeline of several of the
 * unit's documents, searchDocuments with several terms) and its leader (unitTimeline), and every
 * request picks its asker and its page at random. The askers are chosen and their tokens issued
 * once per data folder (bench-users.json beside bench-ledger.json), at its first run: the units the
 * lifecycle clients create later (bench/api-lifecycles.ts) never join them, so every run of a
 * folder asks as the same users.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLedger } from '../src/app/ledger.ts';
import { newToken } from '../src/api/api-commands.ts';
import { openDatabase } from '../src/db/database.ts';
import type { BigLedger } from './big-ledger.ts';

export interface BenchUnit {
  unitId: string;
  clerk: { userId: string; token: string };
  /** Null when the unit has no active leader (its unitTimeline is then not asked). */
  leader: { userId: string; token: string } | null;
  /** Documents the unit received, for the timeline. */
  documents: string[];
}

const SYSTEM = { kind: 'system' } as const;

export async function benchUsers(l: BigLedger, count: number): Promise<BenchUnit[]> {
  const file = join(l.dataDir, 'bench-users.json');
  if (existsSync(file)) {
    const kept = JSON.parse(await readFile(file, 'utf8')) as BenchUnit[];
    return kept.slice(0, count);
  }
  const db = await openDatabase({ ...l.config, DATABASE_URL: undefined }, { migrate: false });
  const ledger = await createLedger({ ...l.config, DATABASE_URL: undefined }, db);
  try {
    const { rows } = await db.pool.query<{ unit_id: string; clerk: string | null; leader: string | null; documents: string[] }>(
      `SELECT i.unit_id,
              (SELECT user_id FROM directory_users u WHERE u.unit_id = i.unit_id AND u.active AND 'CLERK' = ANY(u.roles) ORDER BY user_id LIMIT 1) AS clerk,
              (SELECT user_id FROM directory_users u WHERE u.unit_id = i.unit_id AND u.active AND 'LEADER' = ANY(u.roles) ORDER BY user_id LIMIT 1) AS leader,
              (SELECT array_agg(document_id) FROM (SELECT document_id FROM inbox_items d WHERE d.unit_id = i.unit_id ORDER BY document_id LIMIT 4) d) AS documents
         FROM (SELECT unit_id, count(*) AS n FROM inbox_items GROUP BY unit_id) i
        ORDER BY i.n DESC, i.unit_id LIMIT $1`,
      [count * 2],
    );
    const expiresAt = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const issue = async (userId: string) => {
      const { token, tokenHash } = newToken(userId);
      await ledger.commands.execute(SYSTEM, 'IssueCredential', { commandId: `bench-${tokenHash.slice(0, 16)}`, userId, credentialId: `bench-${tokenHash.slice(0, 12)}`, tokenHash, expiresAt, label: 'bench' });
      return { userId, token };
    };
    const units: BenchUnit[] = [];
    for (const r of rows.filter((r) => r.clerk).slice(0, count)) {
      units.push({ unitId: r.unit_id, clerk: await issue(r.clerk!), leader: r.leader ? await issue(r.leader) : null, documents: r.documents ?? [] });
    }
    await ledger.projections.catchUp();
    await writeFile(file, JSON.stringify(units, null, 2));
    return units;
  } finally {
    await ledger.close();
    await db.close();
  }
}

/** One request a client may send: whose token, and the variables of the query's text. */
export interface Ask {
  token: string;
  variables: Record<string, unknown>;
}

const SEARCH_TERMS = ['通知', '关于', '工作', '管理'];

/** Every (asker, variables) a query is asked with, spread over the units (see the file's comment). */
export function asksOf(name: string, units: BenchUnit[]): Ask[] {
  const out: Ask[] = [];
  for (const u of units) {
    const clerk = u.clerk.token;
    if (name === 'inbox' || name === 'sentDocuments') for (const n of [10, 20, 30]) out.push({ token: clerk, variables: { n } });
    if (name === 'timeline') for (const id of u.documents) out.push({ token: clerk, variables: { id } });
    if (name === 'unitTimeline' && u.leader) for (const n of [20, 50]) out.push({ token: u.leader.token, variables: { u: u.unitId, n } });
    if (name === 'searchDocuments') for (const q of SEARCH_TERMS) out.push({ token: clerk, variables: { q } });
  }
  return out;
}
