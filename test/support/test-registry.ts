import { z } from 'zod';
import { defineEvent } from '../../schemas/define.ts';
import { createEventRegistry } from '../../schemas/registry.ts';

/** Small event types for the store contract tests, independent of the domain's schemas. */
export const TestEvent = defineEvent('TestEvent', 1, z.object({ n: z.number().int(), text: z.string().optional() }));
export const OtherTestEvent = defineEvent('OtherTestEvent', 1, z.object({ label: z.string() }));

export const testRegistry = createEventRegistry([TestEvent, OtherTestEvent]);
