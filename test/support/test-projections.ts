import type pg from 'pg';
import { allEventDefinitions } from '../../schemas/events/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { projectionDigest } from '../../src/projections/digest.ts';
import type { Projection } from '../../src/projections/projection.ts';

/**
 * Projections and wrappers for testing the read side's machinery (runner, checkpoints, digests)
 * independently of the real read models, and alongside them.
 */

export const allEventTypes: ReadonlySet<string> = new Set(allEventDefinitions.map((d) => d.type));

/**
 * Counts, per event, how many times it was applied (an event applied twice shows up as 2), and
 * per type how many events were seen. Batch-friendly like a real projection: two statements per
 * batch whatever its size.
 */
export const applicationCountProjection: Projection = {
  name: 'appcount',
  version: 1,
  handles: allEventTypes,
  schemaSql: `
    CREATE TABLE appcount_by_event (
      event_id     uuid PRIMARY KEY,
      stream_id    text NOT NULL,
      revision     int  NOT NULL,
      type         text NOT NULL,
      applications int  NOT NULL
    );
    CREATE TABLE appcount_by_type (
      type   text PRIMARY KEY,
      events bigint NOT NULL
    );`,
  tables: ['appcount_by_event', 'appcount_by_type'],
  async apply(tx, events) {
    const rows = JSON.stringify(events.map((e) => ({ event_id: e.eventId, stream_id: e.streamId, revision: e.revision, type: e.type })));
    await tx.query(
      `INSERT INTO appcount_by_event (event_id, stream_id, revision, type, applications)
       SELECT event_id, stream_id, revision, type, 1 FROM jsonb_to_recordset($1::jsonb) AS x(event_id uuid, stream_id text, revision int, type text)
       ON CONFLICT (event_id) DO UPDATE SET applications = appcount_by_event.applications + 1`,
      [rows],
    );
    await tx.query(
      `INSERT INTO appcount_by_type (type, events)
       SELECT type, count(*) FROM jsonb_to_recordset($1::jsonb) AS x(type text) GROUP BY type
       ON CONFLICT (type) DO UPDATE SET events = appcount_by_type.events + EXCLUDED.events`,
      [rows],
    );
  },
};

export class InjectedFailure extends Error {
  constructor(readonly projection: string, readonly batch: number) {
    super(`injected failure in ${projection} on its batch ${batch}`);
    this.name = 'InjectedFailure';
  }
}

/** What a failing batch had done inside its transaction before it threw. */
export interface FailedBatch {
  projection: string;
  events: readonly RecordedEvent[];
  /** The projection's digest before and after its apply, inside the doomed transaction. */
  digestBefore: string;
  digestAfterApply: string;
}

/**
 * The same projection (name, tables, checkpoint), except that its `n`-th apply runs the real
 * apply — writing its rows — and then throws, so the runner's transaction aborts midway.
 */
export function failingOnBatch(p: Projection, n: number, onFailure: (f: FailedBatch) => void): Projection {
  let calls = 0;
  return {
    ...p,
    async apply(tx, events) {
      if (++calls !== n) return p.apply(tx, events);
      const before = await projectionDigest(tx, p);
      await p.apply(tx, events);
      const after = await projectionDigest(tx, p);
      onFailure({ projection: p.name, events, digestBefore: before.digest, digestAfterApply: after.digest });
      throw new InjectedFailure(p.name, n);
    },
  };
}

/**
 * The same projection, except that on its `n`-th batch it applies its events and then holds the
 * transaction open forever (calling `onHold` first), so a process can be killed mid-batch. It is
 * offered every event type, so that it sees an `n`-th batch whatever it handles; it passes on only
 * its own.
 */
export function holdingOnBatch(p: Projection, n: number, onHold: (name: string, tx: pg.ClientBase) => void): Projection {
  let calls = 0;
  return {
    ...p,
    handles: allEventTypes,
    async apply(tx, events) {
      const own = events.filter((e) => p.handles.has(e.type));
      if (own.length > 0) await p.apply(tx, own);
      if (++calls === n) {
        onHold(p.name, tx);
        await new Promise(() => {});
      }
    },
  };
}
