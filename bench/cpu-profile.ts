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

/** A frame as the reports name it: function, then the file (node_modules as `~/`) and line. */
const frameName = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'} ${short(f.url) || '(native)'}:${f.lineNumber + 1}`;

/** The n largest of `ms`, as shares of `total` in per cent. */
const largest = (ms: Map<string, number>, total: number, n: number) =>
  [...ms.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, m]) => ({ name, percent: Number(((100 * m) / total).toFixed(1)) }));

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
    const key = frameName(f);
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const module = where.startsWith('~/') ? where.split('/').slice(0, where.startsWith('~/@') ? 3 : 2).join('/') : where;
    file.set(module, (file.get(module) ?? 0) + ms);
  }
  return { busyMs: Math.round(total), idleMs: Math.round(idle), functions: largest(fn, total, n), files: largest(file, total, n) };
}

/** The profile's samples stamped within [fromUs, toUs] (V8's monotonic microseconds) only: a measured run without start-up. */
export function sampledWithin(profile: CpuProfile & { startTime: number }, fromUs: number, toUs: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t >= fromUs && t <= toUs) {
      samples.push(id);
      timeDeltas.push(profile.timeDeltas[i] ?? 0);
    }
  });
  return { nodes: profile.nodes, samples, timeDeltas };
}

/** Inclusive time per JavaScript function (each sample counted once per function on its stack), as shares of the busy time. */
export function inclusiveFrames(profile: CpuProfile, n = 25) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    busy += ms;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (!f.url) continue;
      const key = frameName(f);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  });
  return largest(total, busy, n);
}

/**
 * The stretches in which the thread never went idle (consecutive busy samples): how long a request
 * arriving then waited for the event loop, whatever each callback was. Counts them by length, and
 * names the `n` longest by the functions they spent their time in (inclusive, JavaScript only).
 */
export function longTasks(profile: CpuProfile, minMs = 20, n = 8) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const stretches: { ms: number; samples: number[]; deltas: number[] }[] = [];
  let current: (typeof stretches)[number] | null = null;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      current = null;
      return;
    }
    busy += ms;
    if (!current) stretches.push((current = { ms: 0, samples: [], deltas: [] }));
    current.ms += ms;
    current.samples.push(id);
    current.deltas.push(profile.timeDeltas[i] ?? 0);
  });
  const over = (limit: number) => stretches.filter((s) => s.ms >= limit);
  const named = over(minMs)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map((s) => ({ ms: Math.round(s.ms), frames: inclusiveFrames({ nodes: profile.nodes, samples: s.samples, timeDeltas: s.deltas }, 6) }));
  return {
    busyMs: Math.round(busy),
    stretchesOverMs: Object.fromEntries([10, 25, 50, 100].map((limit) => [limit, over(limit).length])),
    busyShareInStretchesOver25Ms: busy > 0 ? Number((over(25).reduce((a, s) => a + s.ms, 0) / busy).toFixed(2)) : null,
    longest: named,
  };
}
