import { randomUUID } from 'node:crypto';
import { newToken } from '../../src/api/api-commands.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { buildServer } from '../../src/server.ts';
import { SYSTEM } from './ledger.ts';
import { buildSchema, getNullableType, isEnumType, isInputObjectType, isListType, type GraphQLInputType } from 'graphql';
import { schemaSdl } from '../../src/api/api-schema.ts';
import { apiEnum } from '../../src/api/enums.ts';

const schema = buildSchema(schemaSdl());

/**
 * A command's input as the domain writes it (urgency 特急, retention Y), given as a client sends it:
 * each value of an enum-typed field by its API name (EXTRA_URGENT, PERMANENT). Names pass as they are.
 */
export function asApiInput(type: GraphQLInputType, value: unknown): unknown {
  const t = getNullableType(type);
  if (value === null || value === undefined) return value;
  if (isEnumType(t)) return apiEnum(t.name).values.get(String(value))?.name ?? value;
  if (isListType(t)) return Array.isArray(value) ? value.map((v) => asApiInput(t.ofType, v)) : asApiInput(t.ofType, value);
  if (isInputObjectType(t) && typeof value === 'object') {
    const fields = t.getFields();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fields[k] ? asApiInput(fields[k].type, v) : v]));
  }
  return value;
}

/** A command's input in its domain form, as a client sends it to the mutation with this input type. */
export const apiInput = (inputType: string, value: Record<string, unknown>) => asApiInput(schema.getType(inputType) as GraphQLInputType, value) as Record<string, unknown>;

export interface GraphqlResponse {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string; details?: unknown } }[];
}

/** The real server on a real port, and a client that speaks GraphQL over HTTP to it. */
export async function startApi(ledger: Ledger) {
  const app = await buildServer(ledger, { logLevel: 'silent' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const tokens = new Map<string, string>();

  /** A login token for a user, issued by the operator (as `gongwen credential` does). */
  async function tokenFor(userId: string): Promise<string> {
    const known = tokens.get(userId);
    if (known) return known;
    const { token, tokenHash } = newToken(userId);
    await ledger.commands.execute(SYSTEM, 'IssueCredential', { commandId: `t-${randomUUID()}`, userId, credentialId: `c-${randomUUID().slice(0, 8)}`, tokenHash });
    tokens.set(userId, token);
    return token;
  }

  async function gql(userId: string | null, query: string, variables: Record<string, unknown> = {}, rawToken?: string): Promise<GraphqlResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = rawToken ?? (userId ? await tokenFor(userId) : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    let body: Omit<GraphqlResponse, 'status'>;
    try {
      body = JSON.parse(text) as Omit<GraphqlResponse, 'status'>;
    } catch {
      body = { errors: [{ message: text }] };
    }
    return { status: res.status, ...body };
  }

  /** Runs a command mutation and returns its result or throws with the error code. */
  async function mutate(userId: string, name: string, input: Record<string, unknown>, fields = 'commandId duplicate events { type streamId revision data }') {
    const inputType = `${name[0]!.toUpperCase()}${name.slice(1)}Input`;
    const r = await gql(userId, `mutation ($input: ${inputType}!) { ${name}(input: $input) { ${fields} } }`, {
      input: apiInput(inputType, { commandId: `m-${randomUUID()}`, ...input }),
    });
    return { ...r, result: r.data?.[name] as Record<string, any> | undefined, code: r.errors?.[0]?.extensions?.code };
  }

  return { app, url, gql, mutate, tokenFor, close: () => app.close() };
}
