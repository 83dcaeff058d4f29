import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { schemaFiles } from '../../src/api/graphql.ts';
import { verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { eventRegistry } from '../../schemas/events/index.ts';
import { createTestLedger, seedCity } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';

/**
 * Hostile GraphQL input, generated (issue 16): fast-check arbitraries over the schema as the server
 * loads it at run time — every mutation's input and every query's arguments, whatever their types
 * are today (closed sets may become enums) — filled with wrong types, huge strings, lone
 * surrogates, RTL marks, NUL, SQL and XML metacharacters; deep and wide selections, alias floods
 * and batched operations. Every answer: no HTTP 5xx, JSON, every error with an extensions.code;
 * afterwards `verify` finds the store clean (every event valid against its schema, chains intact).
 * `FC_RUNS` raises the run count (the faults script runs many more).
 */
const RUNS = Number(process.env.FC_RUNS ?? 40);
const schema: GraphQLSchema = buildSchema(schemaFiles.map((f) => readFileSync(new URL(`../../schemas/graphql/${f}`, import.meta.url), 'utf8')).join('\n'));

const ledger = await createTestLedger();
await seedCity(ledger);
const api = await startApi(ledger);
after(() => api.close());
const users = ['admin', 'city-office-clerk', 'city-office-leader', 'city-office-keeper', 'edu-clerk'];
const tokens = await Promise.all(users.map((u) => api.tokenFor(u)));

const hostileText = fc.oneof(
  fc.constantFrom(
    "'; DROP TABLE events; --",
    "x' OR '1'='1",
    '$1::text; SELECT pg_sleep(10)',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ']]><![CDATA[<script>alert(1)</script>',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\u202e\u202d\u200f公文\u200e',
    '\ufeff\u2028\u2029',
    '阜政办〔2025〕12号',
    '../../../../etc/passwd',
    '{"$ne":null}',
    '%s%s%s%n',
    '',
    ' ',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(200, 5_000, 70_000, 1_200_000).map((n) => '公'.repeat(n)),
);

/** A value of the wrong shape for whatever was expected. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileText, { maxLength: 3 }),
  fc.dictionary(hostileText, hostileText, { maxKeys: 3 }),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 1e308),
);

/** A value for an input type: mostly of the right shape with hostile content, sometimes the wrong shape. */
function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueFor(type.ofType, depth);
  if (isListType(type)) return fc.oneof({ weight: 4, arbitrary: fc.array(valueFor(type.ofType, depth + 1), { maxLength: depth > 2 ? 1 : 4 }) }, { weight: 1, arbitrary: wrongType });
  if (isEnumType(type)) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: hostileText });
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    if (depth > 4) return fc.constant({});
    const shaped = fc.record(Object.fromEntries(fields.map((f) => [f.name, valueFor(f.type, depth + 1)])), {
      requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
    });
    return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: wrongType });
  }
  if (isScalarType(type)) {
    const right: Record<string, fc.Arbitrary<unknown>> = {
      String: hostileText,
      ID: hostileText,
      Int: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.integer()),
      Float: fc.double(),
      Boolean: fc.boolean(),
      JSON: fc.jsonValue({ maxDepth: 3 }),
    };
    return fc.oneof({ weight: 4, arbitrary: right[type.name] ?? hostileText }, { weight: 1, arbitrary: wrongType });
  }
  return wrongType;
}

/** Leaf fields of a type and, `depth` levels down, of its object fields (no arguments asked). */
function selection(type: GraphQLObjectType, depth: number): string {
  const parts = Object.values(type.getFields()).flatMap((f) => {
    const sub = getNamedType(f.type);
    if (f.args.some((a) => isNonNullType(a.type))) return [];
    if (isLeafType(sub)) return [f.name];
    if (isObjectType(sub) && depth > 0) return [`${f.name} { ${selection(sub, depth - 1)} }`];
    return [];
  });
  return parts.join(' ') || '__typename';
}

const fieldsOf = (t: GraphQLObjectType | null | undefined) => Object.values(t?.getFields() ?? {}) as GraphQLField<unknown, unknown>[];
const mutations = fieldsOf(schema.getMutationType());
const queries = fieldsOf(schema.getQueryType());

/** One operation on a root field: its arguments as variables (declared with their real types). */
const operation = (kind: 'query' | 'mutation', fields: GraphQLField<unknown, unknown>[]) =>
  fc
    .record({ field: fc.constantFrom(...fields), depth: fc.nat({ max: 4 }), aliases: fc.constantFrom(1, 1, 1, 3, 60) })
    .chain(({ field, depth, aliases }) =>
      fc.record(Object.fromEntries(field.args.map((a) => [a.name, valueFor(a.type)])), { requiredKeys: [] }).map((variables) => {
        const sub = getNamedType(field.type);
        const decl = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
        const call = `${field.name}${field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}`;
        const body = isObjectType(sub) ? ` { ${selection(sub, depth)} }` : '';
        const roots = Array.from({ length: aliases }, (_, i) => `a${i}: ${call}${body}`).join(' ');
        return { query: `${kind}${decl ? ` (${decl})` : ''} { ${roots} }`, variables, field: field.name };
      }),
    );

const request = fc.record({
  op: fc.oneof(operation('mutation', mutations), operation('query', queries)),
  user: fc.nat({ max: tokens.length }),
  // Two operations in one body (a batch), or the document sent without its variables.
  shape: fc.constantFrom('plain', 'plain', 'plain', 'batch', 'noVariables'),
});

async function send(body: unknown, token: string | undefined) {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, text: await res.text() };
}

test('generated hostile GraphQL requests: no 5xx, every refusal coded, the store stays valid', async () => {
  const codes = new Map<string, number>();
  let answered = 0;
  await fc.assert(
    fc.asyncProperty(request, async ({ op, user, shape }) => {
      const token = tokens[user];
      const body = shape === 'batch' ? [op, op] : shape === 'noVariables' ? { query: op.query } : { query: op.query, variables: op.variables };
      const { status, text } = await send(body, token);
      assert.ok(status < 500, `HTTP ${status} for ${op.field}: ${text.slice(0, 500)}`);
      const parsed = JSON.parse(text) as unknown;
      for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
        const { data, errors } = r as { data?: unknown; errors?: { message: string; extensions?: { code?: unknown } }[] };
        if (!errors) {
          assert.ok(data, `${op.field}: neither data nor errors: ${text.slice(0, 300)}`);
          answered++;
          continue;
        }
        for (const e of errors) {
          assert.equal(typeof e.extensions?.code, 'string', `${op.field}: an error without extensions.code: ${JSON.stringify(e).slice(0, 500)}`);
          assert.notEqual(e.extensions!.code, 'INTERNAL_ERROR', `${op.field}: ${JSON.stringify(e).slice(0, 500)}`);
          codes.set(e.extensions!.code as string, (codes.get(e.extensions!.code as string) ?? 0) + 1);
        }
      }
    }),
    { numRuns: RUNS },
  );
  assert.ok(codes.size > 0, 'the hostile input met refusals');
  // The server still serves, and whatever the requests appended is valid and chained.
  assert.equal((await fetch(`${api.url}/health`)).status, 200);
  await ledger.settle();
  await ledger.merkleLog.checkpoint();
  const report = await verifyLedger(ledger.db.pool, { publicKeyHex: ledger.key.publicKeyHex, macKey: ledger.key.macKey, registry: eventRegistry });
  assert.ok(report.ok, JSON.stringify(report.firstMismatch));
});
