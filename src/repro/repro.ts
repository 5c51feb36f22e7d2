/**
 * `mlp repro`: plan (select the stages, check deps and resources, prune the lock), then let the
 * scheduler run each stage through `executeStage`, up to `jobs` at a time. A stage's staleness is
 * decided when all of its upstream stages have finished, so a rerun upstream stage that produced
 * identical outputs does not rerun its dependants. Every stage that succeeds is recorded in the
 * lock at once (durably: see src/lock/lock-journal.ts); a failed or interrupted stage leaves its
 * previous lock entry, and its previous outputs are restored from the cache when possible.
 */
import type { Executor, OutputSink } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local.js';
import { parseSlurmOptions } from '../executors/slurm/options.js';
import { SlurmExecutor } from '../executors/slurm/slurm-executor.js';
import type { ExecutorName, Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { executeStage, succeeded, type StageContext, type StageObserver, type StageResult } from './execute-stage.js';
import { planRepro } from './plan.js';
import type { StaleReason } from './reasons.js';
import { schedule, type Settled } from './scheduler.js';

export type { StageResult } from './execute-stage.js';
export type { StageFailure } from './failure.js';

export interface ReproOptions {
  targets: string[];
  force: boolean;
  single: boolean;
  /** `--downstream`, `--glob`, `-R`, `-P`: how targets select stages (src/pipeline/targets.ts). */
  downstream?: boolean;
  glob?: boolean;
  recursive?: boolean;
  allPipelines?: boolean;
  dry: boolean;
  jobs: number;
  keepGoing: boolean;
  runCache: boolean;
  signal: AbortSignal;
  /** Runs every stage's commands (exp run's own); otherwise each stage's executor is chosen by name. */
  executor?: Executor;
  /** `--executor`: where every selected stage runs, whatever the stage or the config say. */
  executorName?: ExecutorName;
  /** Told when each stage's commands start and end (tracking). */
  observer?: StageObserver;
}

export interface ReproEvents {
  output: OutputSink;
  /** The stages selected, before any starts (a progress display counts them). */
  planned?(stages: readonly string[]): void;
  /** A stage is about to run (`restore`: its outputs come from the run-cache). */
  stageStarting?(stage: Stage, reasons: StaleReason[], how: 'run' | 'restore'): void;
  stageFinished?(stage: Stage, result: StageResult): void;
  /** Something went wrong that does not make the stage fail (e.g. the run-cache could not be saved). */
  warning?(stage: Stage, message: string): void;
}

export interface ReproSummary {
  /** Every selected stage, in run order. */
  results: Map<string, StageResult>;
  interrupted: boolean;
  failed: string[];
}

/** Which executor runs a stage: `--executor`, else the stage's `executor:`, else the config's, else local. */
export function executorNameOf(repo: Repo, stage: Stage, override?: ExecutorName): ExecutorName {
  return override ?? stage.executor ?? repo.config.executor ?? 'local';
}

/** One executor of each kind the run needs, made when the first stage needs it. */
function routingExecutor(repo: Repo, options: ReproOptions): Executor {
  if (options.executor) return options.executor;
  const made = new Map<ExecutorName, Executor>();
  const make = (name: ExecutorName): Executor => {
    if (name === 'local') return new LocalExecutor({ tmpDir: repo.tmpDir, groups: repo.stageGroups });
    const defaults = repo.config.slurm ? parseSlurmOptions(repo.config.slurm) : undefined;
    const tracker = repo.clusterJobs;
    return new SlurmExecutor({ tmpDir: repo.tmpDir, tracker, lockFile: tracker?.path, defaults: defaults?.ok ? defaults.options : {} });
  };
  return {
    run(job) {
      const name = executorNameOf(repo, job.stage, options.executorName);
      let executor = made.get(name);
      if (!executor) made.set(name, (executor = make(name)));
      return executor.run(job);
    },
  };
}

export async function repro(repo: Repo, options: ReproOptions, events: ReproEvents): Promise<ReproSummary> {
  // Stages sent to a cluster take their resources from it, not from this machine.
  const runsHere = (stage: Stage): boolean => options.executor !== undefined || executorNameOf(repo, stage, options.executorName) === 'local';
  const plan = planRepro(repo, { ...options, runsHere });
  events.planned?.(plan.selected);
  const context: StageContext = {
    repo,
    dag: plan.dag,
    executor: routingExecutor(repo, options),
    output: events.output,
    signal: options.signal,
    force: options.force,
    dry: options.dry,
    runCache: options.runCache,
    stageStarting: events.stageStarting?.bind(events),
    warning: events.warning?.bind(events),
    wouldRun: new Set(),
    observer: options.observer,
  };
  const stageOf = (name: string): Stage => repo.pipeline.stages.get(name) as Stage;
  const failed: string[] = [];
  const settledResults = new Map<string, StageResult>();
  const report = await schedule<StageResult>(
    plan.dag,
    plan.selected,
    {
      jobs: options.jobs,
      keepGoing: options.keepGoing,
      signal: options.signal,
      resources: plan.resources,
      onSettled(name, settled) {
        const result = stageResult(settled);
        settledResults.set(name, result);
        if (result.status === 'failed') failed.push(name);
        events.stageFinished?.(stageOf(name), result);
      },
    },
    async (name) => {
      const result = await observed(context, stageOf(name));
      return { ok: succeeded(result), result };
    },
  );
  const results = new Map([...report.settled].map(([name, settled]) => [name, settledResults.get(name) ?? stageResult(settled)]));
  return { results, interrupted: report.aborted, failed };
}

/** Runs a stage and tells the observer how its commands ended (if they started). */
async function observed(context: StageContext, stage: Stage): Promise<StageResult> {
  const { observer } = context;
  if (!observer) return executeStage(context, stage);
  let result: StageResult;
  try {
    result = await executeStage(context, stage);
  } catch (error) {
    await observer.stageFinished(stage, 'failed');
    throw error;
  }
  if (result.status !== 'ran' && result.status !== 'failed' && result.status !== 'interrupted') return result;
  const error = await observer.stageFinished(stage, result.status);
  if (error && result.status === 'ran') return { status: 'failed', reasons: result.reasons, failure: { kind: 'error', error } };
  return result;
}

function stageResult(settled: Settled<StageResult>): StageResult {
  switch (settled.state) {
    case 'finished':
      return settled.result;
    case 'threw':
      return { status: 'failed', reasons: [], failure: { kind: 'internal', error: settled.error } };
    case 'skipped':
      return { status: 'skipped', upstream: settled.upstream };
    case 'not-started':
      return { status: 'not-run' };
  }
}
