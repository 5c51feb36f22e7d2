/**
 * The Slurm executor: each stage becomes one batch job (src/executors/slurm/job-script.ts) sent
 * with `sbatch --parsable`; mlp then watches the job until it ends, streams its output back line
 * by line with the stage prefix, and turns its ending into an ExecutionOutcome. The DAG, the
 * staleness checks, the cache and the lock stay with `mlp repro` on the submitting host; the
 * repository must be on a filesystem the cluster's nodes share, at the same path.
 *
 * - One watcher polls the state of every job in flight with a single `squeue` call, quickly after a
 *   submission or a change and then backing off (up to `maxPollMs`): a hundred queued jobs cost one
 *   query a second or two, not a hundred.
 * - The job's exit code comes from `scontrol show job` (no accounting database needed); which
 *   command ended it, from the status file the script writes.
 * - Aborting (Ctrl-C) cancels the job with `scancel` and waits until Slurm says it ended, so that
 *   no command of it runs on after `mlp repro` has put the previous outputs back.
 * - Every job is recorded in the repository lock while it is queued or running; an mlp killed with
 *   -9 leaves them there and the next mlp that takes the lock over cancels them
 *   (src/executors/cluster-jobs.ts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { MlpError } from '../../errors.js';
import { prepareShim } from '../../repro/stage-runner.js';
import type { ClusterJob, ClusterJobTracker, ExecutionOutcome, Executor, OutputSink, StageJob } from '../executor.js';
import { jobScript } from './job-script.js';
import { baseState, describeEnding, isRetryable, isTerminal, parseQueue, parseScontrolJob, type QueueEntry } from './job-state.js';
import { sbatchResourceArgs, type SlurmOptionValue } from './options.js';
import { firstLine, slurmCommand } from './slurm-cli.js';

export interface SlurmExecutorOptions {
  /** The repository's scratch directory: job scripts and output files go to `<tmpDir>/slurm`. */
  tmpDir: string;
  /** The repository lock file: the job checks it still names this run before it starts. */
  lockFile?: string;
  /** Records the jobs in the repository lock (undefined: no lock is held, e.g. a library call). */
  tracker?: ClusterJobTracker;
  /** sbatch options every stage gets (`slurm:` in .mlp/config.yaml); a stage's own win. */
  defaults?: Readonly<Record<string, SlurmOptionValue>>;
  /** Polling interval bounds in ms (the first poll comes after `minPollMs`). */
  minPollMs?: number;
  maxPollMs?: number;
}

const CANCEL_WAIT_MS = 30_000;
/** Consecutive failed `squeue` calls (the controller restarting) tolerated before giving up. */
const MAX_QUERY_FAILURES = 30;

export class SlurmExecutor implements Executor {
  private shimDir: string | undefined;
  private readonly watcher: QueueWatcher;
  private readonly jobDir: string;

  constructor(private readonly options: SlurmExecutorOptions) {
    this.watcher = new QueueWatcher(options.minPollMs ?? 100, options.maxPollMs ?? 2000);
    this.jobDir = path.join(options.tmpDir, 'slurm');
  }

  async run(job: StageJob): Promise<ExecutionOutcome> {
    const { stage, signal } = job;
    const cmd = stage.cmd.length === 1 ? (stage.cmd[0] as string) : stage.cmd.join(' && ');
    if (signal.aborted) return { ok: false, kind: 'interrupted', cmd };
    this.shimDir ??= prepareShim(this.options.tmpDir);
    fs.mkdirSync(this.jobDir, { recursive: true });
    const tag = `${stage.name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}.${randomBytes(4).toString('hex')}`;
    const files = {
      script: path.join(this.jobDir, `${tag}.sh`),
      stdout: path.join(this.jobDir, `${tag}.out`),
      stderr: path.join(this.jobDir, `${tag}.err`),
      status: path.join(this.jobDir, `${tag}.status`),
    };
    const runId = this.options.tracker?.id;
    const script = jobScript({
      root: job.root,
      stage,
      shimDir: this.shimDir,
      lockFile: this.options.lockFile ?? '',
      runId: runId ?? '',
      statusFile: files.status,
      baseEnv: process.env,
      env: job.env,
    });
    // Without a lock there is no run to check against: drop the check rather than fail every job.
    fs.writeFileSync(files.script, runId && this.options.lockFile ? script : script.replace(/^if ! grep -qF [\s\S]*?^fi\n/m, ''), { mode: 0o755 });
    try {
      return await this.submitAndWatch(job, cmd, files);
    } finally {
      for (const file of Object.values(files)) fs.rmSync(file, { force: true });
    }
  }

  private async submitAndWatch(job: StageJob, cmd: string, files: { script: string; stdout: string; stderr: string; status: string }): Promise<ExecutionOutcome> {
    const { stage, signal, output } = job;
    const args = [
      '--parsable',
      // mlp resubmits itself (`retries:`): a job Slurm requeued would run behind its back.
      '--no-requeue',
      `--job-name=mlp:${stage.name}`.slice(0, 200),
      `--chdir=${job.root}`,
      `--output=${files.stdout}`,
      `--error=${files.stderr}`,
      ...sbatchResourceArgs(stage, this.options.defaults),
      files.script,
    ];
    const submitted = await slurmCommand('sbatch', args);
    if (submitted.code !== 0) {
      return {
        ok: false,
        kind: 'error',
        cmd,
        error: new MlpError(`Slurm refused the job of stage '${stage.name}': ${firstLine(submitted.stderr) || `sbatch exited with code ${submitted.code}`}`, {
          hint: "check the stage's resources and slurm: options (and the config's slurm: defaults) against the cluster's partitions; `sbatch --test-only` says more",
        }),
      };
    }
    const id = (submitted.stdout.trim().split('\n').pop() ?? '').split(';')[0]?.trim() ?? '';
    if (!/^\d+(_\d+)?$/.test(id)) {
      return { ok: false, kind: 'error', cmd, error: new MlpError(`sbatch answered ${JSON.stringify(submitted.stdout.trim())} instead of a job id for stage '${stage.name}'`) };
    }
    const record: ClusterJob = { executor: 'slurm', id, ...(process.env.SLURM_CONF ? { conf: process.env.SLURM_CONF } : {}) };
    this.options.tracker?.jobSubmitted(record);
    const tails = [new FileTail(files.stdout, 'stdout'), new FileTail(files.stderr, 'stderr')];
    const pump = (): void => {
      for (const tail of tails) tail.read(stage.name, output);
    };
    let cancelled = false;
    try {
      const cancel = (): void => {
        cancelled = true;
        void slurmCommand('scancel', [id])
          .catch(() => undefined)
          .finally(() => this.watcher.soon());
      };
      signal.addEventListener('abort', cancel, { once: true });
      let ending: QueueEntry | undefined;
      try {
        ending = await this.watcher.until(id, pump, () => (cancelled ? CANCEL_WAIT_MS : undefined));
      } finally {
        signal.removeEventListener('abort', cancel);
      }
      pump();
      for (const tail of tails) tail.flush(stage.name, output);
      if (cancelled || signal.aborted) {
        if (!ending) await slurmCommand('scancel', [id]).catch(() => undefined);
        return { ok: false, kind: 'interrupted', cmd };
      }
      return await this.outcome(stage.cmd, cmd, id, ending, files.status);
    } finally {
      this.options.tracker?.jobEnded(record);
    }
  }

  /** How the job ended, from its final queue state, `scontrol show job` and the status file. */
  private async outcome(cmds: readonly string[], cmd: string, id: string, ending: QueueEntry | undefined, statusFile: string): Promise<ExecutionOutcome> {
    const status = readStatus(statusFile);
    // The common case needs no further query: one process start less per stage.
    if (ending && baseState(ending.state) === 'COMPLETED' && status?.kind === 'ok') return { ok: true };
    const shown = await slurmCommand('scontrol', ['show', 'job', '-o', id]).catch(() => undefined);
    const record = shown && shown.code === 0 ? parseScontrolJob(shown.stdout) : undefined;
    const state = baseState(record?.state ?? ending?.state ?? 'VANISHED');
    const reason = record?.reason ?? ending?.reason ?? '';
    if (state === 'COMPLETED' && status?.kind === 'ok') return { ok: true };
    if (status?.kind === 'failed' && (state === 'COMPLETED' || state === 'FAILED')) {
      return { ok: false, kind: 'exit-non-zero', cmd: cmds[status.index] ?? cmd, exitCode: status.exitCode, signal: null };
    }
    if (status?.kind === 'wdir') {
      return { ok: false, kind: 'spawn-failed', cmd, error: new Error('the working directory does not exist on the node') };
    }
    if (status?.kind === 'stale') {
      return { ok: false, kind: 'error', cmd, error: new MlpError(`the job of stage '${id}' found the repository lock held by another run and did not start`) };
    }
    if (state === 'FAILED' && record?.exitCode !== undefined) {
      // The batch script itself failed before writing a status (the node could not read it).
      return { ok: false, kind: 'exit-non-zero', cmd, exitCode: record.exitCode, signal: null };
    }
    return { ok: false, kind: 'job-lost', cmd, jobId: id, state, description: describeEnding(state, reason), retryable: isRetryable(state) };
  }
}

type Status = { kind: 'ok' } | { kind: 'stale' } | { kind: 'wdir' } | { kind: 'failed'; index: number; exitCode: number };

function readStatus(file: string): Status | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (text === 'ok') return { kind: 'ok' };
  if (text === 'stale') return { kind: 'stale' };
  const [index, code] = text.split(/\s+/);
  if (index === 'wdir') return { kind: 'wdir' };
  if (index !== undefined && code !== undefined && /^\d+$/.test(index) && /^\d+$/.test(code)) return { kind: 'failed', index: Number(index), exitCode: Number(code) };
  return undefined;
}

/** Reads what a job has appended to one of its output files since the last call, line by line. */
class FileTail {
  private offset = 0;
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly stream: 'stdout' | 'stderr',
  ) {}

  read(stage: string, output: OutputSink): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return; // not created yet: the job has not started
    }
    try {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.pending += this.decoder.write(buffer.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) output.line(stage, this.stream, line);
  }

  flush(stage: string, output: OutputSink): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') output.line(stage, this.stream, this.pending);
    this.pending = '';
  }
}

interface Watch {
  onPoll: () => void;
  /** Called with the job's last queue entry (undefined: Slurm no longer knows it) once it ended. */
  done: (entry: QueueEntry | undefined) => void;
  fail: (error: unknown) => void;
  last?: QueueEntry;
  /** Set when cancelled: give up waiting for the ending after this time. */
  deadline?: number;
  giveUpAfter: () => number | undefined;
}

/**
 * Polls `squeue` for all watched jobs at once. The interval starts at `minMs`, grows by half after
 * each poll that saw no change, up to `maxMs`, and starts over after a change or a new job.
 */
class QueueWatcher {
  private readonly watched = new Map<string, Watch>();
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.delay = minMs;
  }

  /** Resolves once the job has ended (or is unknown to Slurm); `onPoll` runs after each poll. */
  until(id: string, onPoll: () => void, giveUpAfter: () => number | undefined): Promise<QueueEntry | undefined> {
    return new Promise((resolve, reject) => {
      this.watched.set(id, { onPoll, done: resolve, fail: reject, giveUpAfter });
      this.soon();
    });
  }

  /** Polls again shortly (a job was submitted or cancelled). */
  soon(): void {
    this.delay = this.minMs;
    if (this.polling) return; // the running poll schedules the next one
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), this.delay);
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.watched.size === 0) return;
    this.polling = true;
    let changed = false;
    try {
      const ids = [...this.watched.keys()];
      const result = await slurmCommand('squeue', ['-h', '--states=all', `--jobs=${ids.join(',')}`, '-o', '%i|%T|%r']);
      // squeue fails for a list that has only unknown ids ("Invalid job id"); other failures
      // (the controller restarting) are retried for a while.
      const invalid = /invalid job id/i.test(result.stderr);
      if (result.code !== 0 && !invalid) {
        if (++this.failures > MAX_QUERY_FAILURES) {
          const error = new MlpError(`squeue keeps failing: ${firstLine(result.stderr) || `exit code ${result.code}`}`, { hint: 'check that the Slurm controller is up (`scontrol ping`)' });
          for (const w of this.watched.values()) w.fail(error);
          this.watched.clear();
          return;
        }
      } else {
        this.failures = 0;
        const entries = new Map(parseQueue(result.stdout).map((e) => [e.id, e]));
        for (const id of ids) {
          const watch = this.watched.get(id);
          if (!watch) continue;
          const entry = entries.get(id);
          if (entry?.state !== watch.last?.state) changed = true;
          watch.onPoll();
          const limit = watch.giveUpAfter();
          if (limit !== undefined && watch.deadline === undefined) {
            watch.deadline = Date.now() + limit;
            changed = true; // a cancellation: look again soon
          }
          if (!entry || isTerminal(entry.state) || (watch.deadline !== undefined && Date.now() > watch.deadline)) {
            this.watched.delete(id);
            watch.done(entry);
            continue;
          }
          watch.last = entry;
        }
      }
    } catch (error) {
      for (const w of this.watched.values()) w.fail(error);
      this.watched.clear();
    } finally {
      this.polling = false;
    }
    if (this.watched.size === 0) return;
    this.delay = changed ? this.minMs : Math.min(this.maxMs, Math.round(this.delay * 1.5));
    this.timer = setTimeout(() => void this.poll(), this.delay);
  }
}
