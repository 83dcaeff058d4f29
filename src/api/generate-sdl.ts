import { writeFileSync } from 'node:fs';
import { apiCommands, apiOverrides } from './api-commands.ts';
import { commandSdl } from './command-sdl.ts';
import { enumSdl } from './enums.ts';

/** `npm run sdl`: rewrites the generated SDL files: the commands (from the zod command schemas) and the enums. */
const write = (file: string, text: string) => writeFileSync(new URL(`../../schemas/graphql/${file}`, import.meta.url), text);
write('commands.graphql', commandSdl(apiCommands, apiOverrides));
write('enums.graphql', enumSdl());
