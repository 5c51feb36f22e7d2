/**
 * What Slurm says about a job, parsed: `squeue -o '%i|%T|%r'` lines while it is known to the
 * controller, and `scontrol show job -o` once it has ended (for its exit code and reason).
 */

/** States after which a job never runs again (without a requeue, which mlp never asks for). */
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED']);

/** Endings the cluster caused, not the stage's commands: worth resubmitting (`retries:`). */
const RETRYABLE = new Set(['TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'VANISHED']);

export interface QueueEntry {
  id: string;
  /** Long state name: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, … */
  state: string;
  /** Why it waits or why it ended (`Resources`, `TimeLimit`, `NonZeroExitCode`, `None`). */
  reason: string;
}

export function isTerminal(state: string): boolean {
  return TERMINAL.has(baseState(state));
}

export function isRetryable(state: string): boolean {
  return RETRYABLE.has(baseState(state));
}

/** `CANCELLED by 0` → `CANCELLED`. */
export function baseState(state: string): string {
  return state.split(/\s+/)[0] ?? state;
}

/** Lines of `squeue -h -o '%i|%T|%r'`. */
export function parseQueue(text: string): QueueEntry[] {
  const entries: QueueEntry[] = [];
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state) continue;
    entries.push({ id, state, reason: reason ?? '' });
  }
  return entries;
}

export interface JobRecord {
  id: string;
  state: string;
  reason: string;
  /** The batch script's exit status, or undefined when Slurm did not say. */
  exitCode: number | undefined;
  /** The signal that ended it (the second half of ExitCode=N:S), 0 when none. */
  signal: number;
  fields: Record<string, string>;
}

/**
 * One job of `scontrol show job -o` (one line of `Key=Value` pairs; values have no spaces except
 * the last field's, which are not used here).
 */
export function parseScontrolJob(text: string): JobRecord | undefined {
  const line = text.split('\n').find((l) => l.startsWith('JobId='));
  if (!line) return undefined;
  const fields: Record<string, string> = {};
  for (const match of line.matchAll(/(?:^|\s)([A-Za-z][A-Za-z0-9/:_]*)=(\S*)/g)) fields[match[1] as string] = match[2] as string;
  const [code, signal] = (fields.ExitCode ?? '').split(':');
  return {
    id: fields.JobId ?? '',
    state: fields.JobState ?? 'UNKNOWN',
    reason: fields.Reason ?? 'None',
    exitCode: code !== undefined && /^\d+$/.test(code) ? Number(code) : undefined,
    signal: signal !== undefined && /^\d+$/.test(signal) ? Number(signal) : 0,
    fields,
  };
}

/** Words for how a job ended or why it is gone, for messages: `TIMEOUT (TimeLimit)`. */
export function describeEnding(state: string, reason: string): string {
  const words: Record<string, string> = {
    TIMEOUT: 'hit its time limit',
    NODE_FAIL: 'was lost with its node',
    PREEMPTED: 'was preempted',
    BOOT_FAIL: 'could not boot its node',
    DEADLINE: 'missed its deadline',
    OUT_OF_MEMORY: 'ran out of memory',
    CANCELLED: 'was cancelled outside mlp',
    REVOKED: 'was revoked',
    VANISHED: 'is no longer known to Slurm',
    FAILED: 'failed',
  };
  const base = baseState(state);
  const shown = reason && reason !== 'None' ? `${base}, reason ${reason}` : base;
  return `${words[base] ?? `ended ${base}`} (${shown})`;
}
