import { randomUUID } from 'node:crypto';
import type { ApiInputOverride } from './command-sdl.ts';

/**
 * Ids the server generates when a client leaves them out (issue 11): every command's `commandId`,
 * and the `documentId` of a new draft. Client-generated ids stay possible and are the safer choice
 * for retries: a generated commandId is new on every request, so a retry without one is a second
 * command, not a repeat.
 */
export const generatedFields: Record<string, Record<string, string>> = {
  '*': {
    commandId:
      '幂等键 (idempotency key). Optional: when omitted the server generates one and returns it in the payload. A retry WITHOUT a commandId is a new command (NOT idempotent: it may act twice); a retry with the returned or a client-chosen commandId returns the first outcome.',
  },
  DraftDocument: {
    documentId: "The new document's id. Optional: when omitted the server generates one (doc-<uuid>) and returns it in the payload's documentId.",
  },
};

/** The consistency option every mutation input has (read-your-writes.ts). */
const consistencyOption = [
  '"When true, the mutation answers only after every read model (inbox, sent box, search, timelines, catalogue, supervision) has applied this command\'s events, so queries sent afterwards see them; at most GONGWEN_READ_MODEL_WAIT_MS (5 s by default), else READ_MODELS_TIMEOUT (the command stays recorded). Default false: the payload\'s document is current either way."',
  'waitForReadModels: Boolean',
];

/** The API overrides of every command, with its generated fields and the consistency option added. */
export function withGeneratedIds(types: readonly string[], overrides: Record<string, ApiInputOverride>): Record<string, ApiInputOverride> {
  return Object.fromEntries(
    types.map((type) => [
      type,
      {
        ...overrides[type],
        extra: [...(overrides[type]?.extra ?? []), ...consistencyOption],
        generated: { ...generatedFields['*'], ...generatedFields[type], ...overrides[type]?.generated },
      },
    ]),
  );
}

const generators: Record<string, () => string> = {
  commandId: () => `srv-${randomUUID()}`,
  documentId: () => `doc-${randomUUID()}`,
};

/** The input with every generated field the caller left out (or sent as null) filled in. */
export function completeIds(type: string, input: Record<string, unknown>): Record<string, unknown> {
  const out = { ...input };
  for (const field of Object.keys({ ...generatedFields['*'], ...generatedFields[type] })) {
    if (out[field] == null) out[field] = generators[field]!();
  }
  return out;
}
