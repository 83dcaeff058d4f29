import type { RenderingCommand } from '../../../schemas/commands/rendering.ts';
import type { RenderingEvent } from '../../../schemas/events/rendering.ts';
import type { Decider, DecisionContext } from '../decider.ts';

/** The renderings recorded for one document (`rendering-<documentId>`), oldest first. */
export interface RenderingState {
  renderings: RenderingEvent['data'][];
}

/**
 * A rendering is recorded once per sealing, format, renderer version and font set: the same
 * rendering again (a replayed reaction) records nothing, while a new renderer or new fonts add a
 * new record beside the old one, which stays what the archive received.
 */
export const renderingDecider: Decider<RenderingState, RenderingCommand, RenderingEvent, DecisionContext> = {
  initialState: () => ({ renderings: [] }),
  evolve: (state, event) => ({ renderings: [...state.renderings, event.data] }),
  decide(command, state, context) {
    const c = command.data;
    const same = state.renderings.some(
      (r) => r.sealedEventId === c.sealedEventId && r.format === c.format && r.rendererVersion === c.rendererVersion && r.fontsDigest === c.fontsDigest,
    );
    return same ? [] : [{ type: 'DocumentRendered', data: { ...c, renderedAt: context.now } }];
  },
};

/** The rendering of record: the latest one of the document's latest sealing. */
export function currentRendering(state: RenderingState): RenderingEvent['data'] | null {
  return state.renderings.at(-1) ?? null;
}
