/** Work over a list with a few calls in flight at once, results in the list's order. */

/** Requests in flight at once: a remote server's latency does not add up, and it is not crowded. */
export const REQUESTS_IN_FLIGHT = 4;

export async function inParallel<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(REQUESTS_IN_FLIGHT, items.length) }, worker));
  return results;
}
