import assert from 'node:assert/strict';
import type { CommandDefinition } from '../../../../schemas/define.ts';
import { formatIssues, type EventRegistry } from '../../../../schemas/registry.ts';
import { fold, type Decider } from '../../../../src/domain/decider.ts';
import { Refusal, type RefusalCode } from '../../../../src/domain/refusal.ts';

type Plain = { type: string; data: unknown };

const HAN = /[\u4e00-\u9fff]/;

/**
 * Given/when/then for a decider. Every given and emitted event goes through its event schema (and
 * must survive parsing unchanged, so no stray field slips past zod's stripping), and every command
 * through its command schema, so a test can only pass with contract-conforming data.
 */
export function deciderSpec<S, C extends Plain, E extends Plain, X>(
  decider: Decider<S, C, E, X>,
  registry: EventRegistry,
  commands: readonly CommandDefinition[],
) {
  const checkEvent = (event: Plain, where: string) => {
    const def = registry.definition(event.type);
    assert.ok(def, `${where}: unknown event type ${event.type}`);
    const parsed = registry.parse(event.type, def.schemaVersion, event.data);
    assert.deepEqual(parsed.data, event.data, `${where}: ${event.type} changes when parsed by its schema`);
  };
  const parseCommand = (command: C): C => {
    const def = commands.find((d) => d.type === command.type);
    assert.ok(def, `unknown command type ${command.type}`);
    const result = def.input.safeParse(command.data);
    if (!result.success) assert.fail(`command ${command.type} breaks its schema: ${formatIssues(result.error)}`);
    return { type: command.type, data: result.data } as C;
  };

  return function given(history: readonly E[]) {
    history.forEach((e, i) => checkEvent(e, `given[${i}]`));
    const state = fold(decider as Decider<S, unknown, E, never>, history);
    return {
      state,
      when(command: C, context: X) {
        const run = () => decider.decide(parseCommand(command), state, context);
        return {
          then(expected: readonly E[]): E[] {
            const events = run();
            events.forEach((e, i) => checkEvent(e, `then[${i}]`));
            assert.deepEqual(events, expected);
            return events;
          },
          /** The exact refusal code, a message in Chinese, and (optionally) the exact message or a pattern it matches. */
          thenRefuses(code: RefusalCode, message?: string | RegExp): Refusal {
            let caught: unknown;
            try {
              run();
            } catch (e) {
              caught = e;
            }
            assert.ok(caught instanceof Refusal, `expected a Refusal ${code}, got ${caught === undefined ? 'events' : String(caught)}`);
            assert.equal(caught.code, code, `refusal message: ${caught.message}`);
            assert.match(caught.message, HAN, 'refusal message is in Chinese');
            if (typeof message === 'string') assert.equal(caught.message, message);
            else if (message) assert.match(caught.message, message);
            return caught;
          },
        };
      },
    };
  };
}

/** A lookup built from a table, as the handler would build it from loaded streams or projections. */
export const lookup =
  <V>(table: Record<string, V>) =>
  (key: string): V | undefined =>
    Object.hasOwn(table, key) ? table[key] : undefined;
