/**
 * The scheduler with a fake `runStage`: every started node waits on a promise the test settles by
 * hand, so concurrency is observed (who is running now), not timed.
 */
import { schedule, type ResourceLimits, type ScheduleGraph, type ScheduleOptions, type Settled, type StageRun } from '../../src/repro/scheduler.js';

/** A graph from `node: [upstream…]`. */
function graph(edges: Record<string, string[]>): ScheduleGraph {
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  for (const name of Object.keys(edges)) {
    upstream.set(name, new Set());
    downstream.set(name, new Set());
  }
  for (const [name, ups] of Object.entries(edges)) {
    for (const up of ups) {
      upstream.get(name)?.add(up);
      downstream.get(up)?.add(name);
    }
  }
  return { upstream, downstream };
}

interface Pending {
  resolve(run: StageRun<string>): void;
  reject(error: unknown): void;
}

/** A controllable `runStage`: records starts, tracks how many run, and waits for the test. */
class FakeRunner {
  readonly started: string[] = [];
  readonly running = new Set<string>();
  maxRunning = 0;
  private readonly pending = new Map<string, Pending>();
  private waiters: Array<() => void> = [];

  readonly run = (name: string): Promise<StageRun<string>> => {
    this.started.push(name);
    this.running.add(name);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    const promise = new Promise<StageRun<string>>((resolve, reject) => this.pending.set(name, { resolve, reject }));
    for (const wake of this.waiters.splice(0)) wake();
    return promise.finally(() => this.running.delete(name));
  };

  /** Waits until the scheduler has started `names` (it starts nodes in microtasks). */
  async waitStarted(...names: string[]): Promise<void> {
    for (let turns = 0; !names.every((n) => this.pending.has(n)); turns++) {
      // Bounded, so a test that waits for a node the scheduler never starts fails instead of hanging.
      if (turns > 100) throw new Error(`not started: ${names.filter((n) => !this.pending.has(n)).join(', ')} (started: ${this.started.join(', ')})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setImmediate(resolve);
      });
    }
  }

  /** Lets pending microtasks and the scheduler's reactions run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  succeed(name: string): void {
    this.take(name).resolve({ ok: true, result: `${name} ok` });
  }

  fail(name: string): void {
    this.take(name).resolve({ ok: false, result: `${name} failed` });
  }

  throw(name: string, error: unknown): void {
    this.take(name).reject(error);
  }

  private take(name: string): Pending {
    const p = this.pending.get(name);
    if (!p) throw new Error(`${name} was not started`);
    if (!this.running.has(name)) throw new Error(`${name} already settled`);
    return p;
  }
}

function options(overrides: Partial<ScheduleOptions<string>> = {}): ScheduleOptions<string> {
  return { jobs: 1, keepGoing: false, signal: new AbortController().signal, ...overrides };
}

function states(settled: Map<string, Settled<string>>): Record<string, string> {
  return Object.fromEntries(
    [...settled].map(([name, s]) => [
      name,
      s.state === 'finished' ? (s.ok ? 'ok' : 'failed') : s.state === 'skipped' ? `skipped(${s.upstream})` : s.state,
    ]),
  );
}

describe('schedule', () => {
  test('runs dependencies first and ready nodes in selected order', async () => {
    // d is declared first but waits for b; among ready nodes the selected order decides.
    const g = graph({ a: [], b: ['a'], c: [], d: ['b'] });
    const fake = new FakeRunner();
    const done = schedule(g, ['a', 'c', 'b', 'd'], options(), fake.run);
    await fake.waitStarted('a');
    expect(fake.started).toEqual(['a']);
    fake.succeed('a');
    await fake.waitStarted('c');
    fake.succeed('c');
    await fake.waitStarted('b');
    fake.succeed('b');
    await fake.waitStarted('d');
    fake.succeed('d');
    const report = await done;
    expect(fake.started).toEqual(['a', 'c', 'b', 'd']);
    expect(states(report.settled)).toEqual({ a: 'ok', c: 'ok', b: 'ok', d: 'ok' });
    expect([...report.settled.keys()]).toEqual(['a', 'c', 'b', 'd']);
    expect(report).toMatchObject({ aborted: false, stopped: false });
  });

  test('a node released later is queued by its rank, not at the end', async () => {
    const g = graph({ a: [], x: ['a'], y: [], z: [] });
    const fake = new FakeRunner();
    const done = schedule(g, ['a', 'x', 'y', 'z'], options(), fake.run);
    await fake.waitStarted('a');
    fake.succeed('a'); // x becomes ready and goes before y and z
    await fake.waitStarted('x');
    for (const n of ['x', 'y', 'z']) {
      await fake.waitStarted(n);
      fake.succeed(n);
    }
    await done;
    expect(fake.started).toEqual(['a', 'x', 'y', 'z']);
  });

  test('upstream nodes that are not selected are not waited for', async () => {
    const g = graph({ a: [], b: ['a'] });
    const fake = new FakeRunner();
    const done = schedule(g, ['b'], options(), fake.run);
    await fake.waitStarted('b');
    fake.succeed('b');
    expect(states((await done).settled)).toEqual({ b: 'ok' });
  });

  test('-j caps the nodes running at once', async () => {
    const g = graph({ a: [], b: [], c: [], d: [], e: [] });
    const fake = new FakeRunner();
    const done = schedule(g, ['a', 'b', 'c', 'd', 'e'], options({ jobs: 2 }), fake.run);
    await fake.waitStarted('a', 'b');
    await fake.settle();
    expect(fake.started).toEqual(['a', 'b']);
    fake.succeed('b');
    await fake.waitStarted('c');
    await fake.settle();
    expect([...fake.running].sort()).toEqual(['a', 'c']);
    fake.succeed('a');
    fake.succeed('c');
    await fake.waitStarted('d', 'e');
    fake.succeed('d');
    fake.succeed('e');
    await done;
    expect(fake.maxRunning).toBe(2);
  });

  test('without -k a failure starts nothing new, awaits running nodes and skips its dependants', async () => {
    const g = graph({ a: [], b: [], c: ['a'], d: ['c'], e: [] });
    const fake = new FakeRunner();
    const seen: string[] = [];
    const done = schedule(g, ['a', 'b', 'c', 'd', 'e'], options({ jobs: 2, onSettled: (n, s) => seen.push(`${n}:${s.state}`) }), fake.run);
    await fake.waitStarted('a', 'b');
    fake.fail('a');
    await fake.settle();
    expect(fake.started).toEqual(['a', 'b']); // e is not started although a slot is free
    fake.succeed('b');
    const report = await done;
    expect(states(report.settled)).toEqual({ a: 'failed', b: 'ok', c: 'skipped(a)', d: 'skipped(a)', e: 'not-started' });
    expect(report.stopped).toBe(true);
    expect(seen).toEqual(['a:finished', 'c:skipped', 'd:skipped', 'b:finished']);
  });

  test('with -k everything that does not depend on the failure still runs', async () => {
    const g = graph({ a: [], c: ['a'], d: ['c', 'e'], e: [], f: ['e'] });
    const fake = new FakeRunner();
    const done = schedule(g, ['a', 'c', 'd', 'e', 'f'], options({ keepGoing: true }), fake.run);
    await fake.waitStarted('a');
    fake.fail('a');
    await fake.waitStarted('e');
    fake.succeed('e');
    await fake.waitStarted('f');
    fake.succeed('f');
    const report = await done;
    // d depends on e (ok) and on c (skipped because of a): skipped, with a as the cause.
    expect(states(report.settled)).toEqual({ a: 'failed', c: 'skipped(a)', d: 'skipped(a)', e: 'ok', f: 'ok' });
    expect(fake.started).toEqual(['a', 'e', 'f']);
    expect(report.stopped).toBe(false);
  });

  test('a node skipped by one failure is not skipped again by another', async () => {
    const g = graph({ a: [], b: [], c: ['a', 'b'] });
    const fake = new FakeRunner();
    const seen: string[] = [];
    const done = schedule(g, ['a', 'b', 'c'], options({ jobs: 2, keepGoing: true, onSettled: (n) => seen.push(n) }), fake.run);
    await fake.waitStarted('a', 'b');
    fake.fail('b');
    await fake.settle();
    fake.fail('a');
    const report = await done;
    expect(states(report.settled)).toMatchObject({ c: 'skipped(b)' });
    expect(seen).toEqual(['b', 'c', 'a']);
  });

  test('abort: nothing new starts, running nodes are awaited and reported', async () => {
    const g = graph({ a: [], b: [], c: ['a'], d: [] });
    const fake = new FakeRunner();
    const controller = new AbortController();
    const done = schedule(g, ['a', 'b', 'c', 'd'], options({ jobs: 2, signal: controller.signal }), fake.run);
    await fake.waitStarted('a', 'b');
    controller.abort();
    let finished = false;
    void done.then(() => (finished = true));
    await fake.settle();
    expect(finished).toBe(false); // still waits for a and b
    fake.succeed('a'); // c is now ready but must not start
    fake.fail('b');
    const report = await done;
    expect(fake.started).toEqual(['a', 'b']);
    expect(states(report.settled)).toEqual({ a: 'ok', b: 'failed', c: 'not-started', d: 'not-started' });
    expect(report.aborted).toBe(true);
  });

  test('an already aborted signal starts nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = new FakeRunner();
    const report = await schedule(graph({ a: [] }), ['a'], options({ signal: controller.signal }), fake.run);
    expect(fake.started).toEqual([]);
    expect(states(report.settled)).toEqual({ a: 'not-started' });
  });

  test('a runStage that throws is kept as the error and stops new starts even with -k', async () => {
    const g = graph({ a: [], b: [], c: ['a'], d: [] });
    const fake = new FakeRunner();
    const done = schedule(g, ['a', 'b', 'c', 'd'], options({ jobs: 2, keepGoing: true }), fake.run);
    await fake.waitStarted('a', 'b');
    const boom = new Error('ENXIO: no such device or address');
    fake.throw('a', boom);
    await fake.settle();
    expect(fake.started).toEqual(['a', 'b']);
    fake.succeed('b');
    const report = await done;
    expect(states(report.settled)).toEqual({ a: 'threw', b: 'ok', c: 'skipped(a)', d: 'not-started' });
    const a = report.settled.get('a');
    expect(a?.state === 'threw' && a.error).toBe(boom);
    expect(report.stopped).toBe(true);
  });

  test('a runStage that throws synchronously is reported the same way', async () => {
    const report = await schedule(graph({ a: [], b: ['a'] }), ['a', 'b'], options(), () => {
      throw new TypeError('bug');
    });
    expect(states(report.settled)).toEqual({ a: 'threw', b: 'skipped(a)' });
  });

  describe('resources', () => {
    const limits = (capacity: Record<string, number>, demand: Record<string, Record<string, number>>): ResourceLimits => ({
      capacity,
      demand: new Map(Object.entries(demand)),
    });

    test('nodes that together ask for more than there is never run at the same time', async () => {
      const g = graph({ a: [], b: [], c: [] });
      const fake = new FakeRunner();
      const resources = limits({ cpu: 4 }, { a: { cpu: 4 }, b: { cpu: 4 }, c: { cpu: 4 } });
      const done = schedule(g, ['a', 'b', 'c'], options({ jobs: 8, resources }), fake.run);
      for (const n of ['a', 'b', 'c']) {
        await fake.waitStarted(n);
        await fake.settle();
        expect([...fake.running]).toEqual([n]);
        fake.succeed(n);
      }
      await done;
      expect(fake.maxRunning).toBe(1);
    });

    test('a node that does not fit lets a later one that fits go first; nodes without resources only count against -j', async () => {
      const g = graph({ big: [], hog: [], small: [], free: [] });
      const fake = new FakeRunner();
      const resources = limits({ cpu: 4, gpu: 1 }, { hog: { cpu: 3 }, big: { cpu: 2, gpu: 1 }, small: { cpu: 1 } });
      const done = schedule(g, ['hog', 'big', 'small', 'free'], options({ jobs: 3, resources }), fake.run);
      await fake.waitStarted('hog', 'small', 'free');
      await fake.settle();
      expect(fake.started).toEqual(['hog', 'small', 'free']); // big (2 cpu) does not fit next to hog (3 of 4)
      fake.succeed('small');
      await fake.settle();
      expect(fake.started).not.toContain('big'); // 3 + 2 > 4 still
      fake.succeed('hog');
      await fake.waitStarted('big');
      fake.succeed('big');
      fake.succeed('free');
      await done;
    });

    test('fractional amounts add up without rounding errors', async () => {
      const g = graph({ a: [], b: [], c: [] });
      const fake = new FakeRunner();
      const resources = limits({ cpu: 0.3 }, { a: { cpu: 0.1 }, b: { cpu: 0.2 }, c: { cpu: 0.1 } });
      const done = schedule(g, ['a', 'b', 'c'], options({ jobs: 3, resources }), fake.run);
      await fake.waitStarted('a', 'b');
      await fake.settle();
      expect([...fake.running].sort()).toEqual(['a', 'b']);
      fake.succeed('a');
      await fake.waitStarted('c');
      fake.succeed('b');
      fake.succeed('c');
      await done;
    });

    test('a node asking for more than exists, or for an unknown resource, is refused before anything starts', () => {
      const fake = new FakeRunner();
      expect(() => schedule(graph({ a: [] }), ['a'], options({ resources: limits({ cpu: 2 }, { a: { cpu: 3 } }) }), fake.run)).toThrow(
        "'a' asks for 3 cpu, but there is 2",
      );
      expect(() => schedule(graph({ a: [] }), ['a'], options({ resources: limits({ cpu: 2 }, { a: { gpu: 1 } }) }), fake.run)).toThrow(
        "'a' asks for 1 gpu, but there is 0",
      );
      expect(fake.started).toEqual([]);
    });
  });

  test('nodes that wait on each other are an error, not a hang', async () => {
    await expect(schedule(graph({ a: ['b'], b: ['a'] }), ['a', 'b'], options(), new FakeRunner().run)).rejects.toThrow(
      'nodes wait on each other (a cycle?): a, b',
    );
  });

  test('jobs below 1 and duplicate nodes are refused', () => {
    const run = new FakeRunner().run;
    expect(() => schedule(graph({ a: [] }), ['a'], options({ jobs: 0 }), run)).toThrow('jobs must be at least 1');
    expect(() => schedule(graph({ a: [] }), ['a', 'a'], options(), run)).toThrow("'a' is selected twice");
  });

  test('an empty selection finishes at once', async () => {
    const report = await schedule(graph({}), [], options(), new FakeRunner().run);
    expect(report.settled.size).toBe(0);
  });
});
