import { writeFileSync } from 'node:fs';
import { apiCommands, apiOverrides } from './api-commands.ts';
import { commandSdl } from './command-sdl.ts';

/** `npm run sdl`: rewrites schemas/graphql/commands.graphql from the zod command schemas. */
writeFileSync(new URL('../../schemas/graphql/commands.graphql', import.meta.url), commandSdl(apiCommands, apiOverrides));
