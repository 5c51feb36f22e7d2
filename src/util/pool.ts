/**
 * The one worker pool: bounded concurrency over async work (transfers, remote listings, multipart
 * uploads, ranged downloads, reading thousands of small files). Every worker is awaited even
 * after one fails, so none still touches a file handle or connection that the caller closes next;
 * after the first failure no new work starts, and that failure is rethrown.
 */

/**
 * Runs `count` copies of `worker` and waits for all of them; `stopped()` tells the others to
 * finish early once one has failed. For workers that pace themselves (e.g. backpressure on a
 * stream); plain lists of items go through `forEachLimit`.
 */
export async function runWorkers(count: number, worker: (stopped: () => boolean) => Promise<void>): Promise<void> {
  let failure: { error: unknown } | undefined;
  const stopped = (): boolean => failure !== undefined;
  await Promise.all(
    Array.from({ length: Math.max(1, count) }, () =>
      worker(stopped).catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw failure.error;
}

export interface ForEachOptions {
  /** When aborted, no new item starts and `aborted()` is thrown (after what is in flight ends). */
  signal?: AbortSignal;
  aborted?: () => unknown;
}

/** Runs `work(item, index)` for each of `items`, at most `jobs` at a time. */
export async function forEachLimit<T>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<void>, options: ForEachOptions = {}): Promise<void> {
  let next = 0;
  await runWorkers(Math.min(jobs, items.length), async (stopped) => {
    while (!stopped() && next < items.length) {
      if (options.signal?.aborted) throw options.aborted?.() ?? new Error('aborted');
      const index = next++;
      await work(items[index] as T, index);
    }
  });
}
