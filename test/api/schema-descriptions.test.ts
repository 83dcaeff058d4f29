import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedDirective, isSpecifiedScalarType, isIntrospectionType } from 'graphql';
import { buildApiSchema } from '../../src/api/api-schema.ts';

/**
 * A frontend team reads the schema, not the code: every type, field, argument, input field, enum
 * value and directive argument the API declares says what it is.
 */
test('every type, field, argument, input field, enum value and mutation of the schema has a description', () => {
  const schema = buildApiSchema();
  const missing: string[] = [];
  const need = (what: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(what);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    // The root types are containers: their fields are what a client reads.
    if (![schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].includes(type as never)) need(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        need(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) need(`${type.name}.${field.name}(${arg.name})`, arg.description);
      }
    }
    if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) need(`${type.name}.${field.name}`, field.description);
    if (isEnumType(type)) for (const value of type.getValues()) need(`${type.name}.${value.name}`, value.description);
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    need(`@${directive.name}`, directive.description);
    for (const arg of directive.args) need(`@${directive.name}(${arg.name})`, arg.description);
  }
  assert.deepEqual(missing, [], `${missing.length} without a description`);
});

test('the walk finds what is missing (a schema with one undescribed field fails)', async () => {
  const { buildSchema } = await import('graphql');
  const schema = buildSchema('"q" type Query { "x" x: Int y: Int }');
  const fields = Object.values(schema.getQueryType()!.getFields());
  assert.deepEqual(fields.filter((f) => !f.description).map((f) => f.name), ['y']);
});
