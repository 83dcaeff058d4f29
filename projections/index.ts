import type { Projection } from '../src/projections/projection.ts';
import { auditProjection } from './audit/index.ts';
import { catalogueProjection } from './catalogue/index.ts';
import { directoryProjection } from './directory/index.ts';
import { inboxProjection } from './inbox/index.ts';
import { issuingProjection } from './issuing/index.ts';
import { searchProjection } from './search/index.ts';
import { sentBoxProjection } from './sent-box/index.ts';
import { supervisionProjection } from './supervision/index.ts';

/** Every read model the ledger keeps, in the order they are caught up. */
export const allProjections: readonly Projection[] = [
  directoryProjection,
  inboxProjection,
  sentBoxProjection,
  issuingProjection,
  auditProjection,
  catalogueProjection,
  searchProjection,
  supervisionProjection,
];
