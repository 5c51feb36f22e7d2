/**
 * Why a stage failed, as data: the UI (src/ui/stage-failure.ts) turns it into words and advice,
 * so core code states facts and never CLI advice.
 */
import type { MlpError } from '../errors.js';

export type StageFailure =
  /** A command exited non-zero (`exitCode`) or was killed by a signal that was not ours (`signal`). */
  | { kind: 'exit-non-zero'; cmd: string; exitCode: number | null; signal: NodeJS.Signals | null }
  /** A command could not be started at all; `wdirMissing`: because its working directory is not there. */
  | { kind: 'spawn-failed'; cmd: string; wdir: string; wdirMissing: boolean; error: Error }
  /**
   * A cluster job ended without its commands deciding it (node failure, preemption, time limit),
   * after `retries` resubmissions; `description` is Slurm's account of it.
   */
  | { kind: 'job-lost'; jobId: string; state: string; description: string; retryable: boolean; retries: number }
  /** The commands succeeded but did not create a declared output. */
  | { kind: 'output-missing'; path: string }
  /** A dep is not in the workspace; `producer`: the stage that outputs it, if any. */
  | { kind: 'dep-missing'; path: string; producer: string | undefined }
  /** A known problem the core reported with a message and hint (a bad param, a cache error). */
  | { kind: 'error'; error: MlpError }
  /** An unexpected error: a bug in mlp or a system error it does not handle (the stack is kept). */
  | { kind: 'internal'; error: unknown };
