import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { apiCommands, apiOverrides } from '../../src/api/api-commands.ts';
import { commandSdl } from '../../src/api/command-sdl.ts';
import { schemaFiles } from '../../src/api/graphql.ts';
import { commandRoles } from '../../src/app/authorization.ts';

const read = (f: string) => readFileSync(new URL(`../../schemas/graphql/${f}`, import.meta.url), 'utf8');

test('the committed commands.graphql is what the zod command schemas produce (run `npm run sdl` after changing a command)', () => {
  assert.equal(read('commands.graphql'), commandSdl(apiCommands, apiOverrides));
});

test('the SDL is valid and has one mutation per user command, each taking one input with a commandId (optional: the server generates one)', () => {
  const schema = buildSchema(schemaFiles.map(read).join('\n'));
  const mutations = schema.getMutationType()!.getFields();
  const expected = Object.keys(commandRoles).map((t) => t[0]!.toLowerCase() + t.slice(1));
  assert.deepEqual(Object.keys(mutations).sort(), expected.sort());
  for (const m of Object.values(mutations)) {
    assert.equal(m.args.length, 1);
    const input = schema.getType(`${m.name[0]!.toUpperCase()}${m.name.slice(1)}Input`) as { getFields(): Record<string, { type: unknown }> };
    assert.equal(String(input.getFields().commandId!.type), 'String', m.name);
    assert.equal(String(input.getFields().waitForReadModels!.type), 'Boolean', m.name);
  }
  for (const name of ['draftDocument', 'reviseDraft', 'signOffDocument', 'sealDocument', 'sendDocument', 'recallDocument', 'receiveDocument', 'returnDocument', 'registerIncoming', 'markDocumentRead', 'giveInstruction', 'assignHandling', 'urgeHandling', 'completeHandling', 'fileDocument', 'registerUnit', 'registerUser', 'grantRole', 'revokeRole', 'issueCredential', 'revokeCredential', 'issueSeal', 'replaceSeal', 'revokeSeal', 'destroySeal']) {
    assert.ok(mutations[name], `mutation ${name}`);
  }
});
