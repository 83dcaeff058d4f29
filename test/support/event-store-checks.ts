import type pg from 'pg';
import { eventHash, eventMac, GENESIS_HASH } from '../../src/integrity/event-hash.ts';

/**
 * Checks the stored rows of some streams directly in SQL, without the store's own read path:
 * contiguous revisions from 0, `streams` tip equal to the last event, each command row covering
 * exactly its events (no partial batch), every event belonging to a command, and hash chain + MAC
 * recomputed from the row. Returns the problems found (empty = consistent).
 */
export async function checkStoredStreams(pool: pg.Pool, macKey: Buffer, streamIds: string[]): Promise<string[]> {
  // One snapshot for the three reads, or a commit landing between them would look like damage.
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const found = await check(client, macKey, streamIds);
    await client.query('COMMIT');
    return found;
  } finally {
    client.release();
  }
}

async function check(pool: pg.ClientBase, macKey: Buffer, streamIds: string[]): Promise<string[]> {
  const problems: string[] = [];
  const { rows: events } = await pool.query<{
    stream_id: string; revision: number; event_id: string; type: string; schema_version: number; data: unknown;
    occurred_at: Date; recorded_at: Date; actor: { userId: string; unitId: string; role: string };
    command_id: string; correlation_id: string; causation_id: string | null; prev_hash: string; hash: string; mac: string;
  }>(
    `SELECT stream_id, revision, event_id::text AS event_id, type, schema_version, data, occurred_at, recorded_at, actor,
            command_id, correlation_id, causation_id, prev_hash, hash, mac
       FROM events WHERE stream_id = ANY($1) ORDER BY stream_id, revision`,
    [streamIds],
  );
  const { rows: tips } = await pool.query<{ stream_id: string; revision: number; last_hash: string }>(
    'SELECT stream_id, revision, last_hash FROM streams WHERE stream_id = ANY($1)',
    [streamIds],
  );
  const { rows: commands } = await pool.query<{ command_id: string; stream_id: string; first_revision: number; last_revision: number }>(
    'SELECT command_id, stream_id, first_revision, last_revision FROM commands WHERE stream_id = ANY($1)',
    [streamIds],
  );
  const tipOf = new Map(tips.map((t) => [t.stream_id, t]));
  const commandOf = new Map(commands.map((c) => [c.command_id, c]));
  const eventsOfCommand = new Map<string, number[]>();

  for (const streamId of streamIds) {
    const stream = events.filter((e) => e.stream_id === streamId);
    const tip = tipOf.get(streamId);
    if (stream.length === 0) {
      if (tip) problems.push(`${streamId}: streams row at revision ${tip.revision} but no events`);
      continue;
    }
    let prev = GENESIS_HASH;
    stream.forEach((e, i) => {
      const where = `${streamId}@${e.revision}`;
      if (e.revision !== i) problems.push(`${where}: expected revision ${i} (gap or duplicate)`);
      if (e.prev_hash !== prev) problems.push(`${where}: prev_hash does not link to the previous event`);
      const hash = eventHash(e.prev_hash, {
        eventId: e.event_id,
        type: e.type,
        schemaVersion: e.schema_version,
        streamId: e.stream_id,
        revision: e.revision,
        occurredAt: e.occurred_at.toISOString(),
        recordedAt: e.recorded_at.toISOString(),
        actor: e.actor,
        commandId: e.command_id,
        correlationId: e.correlation_id,
        causationId: e.causation_id,
        data: e.data,
      });
      if (hash !== e.hash) problems.push(`${where}: hash does not recompute`);
      if (eventMac(macKey, e.hash) !== e.mac) problems.push(`${where}: mac does not recompute`);
      prev = e.hash;
      const list = eventsOfCommand.get(e.command_id) ?? [];
      list.push(e.revision);
      eventsOfCommand.set(e.command_id, list);
      const command = commandOf.get(e.command_id);
      if (!command) problems.push(`${where}: command ${e.command_id} has no command row`);
    });
    const last = stream.at(-1)!;
    if (!tip) problems.push(`${streamId}: events but no streams row`);
    else {
      if (tip.revision !== last.revision) problems.push(`${streamId}: streams.revision ${tip.revision} but last event ${last.revision}`);
      if (tip.last_hash !== last.hash) problems.push(`${streamId}: streams.last_hash is not the last event's hash`);
    }
  }
  for (const c of commands) {
    const revisions = eventsOfCommand.get(c.command_id) ?? [];
    const wanted = Array.from({ length: c.last_revision - c.first_revision + 1 }, (_, i) => c.first_revision + i);
    if (JSON.stringify(revisions) !== JSON.stringify(wanted)) {
      problems.push(`command ${c.command_id}: events at [${revisions.join(',')}], expected [${wanted.join(',')}] of ${c.stream_id}`);
    }
    if (!events.some((e) => e.command_id === c.command_id && e.stream_id === c.stream_id)) {
      problems.push(`command ${c.command_id}: no events in ${c.stream_id}`);
    }
  }
  return problems;
}
