/**
 * Where a stage's commands run. `mlp repro` decides what to run and records the results; an
 * executor only runs the commands of one stage in the workspace and says how that went. The local
 * executor runs them here; a cluster executor (Slurm) or `exp run` supply their own.
 */
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
  | { ok: false; kind: 'interrupted'; cmd: string };

export interface Executor {
  run(job: StageJob): Promise<ExecutionOutcome>;
}
