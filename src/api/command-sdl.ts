import { z } from 'zod';
import type { CommandDefinition } from '../../schemas/define.ts';
import { fieldDescriptions, mutationDescriptions } from './command-docs.ts';
import { enumForValues } from './enums.ts';

/**
 * The GraphQL input types and mutations of the commands, derived from their zod schemas so the
 * API can never accept a shape the command refuses (or the reverse): zod enums become the API's
 * enums (src/api/enums.ts), ISO instants DateTime, and `.describe()` texts (or command-docs.ts)
 * the descriptions. The output is committed as
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
  format?: string;
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
    inputs.push(objectType(name, d.type, schema, inputs, overrides[d.type]));
    const doc = schema.description ?? mutationDescriptions[d.type];
    if (!doc) throw new Error(`mutation ${d.type} has no description: add .describe() to its zod schema or a line to src/api/command-docs.ts`);
    mutations.push(`  ${quote(doc)}\n  ${mutationName(d.type)}("命令的内容 (the command)" input: ${name}!): ${d.type === 'IssueCredential' ? 'IssuedCredential' : 'CommandResult'}!`);
  }
  return `# Generated from the zod command schemas (schemas/commands) by \`npm run sdl\`. Do not edit.\n\n${inputs.join('\n\n')}\n\n"Commands: each appends events to the ledger, or is refused with a typed error and changes nothing."\ntype Mutation {\n${mutations.join('\n')}\n}\n`;
}

const quote = (s: string) => JSON.stringify(s);

function objectType(name: string, command: string, schema: JsonSchema, out: string[], override?: ApiInputOverride): string {
  const required = new Set(schema.required ?? []);
  const lines: string[] = [];
  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    if (override?.omit?.includes(field)) continue;
    const type = fieldType(`${name.replace(/Input$/, '')}${pascal(field)}`, command, prop, out);
    // A field the server fills in when omitted (documentId, commandId) is optional, described as such.
    const generated = override?.generated?.[field];
    const mandatory = required.has(field) && prop.default === undefined && generated === undefined;
    const doc = generated ?? prop.description ?? fieldDescriptions[`${command}.${field}`] ?? fieldDescriptions[field];
    if (!doc) throw new Error(`${command}.${field} has no description: add .describe() to its zod schema or a line to src/api/command-docs.ts`);
    lines.push(`  ${quote(doc)}`);
    lines.push(`  ${field}: ${type}${mandatory ? '!' : ''}${defaultOf(prop, type)}`);
  }
  lines.push(...(override?.extra ?? []).map((l) => `  ${l}`));
  const doc = schema.description ?? (name === `${command}Input` ? `${command} 的输入 (input of ${mutationName(command)})` : `${command} 的输入中的一项 (part of ${mutationName(command)}'s input)`);
  return `${quote(doc)}\ninput ${name} {\n${lines.join('\n')}\n}`;
}

/** The zod default as a GraphQL default value (an enum's by its API name). */
function defaultOf(prop: JsonSchema, type: string): string {
  if (prop.default === undefined) return '';
  const target = prop.anyOf?.find((v) => v.type !== 'null') ?? prop;
  if (target.enum) return ` = ${enumForValues(target.enum).values.get(String(prop.default))!.name}`;
  if (Array.isArray(prop.default) && prop.default.length === 0) return ' = []';
  if (type === 'String' || type === 'String!') return ` = ${quote(String(prop.default))}`;
  return ` = ${JSON.stringify(prop.default)}`;
}

function fieldType(name: string, command: string, prop: JsonSchema, out: string[]): string {
  const variants = prop.anyOf?.filter((v) => v.type !== 'null');
  if (variants && variants.length === 1) return fieldType(name, command, variants[0]!, out);
  if (variants && variants.length > 1) {
    const formats = new Set(variants.map((v) => v.format));
    // A calendar date or an instant (办理期限): its own scalar, which checks both forms.
    if (formats.size === 2 && formats.has('date') && formats.has('date-time')) return 'DueDate';
    const types = new Set(variants.map((v) => fieldType(name, command, v, out)));
    if (types.size === 1) return [...types][0]!;
    throw new Error(`${name}: a union of ${[...types].join(', ')} has no GraphQL type`);
  }
  if (prop.enum) return enumForValues(prop.enum).name;
  switch (prop.type) {
    case 'string':
      return prop.format === 'date-time' ? 'DateTime' : 'String';
    case 'integer':
      return 'Int';
    case 'number':
      return 'Float';
    case 'boolean':
      return 'Boolean';
    case 'array':
      return `[${fieldType(name, command, prop.items ?? {}, out)}!]`;
    case 'object': {
      const nested = `${name}Input`;
      out.push(objectType(nested, command, prop, out));
      return nested;
    }
    default:
      throw new Error(`${name}: no GraphQL type for ${JSON.stringify(prop).slice(0, 200)}`);
  }
}
