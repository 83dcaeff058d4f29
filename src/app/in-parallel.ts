/**
 * Runs `task` over `items` with at most `limit` in flight: commands or reads on distinct streams
 * that do not depend on each other (the demo's commands, the supervision scan's reads) overlap
 * their round trips instead of waiting for each in turn. The first failure is thrown once the tasks
 * already started have ended.
 */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
