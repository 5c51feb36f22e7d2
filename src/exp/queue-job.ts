/**
 * Running queued experiments. Each job runs in its own git worktree under its queue entry
 * (`.mlp/tmp/queue/<name>/workspace`), checked out at the queued commit with `HEAD` at the
 * baseline, and with `.mlp/cache` a link to the repository's cache: outputs are shared, nothing
 * in the user's workspace, index, branch or stash moves, and several jobs can run at once.
 *
 * Outputs are linked from the cache, not copied: the worktree's `cache.type` is reflink, else
 * hardlink, else copy. Objects are read-only (0444), and mlp replaces a checked-out file by a
 * rename and deletes outputs before a stage writes them, so a linked object is never written
 * through by mlp; a command that opens one of its inputs for writing fails with EACCES — except
 * as root, which the read-only bit does not stop: after each job, every hardlink of a cache object
 * changed during the job is hashed again, and an object whose content no longer matches its name
 * is quarantined and the job fails (`checkLinkedObjects`).
 *
 * Inside the worktree a job is two ordinary mlp processes, `mlp checkout` (the data the pointer
 * files and the lock record) then `mlp exp run -n <name>` (the stages, through repro's scheduler
 * and executors, and the experiment saved under refs/exps, which worktrees share). Their output
 * goes to the entry's log; their exit code is the job's.
 *
 * The worker (`mlp queue start`, detached) starts each job as its own detached process (`mlp
 * queue exec <name>`), so a job outlives a worker that is killed, and a job that is killed is
 * seen as such (src/exp/queue.ts). Core only: output goes to the log and to `onOutput`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../errors.js';
import { ObjectStore } from '../cache/object-store.js';
import { GitRepo, runGit } from '../git/git.js';
import { hashFileSync } from '../hash/hash-file.js';
import { configSet } from '../repo/config-edit.js';
import { claimEntry, finishEntry, listQueue, logFileOf, removeWorktree, stopRequested, type JobState, type QueueItem } from './queue.js';
import { experimentRef } from './store.js';

/** How to start this mlp again: `node` and the script (bin/mlp.js). */
export interface Launcher {
  node: string;
  script: string;
}

export interface JobOptions {
  launcher: Launcher;
  /** The repository's cache directory, shared with the job's worktree. */
  cacheDir: string;
  /** Also given every chunk of output (`exp run --temp` prints it). */
  onOutput?: (chunk: Buffer) => void;
  /** Aborting stops the run (its stages are stopped by `mlp exp run` itself) and records `killed`. */
  signal?: AbortSignal;
}

export type JobResult = Pick<JobState, 'status' | 'exitCode' | 'experiment' | 'message'>;

/** `cache.type` in a job's worktree (its `config.local.yaml`): see the top of this file for why hardlinks are safe here. */
export const JOB_LINK_TYPES = '[reflink, hardlink, copy]';

/**
 * Cache objects that a job changed through a hardlink in `worktree` (possible as root only), by
 * workspace path; each is quarantined. Only files linked elsewhere and modified since `since`
 * are hashed: a file whose content no longer matches the object at its inode. Files linked to
 * something other than a cache object (a stage's own hardlinks) are not the cache's business.
 */
export function checkLinkedObjects(worktree: string, store: ObjectStore, since: number): string[] {
  const suspects = new Map<string, string>(); // `dev:ino` → workspace path
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (dir === worktree && e.name === '.git') continue;
        walk(file);
        continue;
      }
      if (!e.isFile()) continue; // `.mlp/cache` is a symlink: never followed
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!stat || stat.nlink < 2 || stat.mtimeMs < since) continue;
      let hash;
      try {
        hash = hashFileSync(file);
      } catch {
        continue;
      }
      const object = fs.statSync(store.objectPath(hash), { throwIfNoEntry: false });
      if (object?.ino === stat.ino && object.dev === stat.dev) continue; // it is the object it should be
      suspects.set(`${stat.dev}:${stat.ino}`, path.relative(worktree, file));
    }
  };
  walk(worktree);
  if (suspects.size === 0) return [];
  const damaged: string[] = [];
  for (const hash of store.listObjects()) {
    const stat = fs.statSync(store.objectPath(hash), { throwIfNoEntry: false });
    const where = stat && suspects.get(`${stat.dev}:${stat.ino}`);
    if (!where) continue;
    store.quarantine(hash);
    damaged.push(where);
  }
  return damaged.sort();
}

/** The `mlp exp run` arguments that replay an entry's options in its worktree. */
export function expRunArgs(item: QueueItem): string[] {
  const o = item.options;
  return [
    'exp', 'run', '-n', item.name,
    ...(o.force ? ['-f'] : []),
    ...(o.singleItem ? ['-s'] : []),
    ...(o.runCache ? [] : ['--no-run-cache']),
    ...(o.jobs !== undefined ? ['-j', String(o.jobs)] : []),
    ...(o.track !== undefined ? ['--track', o.track] : []),
    ...(item.targets.length > 0 ? ['--', ...item.targets] : []),
  ];
}

/** Runs a claimed entry to its end and records it. Never throws for a failed run: that is a result. */
export async function runJob(root: string, item: QueueItem, options: JobOptions): Promise<JobResult> {
  const log = fs.openSync(item.logFile, 'a');
  const write = (text: string | Buffer): void => {
    const chunk = typeof text === 'string' ? Buffer.from(text) : text;
    fs.writeSync(log, chunk);
    options.onOutput?.(chunk);
  };
  const git = GitRepo.open(root);
  const worktree = path.join(item.dir, 'workspace');
  let result: JobResult;
  const started = Date.now();
  try {
    write(`mlp queue: experiment '${item.name}'${item.params.length ? ` (${item.params.join(' ')})` : ''} of ${item.baseline.slice(0, 7)}, started ${new Date().toISOString()}\n`);
    result = await runInWorktree(git, item, worktree, write, options);
  } catch (error) {
    result = { status: 'failed', exitCode: null, message: error instanceof Error ? error.message : String(error) };
    write(`error: ${result.message}\n`);
  }
  try {
    const damaged = checkLinkedObjects(worktree, new ObjectStore(options.cacheDir), started);
    if (damaged.length > 0) {
      result = {
        status: 'failed',
        exitCode: result.exitCode ?? null,
        message: `the job wrote into ${damaged.length === 1 ? 'a cache object' : `${damaged.length} cache objects`} through a hardlink (${damaged.slice(0, 3).join(', ')}${damaged.length > 3 ? ', …' : ''}): ${damaged.length === 1 ? 'it was' : 'they were'} removed from the cache; \`mlp repro\` or \`mlp pull\` brings the data back`,
      };
      write(`error: ${result.message}\n`);
    }
  } finally {
    removeWorktree(git, worktree);
  }
  if (result.status === 'success') {
    const sha = runGit(root, ['rev-parse', '--verify', '--quiet', experimentRef(item.baseline, item.name)]).stdout.toString('utf8').trim();
    if (sha) result.experiment = { name: item.name, commit: sha };
  }
  write(`mlp queue: experiment '${item.name}' ${result.status}${result.exitCode !== undefined && result.exitCode !== null ? ` (exit code ${result.exitCode})` : ''}${result.message ? `: ${result.message}` : ''}\n`);
  fs.closeSync(log);
  finishEntry(item, result);
  return result;
}

async function runInWorktree(git: GitRepo, item: QueueItem, worktree: string, write: (text: string | Buffer) => void, options: JobOptions): Promise<JobResult> {
  removeWorktree(git, worktree); // a previous attempt's leftovers
  // No hooks: a post-checkout hook (`mlp install`) would run `mlp checkout` before the cache is linked.
  const add = runGit(git.root, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--quiet', worktree, item.commit]);
  if (add.code !== 0) return { status: 'failed', exitCode: null, message: `git worktree add failed: ${add.stderr.trim()}` };
  // HEAD at the baseline, files and index as queued: `exp run` then saves a child of the baseline.
  const reset = runGit(worktree, ['reset', '--soft', '-q', item.baseline]);
  if (reset.code !== 0) return { status: 'failed', exitCode: null, message: `git reset --soft failed: ${reset.stderr.trim()}` };
  const root = path.join(worktree, git.prefix);
  const mlpDir = path.join(root, '.mlp');
  fs.mkdirSync(mlpDir, { recursive: true });
  fs.mkdirSync(options.cacheDir, { recursive: true });
  fs.symlinkSync(fs.realpathSync(options.cacheDir), path.join(mlpDir, 'cache'));
  // Machine settings (remote credentials, cache link types) are not committed: the job needs them too.
  const local = path.join(path.dirname(options.cacheDir), 'config.local.yaml');
  if (fs.existsSync(local)) fs.copyFileSync(local, path.join(mlpDir, 'config.local.yaml'));
  // Linked, not copied: a job's checkout costs no disk space and no time per byte.
  configSet(mlpDir, 'cache.type', JOB_LINK_TYPES, 'local');

  if (options.signal?.aborted) return { status: 'killed', exitCode: null, message: 'stopped before it started' };
  const checkout = await runMlp(root, ['checkout'], write, options);
  if (checkout.killed) return { status: 'killed', exitCode: checkout.code, message: 'stopped during checkout' };
  if (checkout.code !== 0) write('mlp queue: some recorded data could not be checked out; the run rebuilds what it can\n');
  write(`$ mlp ${expRunArgs(item).join(' ')}\n`);
  const run = await runMlp(root, expRunArgs(item), write, options);
  if (run.killed) return { status: 'killed', exitCode: run.code };
  return { status: run.code === ExitCode.ok ? 'success' : 'failed', exitCode: run.code };
}

function runMlp(cwd: string, args: string[], write: (chunk: Buffer) => void, options: JobOptions): Promise<{ code: number | null; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(options.launcher.node, [options.launcher.script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    let killed = false;
    const onAbort = (): void => {
      killed = true;
      child.kill('SIGTERM'); // exp run stops its stages' process groups and exits 130
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      write(Buffer.from(`error: could not start mlp: ${error.message}\n`));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code: code ?? (signal ? null : 1), killed: killed || code === ExitCode.interrupted });
    });
  });
}

export interface WorkerOptions {
  launcher: Launcher;
  jobs: number;
  /** How often to look for new entries and finished jobs. */
  pollMs?: number;
}

/**
 * The worker's loop: starts queued entries (oldest first), `jobs` at a time, each as a detached
 * `mlp queue exec <name>`; returns when nothing is queued or running, or after a stop request
 * once the running jobs end. Entries queued meanwhile are picked up.
 */
export async function runWorker(root: string, tmpDir: string, options: WorkerOptions): Promise<{ started: number }> {
  const git = GitRepo.open(root);
  // Recovery: worktrees of jobs whose process died are removed (their logs stay).
  for (const item of listQueue(tmpDir)) if (item.status === 'killed' || item.status === 'failed') removeWorktree(git, path.join(item.dir, 'workspace'));
  const running = new Map<string, ChildProcess>();
  const attempted = new Set<string>();
  let started = 0;
  let wake: (() => void) | undefined;
  for (;;) {
    const stopping = stopRequested(tmpDir);
    if (!stopping) {
      for (const item of listQueue(tmpDir)) {
        if (running.size >= options.jobs) break;
        if (item.status !== 'queued' || attempted.has(item.name)) continue;
        attempted.add(item.name);
        const child = spawn(options.launcher.node, [options.launcher.script, 'queue', 'exec', item.name], { cwd: root, detached: true, stdio: 'ignore' });
        started++;
        running.set(item.name, child);
        child.on('error', () => {});
        child.on('exit', (code) => {
          running.delete(item.name);
          // A job process that died before it claimed its entry: recorded as failed, not retried forever.
          const now = listQueue(tmpDir).find((i) => i.name === item.name);
          if (now?.status === 'queued' && claimEntry(now, child.pid ?? process.pid)) {
            fs.appendFileSync(logFileOf(tmpDir, item.name), `mlp queue: the job process exited (code ${code}) before it started; see ${path.join('.mlp', 'tmp', 'queue', 'worker.log')}\n`);
            finishEntry(now, { status: 'failed', exitCode: code, message: 'the job process exited before it started' });
          }
          wake?.();
        });
      }
    }
    const queued = listQueue(tmpDir).some((i) => i.status === 'queued' && !attempted.has(i.name));
    if (running.size === 0 && (stopping || !queued)) return { started };
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, options.pollMs ?? 300);
    });
    wake = undefined;
  }
}
