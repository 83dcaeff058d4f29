// A process's peak resident set, in kB: VmHWM of /proc/<pid>/status (this process by default).
// Not process.resourceUsage().maxRSS, which on Linux carries over an exec the high-water mark of
// the parent the child was forked from: every child of a bench that had seeded a big year
// reported the bench's ~394 MB as its own. (Outside Linux, this process's maxRSS is what there is.)
import { readFileSync } from 'node:fs';

export function peakRssKb(pid = 'self') {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    if (pid === 'self') return process.resourceUsage().maxRSS;
    throw error;
  }
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
}
