/**
 * The stage graph: stage B depends on stage A when one of B's deps is one of A's outs, lies
 * inside it, or contains it (a dep on a directory that holds another stage's output).
 */
import { PipelineError } from '../errors.js';
import type { Pipeline, Stage } from './types.js';

export interface Dag {
  /** stage → the stages it depends on. */
  upstream: Map<string, Set<string>>;
  /** stage → the stages that depend on it. */
  downstream: Map<string, Set<string>>;
  /** All stages, dependencies before dependants, ties in declaration order. */
  order: string[];
}

export interface OutOwner {
  stage: string;
  path: string;
}

/**
 * Finds the outputs that a path equals, lies inside, or contains, in time proportional to the
 * path's depth rather than to the number of outputs.
 */
export class OutIndex {
  private readonly byPath = new Map<string, OutOwner>();
  private readonly byAncestor = new Map<string, OutOwner[]>();

  constructor(outs: readonly OutOwner[]) {
    for (const out of outs) {
      this.byPath.set(out.path, out);
      const parts = out.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const ancestor = parts.slice(0, i).join('/');
        const list = this.byAncestor.get(ancestor) ?? [];
        list.push(out);
        this.byAncestor.set(ancestor, list);
      }
    }
  }

  /** Producers of `dep`: outputs equal to it, containing it, or inside it. */
  producersOf(dep: string): OutOwner[] {
    const found: OutOwner[] = [];
    const parts = dep.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const owner = this.byPath.get(parts.slice(0, i).join('/'));
      if (owner) found.push(owner);
    }
    for (const inside of this.byAncestor.get(dep) ?? []) found.push(inside);
    return found;
  }
}

export function allOuts(pipeline: Pipeline): OutOwner[] {
  return [...pipeline.stages.values()].flatMap((s) => s.outs.map((o) => ({ stage: s.name, path: o.path })));
}

export function buildDag(pipeline: Pipeline): Dag {
  const outs = new OutIndex(allOuts(pipeline));
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  for (const name of pipeline.stages.keys()) {
    upstream.set(name, new Set());
    downstream.set(name, new Set());
  }
  for (const stage of pipeline.stages.values()) {
    for (const dep of stage.deps) {
      for (const producer of outs.producersOf(dep)) {
        if (producer.stage === stage.name) {
          throw new PipelineError(
            `stage '${stage.name}' depends on its own output '${producer.path}' (cycle: ${stage.name} -> ${stage.name})`,
            stage.location,
            { hint: 'a stage cannot read what it writes; mark the output `persist: true` and drop the dep, or split the stage' },
          );
        }
        upstream.get(stage.name)?.add(producer.stage);
        downstream.get(producer.stage)?.add(stage.name);
      }
    }
  }
  return { upstream, downstream, order: topologicalOrder(pipeline, upstream) };
}

function topologicalOrder(pipeline: Pipeline, upstream: Map<string, Set<string>>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const stage = pipeline.stages.get(name) as Stage;
      throw new PipelineError(`stages form a cycle: ${cycle.join(' -> ')}`, stage.location, {
        hint: 'each stage must only depend on outputs of stages that come before it',
      });
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const up of upstream.get(name) ?? []) visit(up);
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of pipeline.stages.keys()) visit(name);
  return order;
}

/** `targets` plus everything they depend on (or only `targets` with `single`), in run order. */
export function selectStages(dag: Dag, targets: readonly string[], single: boolean): string[] {
  if (targets.length === 0) return dag.order;
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    if (!single) for (const up of dag.upstream.get(name) ?? []) add(up);
  };
  for (const t of targets) add(t);
  return dag.order.filter((n) => wanted.has(n));
}

/** `targets` and every stage that depends on them, directly or not, in run order (`repro --downstream`). */
export function selectDownstream(dag: Dag, targets: readonly string[]): string[] {
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const down of dag.downstream.get(name) ?? []) add(down);
  };
  for (const t of targets) add(t);
  return dag.order.filter((n) => wanted.has(n));
}

/** The part of `dag` made of `names` (edges between them only), for `mlp dag <target>`. */
export function subDag(dag: Dag, names: Iterable<string>): Dag {
  const keep = new Set(names);
  const restrict = (m: Map<string, Set<string>>): Map<string, Set<string>> =>
    new Map([...m].filter(([n]) => keep.has(n)).map(([n, s]) => [n, new Set([...s].filter((x) => keep.has(x)))]));
  return { upstream: restrict(dag.upstream), downstream: restrict(dag.downstream), order: dag.order.filter((n) => keep.has(n)) };
}

/** Every stage connected to `targets` through dependencies either way (`mlp dag --full <target>`). */
export function connectedStages(dag: Dag, targets: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const n of dag.upstream.get(name) ?? []) visit(n);
    for (const n of dag.downstream.get(name) ?? []) visit(n);
  };
  for (const t of targets) visit(t);
  return dag.order.filter((n) => seen.has(n));
}

/**
 * The graph of outputs instead of stages (`mlp dag --outs`, as DVC's): an edge from output A to
 * output B when the stage that writes B reads A (or something inside or around A).
 */
export function outputsDag(pipeline: Pipeline, stages: readonly string[]): Dag {
  const index = new OutIndex(allOuts(pipeline));
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  const order: string[] = [];
  const selected = new Set(stages);
  for (const name of stages) {
    for (const out of pipeline.stages.get(name)?.outs ?? []) {
      order.push(out.path);
      upstream.set(out.path, new Set());
      downstream.set(out.path, new Set());
    }
  }
  for (const name of stages) {
    const stage = pipeline.stages.get(name);
    if (!stage) continue;
    for (const dep of stage.deps) {
      for (const producer of index.producersOf(dep)) {
        if (!selected.has(producer.stage)) continue;
        for (const out of stage.outs) {
          upstream.get(out.path)?.add(producer.path);
          downstream.get(producer.path)?.add(out.path);
        }
      }
    }
  }
  return { upstream, downstream, order };
}
