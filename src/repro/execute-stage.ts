/**
 * One stage of `mlp repro`, once its upstream stages are done: decide whether it is stale, restore
 * its outputs from the run-cache if this exact run was seen before, otherwise prepare its outputs,
 * run its commands through the executor, store the outputs in the cache and record the stage in
 * the lock. A failure leaves the previous lock entry and puts the previous outputs back.
 *
 * Known failures come back as a `failed` result with a typed reason; anything unexpected is
 * thrown, so that the scheduler stops the run and the UI shows it as an internal error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, fileSystemError } from '../errors.js';
import type { Executor, OutputSink } from '../executors/executor.js';
import type { LockEntry, LockedPath } from '../lock/lockfile.js';
import { OutIndex, allOuts, type Dag } from '../pipeline/dag.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { checkedInside } from '../schema/repo-path.js';
import { removePath } from '../util/fs.js';
import { OutputMissingError, commitOutputs, lockEntryFor } from './commit.js';
import type { StageFailure } from './failure.js';
import type { StaleReason } from './reasons.js';
import { saveUnsavedOutputs } from './output-safety.js';
import { lookupRun, saveRun } from './run-cache.js';
import { checkStage, type StageCheck } from './staleness.js';

export type StageResult =
  | { status: 'up-to-date' }
  | { status: 'frozen' }
  | { status: 'would-run'; reasons: StaleReason[] }
  | { status: 'ran'; reasons: StaleReason[]; seconds: number }
  | { status: 'restored'; reasons: StaleReason[] }
  | { status: 'failed'; reasons: StaleReason[]; failure: StageFailure }
  | { status: 'skipped'; upstream: string }
  | { status: 'not-run' }
  | { status: 'interrupted'; cmd?: string };

/** Whether the stages that depend on a stage with this result may run. */
export function succeeded(result: StageResult): boolean {
  return result.status !== 'failed' && result.status !== 'interrupted' && result.status !== 'skipped' && result.status !== 'not-run';
}

/**
 * Told about each stage whose commands run (tracking: src/tracking/session.ts). It lives here,
 * at the seam where a stage starts and ends, so that the scheduler knows nothing of it.
 */
export interface StageObserver {
  /** The commands are about to run; returns extra environment for them. */
  stageStarted(stage: Stage): Record<string, string> | undefined;
  /** They ended; an error makes the stage fail (a required tracking server that is unreachable). */
  stageFinished(stage: Stage, outcome: 'ran' | 'failed' | 'interrupted'): Promise<MlpError | undefined>;
}

export interface StageContext {
  repo: Repo;
  dag: Dag;
  /** Runs the commands; unused on a dry run. */
  executor: Executor;
  output: OutputSink;
  signal: AbortSignal;
  force: boolean;
  dry: boolean;
  runCache: boolean;
  /** A stage is about to run (`restore`: its outputs come from the run-cache). */
  stageStarting?(stage: Stage, reasons: StaleReason[], how: 'run' | 'restore'): void;
  /** A problem that does not make the stage fail (the run-cache entry could not be saved). */
  warning?(stage: Stage, message: string): void;
  /** Dry run: the stages found stale so far, so that their dependants say why they would run. */
  wouldRun: Set<string>;
  observer?: StageObserver;
}

export async function executeStage(ctx: StageContext, stage: Stage): Promise<StageResult> {
  if (stage.frozen) return { status: 'frozen' };
  const { repo } = ctx;
  const entry = repo.lock.get(stage.name);
  let reasons: StaleReason[] = [];
  // Previous outputs are put back after a failure only once this run has changed them.
  let touched = false;
  try {
    const check = checkStage(repo, stage, entry, ctx.dry ? 'report' : 'throw');
    reasons = [...check.reasons];
    if (ctx.force && reasons.length === 0) reasons.push({ kind: 'forced' });
    if (ctx.dry) return dryRun(ctx, stage, reasons);
    if (reasons.length === 0) return { status: 'up-to-date' };
    const missing = reasons.find((r) => r.kind === 'dep-missing');
    if (missing?.kind === 'dep-missing') {
      return { status: 'failed', reasons, failure: { kind: 'dep-missing', path: missing.path, producer: producerOf(repo, missing.path) } };
    }

    await saveUnsavedOutputs(repo, stage, entry, ctx.output); // nothing unsaved is deleted or overwritten below
    if (ctx.runCache && !ctx.force) {
      const outs = lookupRun(repo, stage, check);
      if (outs) {
        ctx.stageStarting?.(stage, reasons, 'restore');
        touched = true;
        for (const out of outs) {
          // Outputs git tracks are restored as private copies, as DVC does: like a file from git.
          const cached = stage.outs.find((o) => o.path === out.path)?.cache !== false;
          repo.workspace.checkout(out.path, out, undefined, false, cached ? undefined : 'copy');
          if (cached) repo.gitignore.ignore(out.path);
        }
        recordRun(repo, stage, check, outs);
        return { status: 'restored', reasons };
      }
    }

    ctx.stageStarting?.(stage, reasons, 'run');
    touched = true;
    prepareOutputs(repo, stage);
    const started = performance.now();
    const env = ctx.observer?.stageStarted(stage);
    let outcome = await ctx.executor.run({ root: repo.root, stage, output: ctx.output, signal: ctx.signal, env });
    // A job the cluster ended (its node failed, it was preempted or hit its time limit) is
    // resubmitted `retries:` times, from clean outputs as the first time.
    for (let attempt = 1; !outcome.ok && outcome.kind === 'job-lost' && outcome.retryable && attempt <= (stage.retries ?? 0) && !ctx.signal.aborted; attempt++) {
      ctx.warning?.(stage, `Slurm job ${outcome.jobId} ${outcome.description}; resubmitting (retry ${attempt} of ${stage.retries})`);
      prepareOutputs(repo, stage);
      outcome = await ctx.executor.run({ root: repo.root, stage, output: ctx.output, signal: ctx.signal, env });
    }
    if (!outcome.ok) {
      restorePrevious(repo, stage, entry);
      switch (outcome.kind) {
        case 'interrupted':
          return { status: 'interrupted', cmd: outcome.cmd };
        case 'exit-non-zero':
          return { status: 'failed', reasons, failure: { kind: 'exit-non-zero', cmd: outcome.cmd, exitCode: outcome.exitCode, signal: outcome.signal } };
        case 'spawn-failed': {
          const wdirMissing = !fs.existsSync(path.join(repo.root, stage.wdir));
          return { status: 'failed', reasons, failure: { kind: 'spawn-failed', cmd: outcome.cmd, wdir: stage.wdir, wdirMissing, error: outcome.error } };
        }
        case 'job-lost':
          return {
            status: 'failed',
            reasons,
            failure: { kind: 'job-lost', jobId: outcome.jobId, state: outcome.state, description: outcome.description, retryable: outcome.retryable, retries: stage.retries ?? 0 },
          };
        case 'error':
          return { status: 'failed', reasons, failure: { kind: 'error', error: outcome.error } };
      }
    }
    const outs = await commitOutputs(repo, stage);
    recordRun(repo, stage, check, outs);
    // The lock is the truth: a run-cache entry that cannot be written costs a warning, not the stage.
    const warning = saveRun(repo, stage, check, outs);
    if (warning) ctx.warning?.(stage, warning);
    return { status: 'ran', reasons, seconds: (performance.now() - started) / 1000 };
  } catch (thrown) {
    // A file-system failure (a full disk, a permission) is a known problem with a path and a
    // hint, not an internal error.
    const error = thrown instanceof MlpError ? thrown : fileSystemError(thrown);
    if (!error) throw thrown;
    if (touched) restorePrevious(repo, stage, entry);
    const failure: StageFailure = error instanceof OutputMissingError ? { kind: 'output-missing', path: error.path } : { kind: 'error', error };
    return { status: 'failed', reasons, failure };
  }
}

/**
 * Before a stage runs, its outputs are removed (so a stale file can never pass for a new one)
 * and their parent directories created; `persist` outputs are kept, made writable.
 */
export function prepareOutputs(repo: Repo, stage: Stage): void {
  for (const out of stage.outs) {
    const abs = checkedInside(repo.root, out.path); // checked again: a stage may have made a symlink
    if (out.persist) repo.workspace.unprotect(out.path);
    else removePath(abs);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
  }
}

/**
 * The lock entry is recorded at once, durably and in O(1) (a line in the lock journal): a later
 * interruption, even a kill -9, keeps this stage's work.
 */
function recordRun(repo: Repo, stage: Stage, check: StageCheck, outs: LockedPath[]): void {
  repo.lock.record(stage.name, lockEntryFor(stage, check, outs));
}

function dryRun(ctx: StageContext, stage: Stage, reasons: StaleReason[]): StageResult {
  for (const up of ctx.dag.upstream.get(stage.name) ?? []) if (ctx.wouldRun.has(up)) reasons.push({ kind: 'upstream-stale', stage: up });
  if (reasons.length === 0) return { status: 'up-to-date' };
  ctx.wouldRun.add(stage.name);
  return { status: 'would-run', reasons };
}

function producerOf(repo: Repo, dep: string): string | undefined {
  return new OutIndex(allOuts(repo.pipeline)).producersOf(dep)[0]?.stage;
}

/** After a failure, puts back the outputs the lock entry records, when the cache has them. */
function restorePrevious(repo: Repo, stage: Stage, entry: LockEntry | undefined): void {
  if (!entry) return;
  const declared = new Set(stage.outs.map((o) => o.path));
  for (const out of entry.outs) {
    if (!declared.has(out.path)) continue;
    try {
      if (repo.workspace.isComplete(out)) repo.workspace.checkout(out.path, out, undefined, true); // replaces what the failed run wrote
    } catch {
      // Best effort: status will report the output as modified.
    }
  }
}
