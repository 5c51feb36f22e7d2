/**
 * Words for a failed stage: the one place that turns a `StageFailure` into an error line, a hint
 * (the CLI advice the core does not give) and, with `-v`, the stack of an internal error.
 */
import type { StageFailure } from '../repro/failure.js';

export interface FailureRenderOptions {
  /** `-v`: stack traces of internal errors and the causes of known ones. */
  verbose: boolean;
  /** `-s` was given: the stages a target depends on were not selected. */
  single: boolean;
}

/** Lines for stderr, without trailing newlines: `error: …`, then `hint: …`, then any stack. */
export function renderStageFailure(stage: string, failure: StageFailure, options: FailureRenderOptions): string[] {
  const lines: string[] = [];
  const error = (text: string): number => lines.push(`error: ${text}`);
  const hint = (text: string): number => lines.push(`hint: ${text}`);
  switch (failure.kind) {
    case 'exit-non-zero': {
      const how = failure.signal ? `was killed by ${failure.signal}` : `exited with code ${failure.exitCode}`;
      error(`stage '${stage}' failed: command ${how}: ${failure.cmd}`);
      break;
    }
    case 'spawn-failed':
      if (failure.wdirMissing) {
        error(`stage '${stage}' failed: its working directory ${failure.wdir} does not exist`);
        hint(`create ${failure.wdir}, or fix the stage's \`wdir\``);
      } else {
        error(`stage '${stage}' failed: could not start the command (${failure.error.message}): ${failure.cmd}`);
        hint('check that /bin/sh exists and can be run');
      }
      if (options.verbose) lines.push(...stackOf(failure.error));
      break;
    case 'job-lost':
      error(`stage '${stage}' failed: Slurm job ${failure.jobId} ${failure.description}${failure.retries > 0 && failure.retryable ? ` (after ${failure.retries} ${failure.retries === 1 ? 'retry' : 'retries'})` : ''}`);
      if (failure.state === 'TIMEOUT') hint("raise the stage's `resources: {time: …}` (its job's time limit), or make it faster");
      else if (failure.state === 'OUT_OF_MEMORY') hint("raise the stage's `resources: {memory: …}`");
      else if (failure.retryable && failure.retries === 0) hint(`set \`retries:\` on the stage to resubmit it when the cluster loses it; \`scontrol show job ${failure.jobId}\` says more while Slurm remembers it`);
      else hint(`\`scontrol show job ${failure.jobId}\` says more while Slurm remembers it`);
      break;
    case 'output-missing':
      error(`stage '${stage}' did not create its output ${failure.path}`);
      hint(`make the command write ${failure.path}, or remove it from the stage's outs`);
      break;
    case 'dep-missing':
      error(`stage '${stage}' failed: dep ${failure.path} is missing`);
      if (failure.producer && options.single) hint(`run stage '${failure.producer}' first, or drop -s so that mlp runs it`);
      else if (failure.producer) hint(`stage '${failure.producer}' produces it; is it frozen?`);
      else hint(`create ${failure.path}, or get it back with \`mlp checkout\` / \`mlp pull\``);
      break;
    case 'error':
      error(`stage '${stage}' failed: ${failure.error.message}`);
      if (failure.error.hint) hint(failure.error.hint);
      if (options.verbose && failure.error.cause !== undefined) lines.push(...stackOf(failure.error.cause, 'cause: '));
      break;
    case 'internal': {
      const message = isErrorLike(failure.error) ? failure.error.message : String(failure.error);
      error(`stage '${stage}' failed with an internal error: ${message}`);
      hint(
        options.verbose
          ? 'this is a bug in mlp or a system error it does not handle; please report it with the stack trace below'
          : 'this is a bug in mlp or a system error it does not handle; rerun with -v for the stack trace and report it',
      );
      if (options.verbose) lines.push(...stackOf(failure.error));
      break;
    }
  }
  return lines;
}

/** The stack (which starts with the message) and the chain of causes. */
function stackOf(error: unknown, prefix = ''): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  let label = prefix;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const text = isErrorLike(current) ? (current.stack ?? current.message) : String(current);
    lines.push(...`${label}${text}`.split('\n'));
    current = isErrorLike(current) ? current.cause : undefined;
    label = 'cause: ';
  }
  return lines;
}

/** Not `instanceof Error`: errors from Node's own modules may come from another realm (jest's vm). */
function isErrorLike(value: unknown): value is { message: string; stack?: string; cause?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}
