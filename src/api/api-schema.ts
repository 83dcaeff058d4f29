import { readFileSync } from 'node:fs';
import { buildSchema, GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { withDomainEnumValues } from './enums.ts';
import { withLimitsInDescriptions } from './query-cost.ts';
import { CalendarDate, DateTime, DueDate, Month } from './scalars.ts';

/** The SDL files of the API, in the order they are joined. */
export const schemaFiles = ['limits.graphql', 'enums.graphql', 'schema.graphql', 'queries.graphql', 'credentials.graphql', 'commands.graphql', 'number-register.graphql', 'ledger-proofs.graphql', 'supervision.graphql', 'archive.graphql', 'contract.graphql', 'work-lists.graphql', 'search.graphql'];

export const schemaSdl = () => schemaFiles.map((file) => readFileSync(new URL(`../../schemas/graphql/${file}`, import.meta.url), 'utf8')).join('\n');

/**
 * The schema the server runs: the SDL with each field's limits in its description, the time
 * scalars' parsing and serialising, and the enums' domain values.
 */
export function buildApiSchema(): GraphQLSchema {
  const schema = buildSchema(withLimitsInDescriptions(schemaSdl()));
  for (const scalar of [DateTime, DueDate, CalendarDate, Month]) {
    const type = schema.getType(scalar.name);
    if (!(type instanceof GraphQLScalarType)) throw new Error(`the SDL declares no scalar ${scalar.name}`);
    type.serialize = scalar.serialize;
    type.parseValue = scalar.parseValue;
    type.parseLiteral = scalar.parseLiteral;
  }
  return withDomainEnumValues(schema);
}
