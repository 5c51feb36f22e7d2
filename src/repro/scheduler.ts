/**
 * A pure DAG scheduler: it starts nodes whose upstream nodes have all succeeded, at most `jobs`
 * at a time and never more of a resource than there is, in the order of `selected` among the
 * nodes that are ready. It knows nothing of stages, the lock or the cache: `runStage` does the
 * work and says whether it succeeded. Policy:
 *
 * - A node that does not succeed (or whose `runStage` throws) has every selected node downstream
 *   of it skipped, naming it as the cause.
 * - After a failure no new node starts unless `keepGoing`; nodes already running are awaited.
 * - A `runStage` that throws is an internal failure: the error is kept for the report, and no new
 *   node starts even with `keepGoing`, since the state it left behind is unknown (a bug, a full
 *   disk); nodes already running are awaited and reported.
 * - Once `signal` aborts no new node starts; running ones are awaited (`runStage` is expected to
 *   stop them on the same signal) and their results reported.
 * - With `resources`, a node starts only when what it asks for fits in what is left; a ready node
 *   that does not fit lets later ready nodes that do fit start first. Since every demand must fit
 *   in the capacity on its own (checked up front), the first ready node always starts once
 *   nothing runs: the schedule cannot hang.
 */

/** The edges the scheduler follows; `Dag` from pipeline/dag.ts is one. */
export interface ScheduleGraph {
  upstream: ReadonlyMap<string, ReadonlySet<string>>;
  downstream: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Amounts per resource name (e.g. `{cpu: 2, memory: 8e9, gpu: 1}`). */
export type ResourceAmounts = Readonly<Record<string, number>>;

export interface ResourceLimits {
  /** How much of each resource exists. */
  capacity: ResourceAmounts;
  /** What each node holds while it runs; a node not listed holds nothing (only `jobs` limits it). */
  demand: ReadonlyMap<string, ResourceAmounts>;
}

export interface ScheduleOptions<R> {
  /** Most nodes running at once (≥ 1). */
  jobs: number;
  keepGoing: boolean;
  signal: AbortSignal;
  resources?: ResourceLimits;
  /** Called as each node finishes, throws or is skipped (not for nodes that never started). */
  onSettled?: (name: string, settled: Settled<R>) => void;
}

/** What `runStage` reports: whether dependants may run, and the caller's own result. */
export interface StageRun<R> {
  ok: boolean;
  result: R;
}

export type Settled<R> =
  | { state: 'finished'; ok: boolean; result: R }
  | { state: 'threw'; error: unknown }
  /** `upstream`: the node whose failure caused the skip (the root cause, not the nearest one). */
  | { state: 'skipped'; upstream: string }
  | { state: 'not-started' };

export interface ScheduleReport<R> {
  /** Every selected node, in `selected` order. */
  settled: Map<string, Settled<R>>;
  /** `signal` aborted before the schedule ended. */
  aborted: boolean;
  /** A failure (without `keepGoing`) or a throw stopped new nodes from starting. */
  stopped: boolean;
}

/** Slack for sums of fractional amounts (0.1 + 0.2 cpus). */
const EPSILON = 1e-9;

export function schedule<R>(
  graph: ScheduleGraph,
  selected: readonly string[],
  options: ScheduleOptions<R>,
  runStage: (name: string) => Promise<StageRun<R>>,
): Promise<ScheduleReport<R>> {
  const { jobs, keepGoing, signal, resources } = options;
  if (!(jobs >= 1)) throw new RangeError(`schedule: jobs must be at least 1, got ${jobs}`);
  const rank = new Map<string, number>();
  selected.forEach((name, i) => {
    if (rank.has(name)) throw new RangeError(`schedule: '${name}' is selected twice`);
    rank.set(name, i);
  });
  if (resources) checkDemands(resources);

  const settled = new Map<string, Settled<R>>();
  const waitingOn = new Map<string, number>();
  for (const name of selected) {
    let n = 0;
    for (const up of graph.upstream.get(name) ?? []) if (rank.has(up)) n++;
    waitingOn.set(name, n);
  }
  const ready = selected.filter((name) => waitingOn.get(name) === 0);
  const inUse = new Map<string, number>();
  let running = 0;
  let stopped = false;
  let listenerError: { error: unknown } | undefined;

  return new Promise<ScheduleReport<R>>((resolve, reject) => {
    let done = false;

    const settle = (name: string, outcome: Settled<R>): void => {
      settled.set(name, outcome);
      try {
        options.onSettled?.(name, outcome);
      } catch (error) {
        // A broken listener must not leave the schedule hanging: stop and report it at the end.
        listenerError ??= { error };
        stopped = true;
      }
    };

    const fits = (name: string): boolean => {
      const demand = resources?.demand.get(name);
      if (!demand) return true;
      return Object.entries(demand).every(([resource, amount]) => (inUse.get(resource) ?? 0) + amount <= (resources?.capacity[resource] ?? 0) + EPSILON);
    };

    const hold = (name: string, sign: 1 | -1): void => {
      const demand = resources?.demand.get(name);
      if (!demand) return;
      for (const [resource, amount] of Object.entries(demand)) inUse.set(resource, (inUse.get(resource) ?? 0) + sign * amount);
    };

    const enqueue = (name: string): void => {
      const r = rank.get(name) as number;
      let lo = 0;
      let hi = ready.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((rank.get(ready[mid] as string) as number) < r) lo = mid + 1;
        else hi = mid;
      }
      ready.splice(lo, 0, name);
    };

    /** Skips every selected node downstream of `failed` that has not settled, in `selected` order. */
    const skipDependants = (failed: string): void => {
      const found = new Set<string>();
      const stack = [failed];
      while (stack.length > 0) {
        for (const down of graph.downstream.get(stack.pop() as string) ?? []) {
          if (!rank.has(down) || found.has(down) || settled.has(down)) continue;
          found.add(down);
          stack.push(down);
        }
      }
      for (const name of [...found].sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number))) {
        settle(name, { state: 'skipped', upstream: failed });
      }
    };

    const runOne = async (name: string): Promise<void> => {
      let outcome: Settled<R>;
      try {
        // Start in a later microtask: a long synchronous start of one node must not delay the
        // others `pump` starts in the same turn, and a synchronous throw is caught here.
        await Promise.resolve();
        const run = await runStage(name);
        outcome = { state: 'finished', ok: run.ok, result: run.result };
      } catch (error) {
        outcome = { state: 'threw', error };
      }
      running--;
      hold(name, -1);
      settle(name, outcome);
      if (outcome.state === 'finished' && outcome.ok) {
        for (const down of graph.downstream.get(name) ?? []) {
          if (!rank.has(down) || settled.has(down)) continue;
          const left = (waitingOn.get(down) as number) - 1;
          waitingOn.set(down, left);
          if (left === 0) enqueue(down);
        }
      } else {
        skipDependants(name);
        if (outcome.state === 'threw' || !keepGoing) stopped = true;
      }
      pump();
    };

    const finish = (): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', pump);
      if (listenerError) {
        reject(listenerError.error);
        return;
      }
      const ordered = new Map<string, Settled<R>>();
      for (const name of selected) ordered.set(name, settled.get(name) ?? { state: 'not-started' });
      resolve({ settled: ordered, aborted: signal.aborted, stopped });
    };

    function pump(): void {
      if (done) return;
      if (!stopped && !signal.aborted) {
        for (let i = 0; i < ready.length && running < jobs; ) {
          const name = ready[i] as string;
          if (settled.has(name) || !fits(name)) {
            if (settled.has(name)) ready.splice(i, 1);
            else i++;
            continue;
          }
          ready.splice(i, 1);
          hold(name, 1);
          running++;
          void runOne(name);
        }
      }
      if (running > 0) return;
      if (!stopped && !signal.aborted && settled.size < selected.length) {
        // Nothing runs, nothing is ready, yet nodes are waiting: they wait on each other.
        const waiting = selected.filter((name) => !settled.has(name));
        done = true;
        signal.removeEventListener('abort', pump);
        reject(new Error(`schedule: nodes wait on each other (a cycle?): ${waiting.join(', ')}`));
        return;
      }
      finish();
    }

    signal.addEventListener('abort', pump);
    pump();
  });
}

function checkDemands(resources: ResourceLimits): void {
  for (const [name, demand] of resources.demand) {
    for (const [resource, amount] of Object.entries(demand)) {
      if (!(amount >= 0)) throw new RangeError(`schedule: '${name}' asks for ${amount} ${resource}`);
      const capacity = resources.capacity[resource];
      // A demand that can never be met would wait forever: refuse it before starting anything.
      if (capacity === undefined || amount > capacity + EPSILON) {
        throw new RangeError(`schedule: '${name}' asks for ${amount} ${resource}, but there is ${capacity ?? 0}`);
      }
    }
  }
}
