// This process's own peak resident set, in kB: VmHWM of /proc/self/status. Not
// process.resourceUsage().maxRSS, which on Linux carries over an exec the high-water mark of the
// parent the child was forked from: every child of a bench that had seeded a big year reported
// the bench's ~394 MB as its own. (Outside Linux, maxRSS is what there is.)
import { readFileSync } from 'node:fs';

export function peakRssKb() {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    return process.resourceUsage().maxRSS;
  }
}
