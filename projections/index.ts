import type { Projection } from '../src/projections/projection.ts';

/** Every read model the ledger keeps, in the order they are caught up. */
export const allProjections: readonly Projection[] = [];
