import { join } from 'node:path';

/**
 * Where the benches keep the big ledgers they build once and reuse (each a `gongwen serve` data
 * folder, gigabytes at a million events): BENCH_DATA_DIR, or `.bench-data` in the working folder.
 */
export const BENCH_DATA_ROOT = process.env.BENCH_DATA_DIR ?? join(process.cwd(), '.bench-data');
