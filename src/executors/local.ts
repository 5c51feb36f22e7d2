/** The local executor: a stage's commands run on this machine through the stage runner. */
import { prepareShim, runStage, type RunStageOptions } from '../repro/stage-runner.js';
import type { ExecutionOutcome, Executor, StageJob } from './executor.js';

export interface LocalExecutorOptions {
  /** The repository's scratch directory, where the `mlp` shim for stage commands is written. */
  tmpDir: string;
  /** Called with the pid (= process-group id) of each command as it starts. */
  onSpawn?: RunStageOptions['onSpawn'];
  /** Where the process groups of running commands are recorded (the repository lock). */
  groups?: RunStageOptions['groups'];
}

export class LocalExecutor implements Executor {
  private shimDir: string | undefined;

  constructor(private readonly options: LocalExecutorOptions) {}

  run(job: StageJob): Promise<ExecutionOutcome> {
    this.shimDir ??= prepareShim(this.options.tmpDir);
    return runStage(job.root, job.stage, { shimDir: this.shimDir, output: job.output, signal: job.signal, env: job.env, onSpawn: this.options.onSpawn, groups: this.options.groups });
  }
}
