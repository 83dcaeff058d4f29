import { timeBound } from './time-bound.ts';

/**
 * The WHERE conditions of a list query and their parameters, for keysetConnection's `where` and
 * `params`: every value goes in as a parameter of its own ($n), never spliced into the text.
 */
export class Conditions {
  readonly where: string[] = [];
  readonly params: unknown[];

  /** `params`: parameters the query's own text already numbers ($1…) before the conditions'. */
  constructor(...params: unknown[]) {
    this.params = params;
  }

  /** `condition` given its parameter's placeholder: add((n) => `unit_id = ${n}`, unitId). */
  add(condition: (n: string) => string, value: unknown): void {
    this.where.push(condition(`$${this.params.push(value)}`));
  }

  /** from ≤ column < to, each bound optional and checked as a time before it reaches SQL (timeBound). */
  timeRange(column: string, from: string | Date | undefined, to: string | Date | undefined): void {
    const lower = timeBound(from, 'from');
    const upper = timeBound(to, 'to');
    if (lower !== null) this.add((n) => `${column} >= ${n}::timestamptz`, lower);
    if (upper !== null) this.add((n) => `${column} < ${n}::timestamptz`, upper);
  }
}
