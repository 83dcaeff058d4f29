/**
 * The shape of every aggregate's pure domain logic (the "decider" pattern, as in Emmett):
 * `decide` turns a command and the current state into new events or throws a `Refusal`;
 * `evolve` folds one event into state. No I/O, no clock: the time comes in with the command.
 */
export interface Decider<State, Command, Event, Context = DecisionContext> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, context: Context): Event[];
}

/** What a decision may know beyond the stream: who acts, when, and the configured limits. */
export interface DecisionContext {
  actor: import('../../schemas/common.ts').Actor;
  /** ISO timestamp of the command, taken once by the handler. */
  now: string;
}

export function fold<State, Event>(decider: Pick<Decider<State, unknown, Event, never>, 'initialState' | 'evolve'>, events: Iterable<Event>): State {
  let state = decider.initialState();
  for (const e of events) state = decider.evolve(state, e);
  return state;
}
