/** The worker pool: bounded concurrency, every worker awaited, the first failure rethrown. */
import { forEachLimit, runWorkers } from '../../src/util/pool.js';

/** A promise settled from outside, to order work deterministically. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('forEachLimit', () => {
  test('runs every item once with its index, never more than `jobs` at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    await forEachLimit(['a', 'b', 'c', 'd', 'e'], 2, async (item, index) => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      seen.push(`${index}${item}`);
      running--;
    });
    expect(seen.sort()).toEqual(['0a', '1b', '2c', '3d', '4e']);
    expect(most).toBe(2);
  });

  test('no items: nothing runs and it resolves', async () => {
    let calls = 0;
    await forEachLimit([], 4, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });

  test('after a failure no new item starts; what is in flight finishes before the failure is rethrown', async () => {
    const slow = gate();
    const started: number[] = [];
    let finished = false;
    const done = forEachLimit([0, 1, 2, 3], 2, async (item) => {
      started.push(item);
      if (item === 0) {
        await slow.promise;
        finished = true;
      } else throw new Error(`item ${item} failed`);
    });
    let settled = false;
    void done.catch(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // item 0 is still in flight
    slow.open();
    await expect(done).rejects.toThrow('item 1 failed');
    expect(finished).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  test('an aborted signal starts nothing more and throws the caller’s error', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const done = forEachLimit(
      [0, 1, 2],
      1,
      async (item) => {
        started.push(item);
        controller.abort();
      },
      { signal: controller.signal, aborted: () => new Error('interrupted') },
    );
    await expect(done).rejects.toThrow('interrupted');
    expect(started).toEqual([0]);
  });
});

describe('runWorkers', () => {
  test('tells the other workers to stop after one fails, and waits for them', async () => {
    const stoppedSeen: boolean[] = [];
    const later = gate();
    const done = runWorkers(2, async (stopped) => {
      if (stoppedSeen.length === 0) {
        stoppedSeen.push(stopped());
        await later.promise;
        stoppedSeen.push(stopped());
        return;
      }
      throw new Error('boom');
    });
    await new Promise((r) => setImmediate(r));
    later.open();
    await expect(done).rejects.toThrow('boom');
    expect(stoppedSeen).toEqual([false, true]);
  });
});
