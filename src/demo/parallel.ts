/**
 * Runs `task` over `items` with at most `limit` in flight: the demo's commands on distinct streams
 * do not depend on each other, and running them side by side is what keeps the demo near a minute.
 * The first failure is thrown once the tasks already started have ended.
 */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
