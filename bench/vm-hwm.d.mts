/** This process's own peak resident set, in kB (VmHWM; see vm-hwm.mjs). */
export function peakRssKb(): number;
