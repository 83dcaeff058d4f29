/**
 * The top frames of a V8 CPU profile (`node --cpu-prof`): self time per function and per source
 * file, as shares of the sampled time — what the bench sections report as "where the time goes".
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/wt-[^/]+\//, '');

export function topFrames(profile: CpuProfile, n = 20) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const idle = [...selfMs.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, ms]) => a + ms, 0);
  // Shares of the busy time: idle is what the process waited (for PostgreSQL, for clients).
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0) - idle;
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const where = short(f.url) || '(native)';
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const module = where.startsWith('~/') ? where.split('/').slice(0, where.startsWith('~/@') ? 3 : 2).join('/') : where;
    file.set(module, (file.get(module) ?? 0) + ms);
  }
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, percent: Number(((100 * ms) / total).toFixed(1)) }));
  return { busyMs: Math.round(total), idleMs: Math.round(idle), functions: top(fn), files: top(file) };
}
