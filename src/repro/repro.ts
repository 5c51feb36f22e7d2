/**
 * `mlp repro`: runs the stale stages of the selected part of the DAG, up to `jobs` at a time.
 * A stage's staleness is decided when all of its upstream stages have finished, so a rerun
 * upstream stage that produced identical outputs does not rerun its dependants. The lockfile is
 * rewritten after every stage that succeeds; a failed or interrupted stage leaves its previous
 * lock entry, and its previous outputs are restored from the cache when possible.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, PipelineError } from '../errors.js';
import { OutIndex, allOuts, buildDag, selectStages } from '../pipeline/dag.js';
import type { Stage } from '../pipeline/types.js';
import type { LockEntry } from '../lock/lockfile.js';
import type { Repo } from '../repo/repo.js';
import { removePath } from '../util/fs.js';
import { commitOutputs, lockEntryFor } from './commit.js';
import type { StaleReason } from './reasons.js';
import { lookupRun, runCacheKey, saveRun } from './run-cache.js';
import { prepareShim, runStage, type OutputSink } from './stage-runner.js';
import { checkStage } from './staleness.js';
import { pointerCandidates, resolveTargets } from './targets.js';

export interface ReproOptions {
  targets: string[];
  force: boolean;
  single: boolean;
  dry: boolean;
  jobs: number;
  keepGoing: boolean;
  runCache: boolean;
  signal: AbortSignal;
}

export type StageResult =
  | { status: 'up-to-date' }
  | { status: 'frozen' }
  | { status: 'would-run'; reasons: StaleReason[] }
  | { status: 'ran'; reasons: StaleReason[]; seconds: number }
  | { status: 'restored'; reasons: StaleReason[] }
  | { status: 'failed'; reasons: StaleReason[]; message: string; cmd?: string; exitCode?: number | null; signal?: string | null }
  | { status: 'skipped'; upstream: string }
  | { status: 'not-run' }
  | { status: 'interrupted'; cmd?: string };

export interface ReproEvents {
  output: OutputSink;
  /** A stage is about to run (`restore`: its outputs come from the run-cache). */
  stageStarting?(stage: Stage, reasons: StaleReason[], how: 'run' | 'restore'): void;
  stageFinished?(stage: Stage, result: StageResult): void;
}

export interface ReproSummary {
  /** Every selected stage, in run order. */
  results: Map<string, StageResult>;
  interrupted: boolean;
  failed: string[];
}

export function checkMissingDeps(repo: Repo, stages: readonly Stage[]): void {
  const outs = new OutIndex(allOuts(repo.pipeline));
  for (const stage of stages) {
    for (const dep of stage.deps) {
      if (outs.producersOf(dep).length > 0 || fs.existsSync(path.join(repo.root, dep))) continue;
      const pointers = pointerCandidates(repo.root, dep);
      if (pointers.length > 0) {
        throw new MlpError(`stage '${stage.name}' depends on ${dep}, tracked by ${pointers[0]} but not in the workspace`, {
          hint: 'run `mlp checkout` (or `mlp pull` if the data is only on a remote)',
        });
      }
      throw new PipelineError(`stage '${stage.name}' depends on ${dep}, which does not exist and no stage produces it`, stage.location, {
        hint: `create ${dep}, fix the path in deps, or add a stage that outputs it`,
      });
    }
  }
}

export async function repro(repo: Repo, options: ReproOptions, events: ReproEvents): Promise<ReproSummary> {
  const pipeline = repo.pipeline;
  const dag = buildDag(pipeline);
  const selected = selectStages(dag, resolveTargets(pipeline, options.targets), options.single);
  const selectedSet = new Set(selected);
  const stages = selected.map((n) => pipeline.stages.get(n) as Stage);
  if (!options.dry) {
    checkMissingDeps(repo, stages);
    pruneLock(repo);
  }
  const shimDir = options.dry ? '' : prepareShim(repo.tmpDir);

  const results = new Map<string, StageResult>(selected.map((n) => [n, { status: 'not-run' }]));
  const waitingOn = new Map(selected.map((n) => [n, [...(dag.upstream.get(n) ?? [])].filter((u) => selectedSet.has(u)).length]));
  const willChange = new Set<string>(); // dry run: stages that would run
  const ready = selected.filter((n) => waitingOn.get(n) === 0);
  let running = 0;
  let stopped = false;
  const failed: string[] = [];

  const finish = (name: string, result: StageResult): void => {
    results.set(name, result);
    const stage = pipeline.stages.get(name) as Stage;
    events.stageFinished?.(stage, result);
    const ok = result.status !== 'failed' && result.status !== 'skipped' && result.status !== 'interrupted' && result.status !== 'not-run';
    if (result.status === 'failed') failed.push(name);
    for (const down of dag.downstream.get(name) ?? []) {
      if (!selectedSet.has(down)) continue;
      if (ok) {
        const left = (waitingOn.get(down) ?? 0) - 1;
        waitingOn.set(down, left);
        if (left === 0) insertInOrder(ready, down, selected);
      } else if (results.get(down)?.status === 'not-run' && result.status !== 'not-run') {
        finish(down, { status: 'skipped', upstream: result.status === 'skipped' ? result.upstream : name });
      }
    }
  };

  const processStage = async (stage: Stage): Promise<StageResult> => {
    if (stage.frozen) return { status: 'frozen' };
    const entry = repo.lock.get(stage.name);
    const check = checkStage(repo, stage, entry);
    const reasons = [...check.reasons];
    if (options.force && !reasons.length) reasons.push({ kind: 'forced' });
    if (options.dry) {
      for (const up of dag.upstream.get(stage.name) ?? []) if (willChange.has(up)) reasons.push({ kind: 'upstream-stale', stage: up });
      if (reasons.length === 0) return { status: 'up-to-date' };
      willChange.add(stage.name);
      return { status: 'would-run', reasons };
    }
    if (reasons.length === 0) return { status: 'up-to-date' };
    const missing = reasons.find((r) => r.kind === 'dep-missing');
    if (missing && missing.kind === 'dep-missing') {
      return { status: 'failed', reasons, message: `dep ${missing.path} is missing (run its producing stage first, or drop -s)` };
    }

    const key = runCacheKey(stage, check);
    if (options.runCache && !options.force && !stage.alwaysChanged) {
      const outs = lookupRun(repo, key);
      if (outs) {
        events.stageStarting?.(stage, reasons, 'restore');
        for (const out of outs) {
          repo.cache.checkout(out.path, out);
          if (stage.outs.find((o) => o.path === out.path)?.cache) repo.gitignore.ignore(out.path);
        }
        repo.lock.set(stage.name, lockEntryFor(stage, check, outs));
        repo.lock.save();
        return { status: 'restored', reasons };
      }
    }

    events.stageStarting?.(stage, reasons, 'run');
    for (const out of stage.outs) {
      const abs = path.join(repo.root, out.path);
      if (out.persist) repo.cache.unprotect(out.path);
      else removePath(abs);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
    }
    const started = performance.now();
    const outcome = await runStage(repo.root, stage, shimDir, events.output, options.signal, repo.stageGroups);
    if (!outcome.ok) {
      restorePrevious(repo, stage, entry);
      if (outcome.interrupted) return { status: 'interrupted', cmd: outcome.cmd };
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
      return { status: 'failed', reasons, message: `command ${how}: ${outcome.cmd}`, cmd: outcome.cmd, exitCode: outcome.exitCode, signal: outcome.signal };
    }
    const outs = await commitOutputs(repo, stage);
    repo.lock.set(stage.name, lockEntryFor(stage, check, outs));
    repo.lock.save();
    saveRun(repo, key, outs);
    return { status: 'ran', reasons, seconds: (performance.now() - started) / 1000 };
  };

  await new Promise<void>((resolve) => {
    const runOne = async (stage: Stage): Promise<void> => {
      // Yield first so a long synchronous check does not run inside another stage's callback.
      await Promise.resolve();
      let result: StageResult;
      let unexpected = false;
      try {
        result = await processStage(stage);
      } catch (error) {
        unexpected = !(error instanceof MlpError);
        if (!unexpected) restorePrevious(repo, stage, repo.lock.get(stage.name));
        const message = error instanceof MlpError ? error.message + (error.hint ? ` (${error.hint})` : '') : String((error as Error).message ?? error);
        result = { status: 'failed', reasons: [], message };
      }
      running--;
      finish(stage.name, result);
      if (unexpected || (result.status === 'failed' && !options.keepGoing)) stopped = true;
      pump();
    };
    const pump = (): void => {
      while (!stopped && !options.signal.aborted && running < options.jobs && ready.length > 0) {
        const name = ready.shift() as string;
        const stage = pipeline.stages.get(name) as Stage;
        running++;
        void runOne(stage);
      }
      if (running === 0 && (ready.length === 0 || stopped || options.signal.aborted)) resolve();
    };
    options.signal.addEventListener('abort', () => pump(), { once: true });
    pump();
  });

  return { results, interrupted: options.signal.aborted, failed };
}

/** Drops lock entries of stages that are no longer in the pipeline. */
function pruneLock(repo: Repo): void {
  const gone = repo.lock.names().filter((name) => !repo.pipeline.stages.has(name));
  for (const name of gone) repo.lock.delete(name);
  if (gone.length > 0) repo.lock.save();
}

/** Puts `name` into `ready` keeping the pipeline's run order. */
function insertInOrder(ready: string[], name: string, order: readonly string[]): void {
  const rank = order.indexOf(name);
  const at = ready.findIndex((n) => order.indexOf(n) > rank);
  if (at === -1) ready.push(name);
  else ready.splice(at, 0, name);
}

/** After a failure, puts back the outputs the lock entry records, when the cache has them. */
function restorePrevious(repo: Repo, stage: Stage, entry: LockEntry | undefined): void {
  if (!entry) return;
  const declared = new Set(stage.outs.map((o) => o.path));
  for (const out of entry.outs) {
    if (!declared.has(out.path)) continue;
    try {
      if (repo.cache.isComplete(out)) repo.cache.checkout(out.path, out);
    } catch {
      // Best effort: status will report the output as modified.
    }
  }
}
