/**
 * The experiment queue: experiments waiting to run (`mlp exp run --queue`), running, or finished,
 * each kept as a directory under `.mlp/tmp/queue/<name>/`:
 *
 * - `entry.json`: what to run — the commit holding the workspace with this run's params (its
 *   parent is the baseline; it is kept alive by `refs/mlp/queue/<name>`, outside `refs/exps` so
 *   that nobody mistakes it for an experiment), the targets and the run's options;
 * - `state.json`: absent while queued; written exclusively by the process that runs the job (so
 *   two workers never run one entry), with its pid and start time, then its end, exit code and the
 *   experiment it saved;
 * - `log`: everything the run printed. It stays after the run, failed or not: DVC's queue loses
 *   the logs of failed experiments (treeverse/dvc #8165), this one never does.
 *
 * A job whose process died without writing its end (killed, machine rebooted) is `killed` — a
 * status read from the pid, not a file someone must remember to fix — so nothing is ever stuck
 * "running". Core only: no printing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { GitRepo, runGit } from '../git/git.js';
import { writeFileAtomic } from '../util/fs.js';
import { isSameProcess, processStartTime } from '../util/processes.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { experimentNameProblem, experimentRef, listExperiments } from './store.js';

export const QUEUE_REF_NAMESPACE = 'refs/mlp/queue';

export interface QueueEntry {
  name: string;
  /** The commit to run: the workspace with this run's params; its parent is `baseline`. */
  commit: string;
  baseline: string;
  /** `key=value` of each -S, for lists. */
  params: string[];
  targets: string[];
  /** `track`: the --track backend the run was queued with (checked when queued). */
  options: { force: boolean; runCache: boolean; singleItem: boolean; jobs?: number; track?: string };
  /** ISO time it was queued. */
  queued: string;
}

export type QueueStatus = 'queued' | 'running' | 'success' | 'failed' | 'killed';

export interface JobState {
  status: Exclude<QueueStatus, 'queued'>;
  pid: number;
  /** The process's start time (see src/util/processes.ts), so a reused pid is not taken for it. */
  startTime?: string;
  started: string;
  finished?: string;
  /** The run's exit code (`mlp exp run`'s); null when it was killed by a signal. */
  exitCode?: number | null;
  /** The experiment it saved. */
  experiment?: { name: string; commit: string };
  /** Why it failed before or around the run (the worktree could not be made, …). */
  message?: string;
}

export interface QueueItem extends QueueEntry {
  status: QueueStatus;
  state: JobState | undefined;
  dir: string;
  logFile: string;
}

export function queueDir(tmpDir: string): string {
  return path.join(tmpDir, 'queue');
}

function entryDir(tmpDir: string, name: string): string {
  return path.join(queueDir(tmpDir), name);
}

export function logFileOf(tmpDir: string, name: string): string {
  return path.join(entryDir(tmpDir, name), 'log');
}

export function queueRef(name: string): string {
  return `${QUEUE_REF_NAMESPACE}/${name}`;
}

function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // a file cut short by a crash reads as absent: the entry is then reported, not trusted
  }
}

/** The status a state file stands for now: a "running" job whose process is gone was killed. */
function statusOf(state: JobState | undefined): QueueStatus {
  if (!state) return 'queued';
  if (state.status === 'running' && !isSameProcess(state.pid, state.startTime)) return 'killed';
  return state.status;
}

/** Every entry, in the order they were queued. */
export function listQueue(tmpDir: string): QueueItem[] {
  const dir = queueDir(tmpDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const items: QueueItem[] = [];
  for (const name of names) {
    if (experimentNameProblem(name) !== undefined) continue; // worker.json, the stop file, half-made entries
    const d = path.join(dir, name);
    const entry = readJson<QueueEntry>(path.join(d, 'entry.json'));
    if (!entry) continue;
    const state = readJson<JobState>(path.join(d, 'state.json'));
    items.push({ ...entry, name, status: statusOf(state), state, dir: d, logFile: path.join(d, 'log') });
  }
  return items.sort((a, b) => a.queued.localeCompare(b.queued) || a.name.localeCompare(b.name));
}

/** The entry called `name`; a clear error when there is none. */
export function requireQueueItem(tmpDir: string, name: string): QueueItem {
  const item = listQueue(tmpDir).find((i) => i.name === name);
  if (!item) {
    throw new MlpError(`no queued experiment named '${name}'`, { hint: '`mlp queue status` lists the queue', exitCode: ExitCode.usage });
  }
  return item;
}

/** Whether `name` is free for a new experiment of `baseline`: no experiment and no queue entry has it. */
export function nameTaken(git: GitRepo, tmpDir: string, baseline: string, name: string): boolean {
  if (fs.existsSync(entryDir(tmpDir, name))) return true;
  return runGit(git.root, ['rev-parse', '--verify', '--quiet', experimentRef(baseline, name)]).code === 0;
}

/** Names that a generated name must avoid: every queue entry's and every experiment's of `baseline`. */
export function takenNames(git: GitRepo, tmpDir: string, baseline: string): Set<string> {
  return new Set([...listQueue(tmpDir).map((i) => i.name), ...listExperiments(git, [baseline]).map((e) => e.name)]);
}

/**
 * Adds `entry` to the queue. With `runningPid` the entry is claimed by that process at once (`exp
 * run --temp` runs it in the foreground: no worker may take it meanwhile).
 */
export function addToQueue(git: GitRepo, tmpDir: string, entry: QueueEntry, runningPid?: number): QueueItem {
  const final = entryDir(tmpDir, entry.name);
  if (fs.existsSync(final)) {
    throw new MlpError(`the queue already has an experiment named '${entry.name}'`, {
      hint: 'choose another name with -n, or remove the old entry with `mlp queue remove ' + entry.name + '`',
      exitCode: ExitCode.usage,
    });
  }
  const ref = runGit(git.root, ['update-ref', '-m', 'mlp exp run --queue', queueRef(entry.name), entry.commit]);
  if (ref.code !== 0) throw new MlpError(`git update-ref failed: ${ref.stderr.trim()}`);
  // Made under a temp name and renamed: a worker never sees an entry without its entry.json.
  fs.mkdirSync(queueDir(tmpDir), { recursive: true });
  const staging = path.join(queueDir(tmpDir), `.${entry.name}.${tempOwnerTag()}.tmp`);
  fs.mkdirSync(staging);
  fs.writeFileSync(path.join(staging, 'entry.json'), `${JSON.stringify(entry, null, 2)}\n`);
  if (runningPid !== undefined) writeState(staging, runningState(runningPid));
  try {
    fs.renameSync(staging, final);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new MlpError(`the queue already has an experiment named '${entry.name}'`, { hint: 'choose another name with -n', exitCode: ExitCode.usage, cause: error });
  }
  return requireQueueItem(tmpDir, entry.name);
}

function runningState(pid: number): JobState {
  return { status: 'running', pid, startTime: processStartTime(pid), started: new Date().toISOString() };
}

function writeState(dir: string, state: JobState): void {
  writeFileAtomic(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Claims a queued entry for this process: creates its state file exclusively, so that of two
 * processes trying only one runs it. False when someone else has it (or it is not queued).
 */
export function claimEntry(item: QueueItem, pid = process.pid): boolean {
  try {
    fs.writeFileSync(path.join(item.dir, 'state.json'), `${JSON.stringify(runningState(pid), null, 2)}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Records how a job ended. */
export function finishEntry(item: QueueItem, end: Pick<JobState, 'status' | 'exitCode' | 'experiment' | 'message'>): void {
  const previous = readJson<JobState>(path.join(item.dir, 'state.json')) ?? runningState(process.pid);
  writeState(item.dir, { ...previous, ...end, finished: new Date().toISOString() });
}

/** Removes entries (their directory, log included, and their queue ref). Running ones are refused. */
export function removeQueueItems(git: GitRepo, items: readonly QueueItem[]): void {
  const running = items.filter((i) => i.status === 'running');
  if (running.length > 0) {
    throw new MlpError(`${running.map((i) => i.name).join(', ')} ${running.length > 1 ? 'are' : 'is'} running`, {
      hint: `stop ${running.length > 1 ? 'them' : 'it'} first with \`mlp queue kill ${running.map((i) => i.name).join(' ')}\``,
      exitCode: ExitCode.usage,
    });
  }
  if (items.length === 0) return;
  const script = items.map((i) => `delete ${queueRef(i.name)}\n`).join('');
  runGit(git.root, ['update-ref', '--stdin'], script); // an already-missing ref is no reason to keep the entry
  for (const i of items) {
    removeWorktree(git, path.join(i.dir, 'workspace'));
    fs.rmSync(i.dir, { recursive: true, force: true });
  }
}

/** Removes a job's git worktree (and git's record of it), whatever state it was left in. */
export function removeWorktree(git: GitRepo, dir: string): void {
  if (fs.existsSync(dir)) {
    runGit(git.root, ['worktree', 'remove', '--force', '--force', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  runGit(git.root, ['worktree', 'prune']);
}

/** Asks the running job `item` to stop (SIGTERM: its run stops its stages and records `killed`). */
export function killQueueItem(item: QueueItem): boolean {
  if (item.status !== 'running' || !item.state) return false;
  try {
    process.kill(item.state.pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

// The worker: one per repository, recorded in worker.json; `stop` asks it to start nothing new.

export interface WorkerRecord {
  pid: number;
  startTime?: string;
  jobs: number;
  started: string;
}

function workerFile(tmpDir: string): string {
  return path.join(queueDir(tmpDir), 'worker.json');
}

function stopFile(tmpDir: string): string {
  return path.join(queueDir(tmpDir), 'stop');
}

export function workerLogFile(tmpDir: string): string {
  return path.join(queueDir(tmpDir), 'worker.log');
}

/** The live worker, if any (a record left by a dead one is no worker). */
export function liveWorker(tmpDir: string): WorkerRecord | undefined {
  const record = readJson<WorkerRecord>(workerFile(tmpDir));
  return record && isSameProcess(record.pid, record.startTime) ? record : undefined;
}

/** Registers this process as the worker; false when a live one exists. A dead one's record is taken over. */
export function registerWorker(tmpDir: string, jobs: number): boolean {
  fs.mkdirSync(queueDir(tmpDir), { recursive: true });
  const record: WorkerRecord = { pid: process.pid, startTime: processStartTime(process.pid), jobs, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(workerFile(tmpDir), `${JSON.stringify(record)}\n`, { flag: 'wx' });
      fs.rmSync(stopFile(tmpDir), { force: true });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (liveWorker(tmpDir)) return false;
    // A dead worker's record: moved aside atomically, so two takers cannot both win.
    const aside = `${workerFile(tmpDir)}.${tempOwnerTag()}.tmp`;
    try {
      fs.renameSync(workerFile(tmpDir), aside);
      fs.rmSync(aside, { force: true });
    } catch {
      // someone else took it over first; try again
    }
  }
  return false;
}

export function unregisterWorker(tmpDir: string): void {
  const record = readJson<WorkerRecord>(workerFile(tmpDir));
  if (record?.pid === process.pid) fs.rmSync(workerFile(tmpDir), { force: true });
  fs.rmSync(stopFile(tmpDir), { force: true });
}

export function requestStop(tmpDir: string): void {
  fs.mkdirSync(queueDir(tmpDir), { recursive: true });
  fs.writeFileSync(stopFile(tmpDir), `${new Date().toISOString()}\n`);
}

export function stopRequested(tmpDir: string): boolean {
  return fs.existsSync(stopFile(tmpDir));
}

/** The last `n` lines of a job's log (what `queue status` shows of a failed job). */
export function logTail(file: string, n: number): string[] {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
  return text.replace(/\n+$/, '').split('\n').slice(-n).filter((l) => l !== '');
}
