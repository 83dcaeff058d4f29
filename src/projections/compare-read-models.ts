import type pg from 'pg';
import { compareFeedPositions } from '../eventstore/postgres/feed-position.ts';
import type { EventStore, FeedPosition } from '../eventstore/port.ts';
import type { Projection } from './projection.ts';
import { ScratchSchema } from './scratch-schema.ts';

/**
 * `gongwen verify --read-models`: every projection rebuilt aside, in a scratch schema, from the
 * events up to the live projection's own checkpoint, then compared table by table with the live
 * rows. Read models are shown as evidence (timelines, registers, inboxes); a row edited, inserted
 * or deleted behind the ledger's back differs from what the events make of it, and the first
 * such row is named. The live tables are only read; the scratch schema is dropped afterwards.
 */
export interface ReadModelDifference {
  table: string;
  /** 'live_only': the live table has a row the events do not make; 'rebuilt_only': the reverse. */
  side: 'live_only' | 'rebuilt_only';
  /** The row, as JSON text. */
  row: string;
  /** How many rows differ in this table, counting both sides. */
  rowsDiffering: number;
}

export interface ReadModelCheck {
  name: string;
  eventsReplayed: number;
  tables: number;
  /** The first difference (first in the table's first column's order), null when identical. */
  difference: ReadModelDifference | null;
}

export interface ReadModelReport {
  ok: boolean;
  projections: ReadModelCheck[];
}

const PAGE = 1000;

export async function compareReadModels(pool: pg.Pool, store: EventStore, projections: readonly Projection[]): Promise<ReadModelReport> {
  const scratch = await ScratchSchema.create(pool, 'verify', projections);
  try {
    const client = await scratch.scratchPool.connect();
    const checks: ReadModelCheck[] = [];
    try {
      const until = new Map<Projection, FeedPosition | null>();
      for (const p of projections) {
        const { rows } = await pool.query<{ position: string | null }>('SELECT position FROM projection_checkpoints WHERE name = $1', [p.name]);
        until.set(p, rows[0]?.position ?? null);
      }
      const replayed = new Map<Projection, number>(projections.map((p) => [p, 0]));
      let from: FeedPosition | null = null;
      for (;;) {
        const live = [...until].filter(([, stop]) => stop !== null && compareFeedPositions(from, stop) < 0);
        if (live.length === 0) break;
        const page = await store.readAll(from, PAGE);
        if (page.events.length === 0) break;
        for (const [p, stop] of live) {
          const events = page.events.filter((e) => p.handles.has(e.type) && compareFeedPositions(e.position, stop) <= 0);
          if (events.length === 0) continue;
          p.precompute?.(events);
          await client.query('BEGIN');
          try {
            await p.apply(client, events);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => {});
            throw error;
          }
          replayed.set(p, replayed.get(p)! + events.length);
        }
        from = page.position;
      }
      for (const p of projections) {
        let difference: ReadModelDifference | null = null;
        for (const table of p.tables) {
          difference = await firstDifference(pool, scratch.name, table);
          if (difference) break;
        }
        checks.push({ name: p.name, eventsReplayed: replayed.get(p)!, tables: p.tables.length, difference });
      }
    } finally {
      client.release();
    }
    return { ok: checks.every((c) => c.difference === null), projections: checks };
  } finally {
    await scratch.drop();
  }
}

/** Rows in one table but not the other (as multisets of whole rows), the first named. */
async function firstDifference(pool: pg.Pool, schema: string, table: string): Promise<ReadModelDifference | null> {
  const live = `public.${table}`;
  const rebuilt = `${schema}.${table}`;
  const { rows } = await pool.query<{ side: ReadModelDifference['side']; row: string; n: string }>(
    `WITH l AS (SELECT to_jsonb(t) AS r FROM ${live} t), b AS (SELECT to_jsonb(t) AS r FROM ${rebuilt} t),
          lo AS (SELECT r FROM l EXCEPT ALL SELECT r FROM b), bo AS (SELECT r FROM b EXCEPT ALL SELECT r FROM l),
          d AS (SELECT 'live_only' AS side, r FROM lo UNION ALL SELECT 'rebuilt_only', r FROM bo)
     SELECT side, r::text AS row, count(*) OVER () AS n FROM d ORDER BY r, side LIMIT 1`,
  );
  const first = rows[0];
  return first ? { table, side: first.side, row: first.row, rowsDiffering: Number(first.n) } : null;
}

export function formatReadModelReport(r: ReadModelReport): string {
  const lines = [
    r.ok
      ? '读模型校验通过：每个读模型都与由事件重建的结果一致 (read models verified: each equals its rebuild from the events)'
      : '读模型校验未通过：读模型与由事件重建的结果不同，读模型被改动过 (read models FAILED: they differ from their rebuild from the events)',
  ];
  for (const p of r.projections) {
    lines.push(`  ${p.difference ? '✗' : '✓'} ${p.name}：重放 ${p.eventsReplayed} 个事件，${p.tables} 张表 (events replayed, tables)`);
    if (p.difference) {
      const d = p.difference;
      lines.push(
        `      表 table:  ${d.table}（共 ${d.rowsDiffering} 行不同 rows differ）`,
        d.side === 'live_only'
          ? '      第一处 first: 读模型中有、事件重建中没有的行 (a live row the events do not make)'
          : '      第一处 first: 事件重建中有、读模型中缺失或被改动的行 (a row the events make, missing or altered in the live table)',
        `      行 row:    ${d.row}`,
      );
    }
  }
  return lines.join('\n');
}
