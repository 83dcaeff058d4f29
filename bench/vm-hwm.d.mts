/** A process's peak resident set, in kB (VmHWM of /proc/<pid>/status; this process by default; see vm-hwm.mjs). */
export function peakRssKb(pid?: number | 'self'): number;
