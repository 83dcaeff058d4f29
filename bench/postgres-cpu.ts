/**
 * CPU time the PostgreSQL server spent, read from /proc for every process pg_stat_activity lists
 * (the backends of every connection and the background processes: WAL writer, checkpointer, …).
 * The other half of "where the time goes" beside a Node CPU profile: the append bench divides it
 * by the transactions of a run to compare the PostgreSQL work each side asks for. Only meaningful
 * when the server runs on this machine (the embedded one); elsewhere it reports null.
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';

// Linux reports utime and stime in clock ticks, 100 a second on every architecture Node runs on.
const TICK_MS = 10;

async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

export interface PostgresCpuSnapshot {
  byPid: Map<number, number>;
}

/** The CPU each server process has used so far (null: /proc does not show the server's processes). */
export async function postgresCpu(pool: pg.Pool): Promise<PostgresCpuSnapshot | null> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  const byPid = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = await processCpuMs(pid);
    if (ms !== null) byPid.set(pid, ms);
  }
  return byPid.size > 0 ? { byPid } : null;
}

/** Server CPU ms between two snapshots (a process that appeared in between counts from zero). */
export function postgresCpuBetween(before: PostgresCpuSnapshot | null, after: PostgresCpuSnapshot | null): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, now] of after.byPid) ms += now - (before.byPid.get(pid) ?? 0);
  return ms;
}
