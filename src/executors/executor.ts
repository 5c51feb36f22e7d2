/**
 * Where a stage's commands run. `mlp repro` decides what to run and records the results; an
 * executor only runs the commands of one stage in the workspace and says how that went. The local
 * executor runs them here; a cluster executor (Slurm) or `exp run` supply their own.
 */
import type { MlpError } from '../errors.js';
import type { Stage } from '../pipeline/types.js';

export type OutputMode = 'inherit' | 'prefix';

/** Where stage output goes: straight to the terminal, or line by line through `line`. */
export interface OutputSink {
  mode: OutputMode;
  line(stage: string, stream: 'stdout' | 'stderr', text: string): void;
}

export interface StageJob {
  /** Absolute repository root. */
  root: string;
  stage: Stage;
  output: OutputSink;
  /** Aborts on Ctrl-C / SIGTERM: stop the commands and everything they started. */
  signal: AbortSignal;
  /** Extra environment for the commands (tracking's live-metrics file). */
  env?: Readonly<Record<string, string>>;
}

export type ExecutionOutcome =
  | { ok: true }
  /** A command exited non-zero or was killed by a signal (not one of ours). */
  | { ok: false; kind: 'exit-non-zero'; cmd: string; exitCode: number | null; signal: NodeJS.Signals | null }
  /** The command could not be started at all (e.g. its working directory is missing). */
  | { ok: false; kind: 'spawn-failed'; cmd: string; error: Error }
  /** Stopped because `signal` aborted. */
  | { ok: false; kind: 'interrupted'; cmd: string }
  /**
   * A cluster job ended without the commands deciding it (node failure, preemption, time limit,
   * gone from the queue): `description` says how, in Slurm's words; `retryable` when resubmitting
   * may help (`retries:`).
   */
  | { ok: false; kind: 'job-lost'; cmd: string; jobId: string; state: string; description: string; retryable: boolean }
  /** The executor could not run the stage (the cluster refused the job, its tools are missing). */
  | { ok: false; kind: 'error'; cmd: string; error: MlpError };

/** A job on a cluster, as recorded in the repository lock so that the next mlp can cancel it after a crash. */
export interface ClusterJob {
  executor: 'slurm';
  id: string;
  /** The SLURM_CONF it was submitted with, if any: the cluster to cancel it on. */
  conf?: string;
}

/** Told about every cluster job while it is queued or running (the repository lock implements it). */
export interface ClusterJobTracker {
  /** The run's id (MLP_RUN_ID): jobs check it against the lock before they start. */
  readonly id: string;
  jobSubmitted(job: ClusterJob): void;
  jobEnded(job: ClusterJob): void;
}

export interface Executor {
  run(job: StageJob): Promise<ExecutionOutcome>;
}
