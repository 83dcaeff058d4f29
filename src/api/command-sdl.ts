import { z } from 'zod';
import type { CommandDefinition } from '../../schemas/define.ts';

/**
 * The GraphQL input types and mutations of the commands, derived from their zod schemas so the
 * API can never accept a shape the command refuses (or the reverse). The output is committed as
 * schemas/graphql/commands.graphql — the contract frontends code against — and a test keeps the
 * committed file equal to what the schemas produce (`npm run sdl` rewrites it).
 */
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  minLength?: number;
  maxLength?: number;
};

/** Commands whose API input differs from the command (the server completes it). */
export interface ApiInputOverride {
  /** Fields the caller does not send (the server fills them). */
  omit?: string[];
  /** Extra fields, as SDL lines. */
  extra?: string[];
  /** Fields the caller may leave out because the server then generates them: field → its description. */
  generated?: Record<string, string>;
}

export const mutationName = (type: string) => type[0]!.toLowerCase() + type.slice(1);

const pascal = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export function commandSdl(definitions: readonly CommandDefinition[], overrides: Record<string, ApiInputOverride> = {}): string {
  const inputs: string[] = [];
  const mutations: string[] = [];
  for (const d of definitions) {
    const schema = z.toJSONSchema(d.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const name = `${d.type}Input`;
    inputs.push(objectType(name, schema, inputs, overrides[d.type]));
    mutations.push(`  ${mutationName(d.type)}(input: ${name}!): ${d.type === 'IssueCredential' ? 'IssuedCredential' : 'CommandResult'}!`);
  }
  return `# Generated from the zod command schemas (schemas/commands) by \`npm run sdl\`. Do not edit.\n\n${inputs.join('\n\n')}\n\ntype Mutation {\n${mutations.join('\n')}\n}\n`;
}

function objectType(name: string, schema: JsonSchema, out: string[], override?: ApiInputOverride): string {
  const required = new Set(schema.required ?? []);
  const lines: string[] = [];
  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    if (override?.omit?.includes(field)) continue;
    const type = fieldType(`${name.replace(/Input$/, '')}${pascal(field)}`, prop, out);
    const generated = override?.generated?.[field];
    const mandatory = required.has(field) && prop.default === undefined && generated === undefined;
    const doc = generated ?? describe(prop);
    if (doc) lines.push(`  "${doc}"`);
    lines.push(`  ${field}: ${type}${mandatory ? '!' : ''}`);
  }
  lines.push(...(override?.extra ?? []).map((l) => `  ${l}`));
  return `${schema.description ? `"${schema.description}"\n` : ''}input ${name} {\n${lines.join('\n')}\n}`;
}

function fieldType(name: string, prop: JsonSchema, out: string[]): string {
  const variants = prop.anyOf?.filter((v) => v.type !== 'null');
  if (variants && variants.length === 1) return fieldType(name, variants[0]!, out);
  if (variants && variants.length > 1) return 'JSON';
  switch (prop.type) {
    case 'string':
      return 'String';
    case 'integer':
      return 'Int';
    case 'number':
      return 'Float';
    case 'boolean':
      return 'Boolean';
    case 'array':
      return `[${fieldType(name, prop.items ?? {}, out)}!]`;
    case 'object': {
      const nested = `${name}Input`;
      out.push(objectType(nested, prop, out));
      return nested;
    }
    default:
      return 'JSON';
  }
}

function describe(prop: JsonSchema): string | undefined {
  const target = prop.anyOf?.find((v) => v.type !== 'null') ?? prop;
  const values = target.enum ?? target.items?.enum;
  // A description the zod schema carries (.describe) comes first.
  const parts: string[] = prop.description ? [prop.description] : [];
  if (values) parts.push(`one of: ${values.join(' ')}`);
  if (prop.default !== undefined) parts.push(`default ${JSON.stringify(prop.default).replace(/"/g, '')}`);
  return parts.length ? parts.join('; ') : undefined;
}
