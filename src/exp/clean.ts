/**
 * `mlp exp clean`: housekeeping of the experiment machinery (DVC's `dvc exp clean`). Normal runs
 * clean up after themselves; what a killed worker, a killed job, a killed `exp run --temp` or a
 * crash mid-way can leave behind is removed here:
 *
 * - job worktrees (`.mlp/tmp/queue/<name>/workspace`, and git's record of them) of entries that
 *   are not running;
 * - queue refs (`refs/mlp/queue/<name>`) whose entry is gone: they keep commits alive for nothing;
 * - entries cut short (a directory without its `entry.json`) and half-made ones (`.<name>.*.tmp`
 *   of a process that is gone);
 * - a dead worker's record and a stop request nobody will read;
 * - private indexes (`exp-index.*.tmp`) of `exp run`/`exp save` processes that were killed.
 *
 * Never removed: experiments (refs/exps), queued entries, running jobs and their worktrees, the
 * logs of finished entries (`mlp queue remove` is for those). Core only: returns what it did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GitRepo, runGit } from '../git/git.js';
import { isAbandoned, isTempName, removeAbandonedTemps } from '../util/temp-files.js';
import { experimentNameProblem } from './store.js';
import { QUEUE_REF_NAMESPACE, listQueue, liveWorker, queueDir, queueRef, removeWorktree } from './queue.js';

/** A queue ref younger than this may belong to an entry being added right now (its ref comes first). */
const FRESH_REF_MS = 60_000;

export interface CleanResult {
  /** Names of the entries whose leftover worktree was removed (`?` for a worktree of no entry). */
  worktrees: string[];
  /** Names of the queue refs removed (their entry was gone). */
  refs: string[];
  /** Names of entries removed because they were cut short or half-made. */
  entries: string[];
  /** Whether a dead worker's record (or a stale stop request) was removed. */
  worker: boolean;
  /** Abandoned temp files removed. */
  tempFiles: number;
}

export interface CleanOptions {
  /** Only report what would be removed. */
  dryRun?: boolean;
  now?: number;
}

export function cleanExperiments(root: string, tmpDir: string, options: CleanOptions = {}): CleanResult {
  const git = GitRepo.open(root);
  const dryRun = options.dryRun === true;
  const now = options.now ?? Date.now();
  const result: CleanResult = { worktrees: [], refs: [], entries: [], worker: false, tempFiles: 0 };
  const dir = queueDir(tmpDir);
  const items = listQueue(tmpDir);
  const byName = new Map(items.map((i) => [i.name, i]));

  // Worktrees: those git knows under the queue folder and those on disk.
  const candidates = new Set<string>();
  const listed = runGit(root, ['worktree', 'list', '--porcelain']).stdout.toString('utf8');
  const queueReal = realOrSelf(dir);
  for (const line of listed.split('\n')) {
    if (!line.startsWith('worktree ')) continue;
    const wt = line.slice('worktree '.length);
    if (isInside(queueReal, wt) || isInside(dir, wt)) candidates.add(path.join(dir, path.relative(isInside(queueReal, wt) ? queueReal : dir, wt)));
  }
  for (const item of items) {
    const wt = path.join(item.dir, 'workspace');
    if (fs.existsSync(wt)) candidates.add(wt);
  }
  for (const wt of candidates) {
    const name = path.relative(dir, wt).split(path.sep)[0] ?? '?';
    if (byName.get(name)?.status === 'running') continue;
    result.worktrees.push(byName.has(name) ? name : '?');
    if (!dryRun) removeWorktree(git, wt);
  }
  // Entries cut short: a folder with a valid name but no readable entry.json.
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    names = [];
  }
  const staging = new Set<string>();
  for (const name of names) {
    const full = path.join(dir, name);
    const stat = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) continue;
    const half = /^\.(.+)\.[0-9a-f]{8}-\d+-[0-9a-f]{8}\.tmp$/.exec(name);
    if (half) {
      // A half-made entry: removed once the process making it is gone.
      if (!isAbandoned(name, stat.mtimeMs, now)) {
        staging.add(half[1] as string);
        continue;
      }
      result.entries.push(half[1] as string);
      if (!dryRun) fs.rmSync(full, { recursive: true, force: true });
      continue;
    }
    if (experimentNameProblem(name) !== undefined || byName.has(name)) continue;
    result.entries.push(name);
    if (!dryRun) {
      removeWorktree(git, path.join(full, 'workspace'));
      fs.rmSync(full, { recursive: true, force: true });
    }
  }

  // Queue refs whose entry is gone (and that no entry being added right now will claim).
  const refs = runGit(root, ['for-each-ref', '--format=%(refname) %(committerdate:unix)', `${QUEUE_REF_NAMESPACE}/`]).stdout.toString('utf8');
  const doomed: string[] = [];
  for (const line of refs.split('\n')) {
    const [ref = '', time = '0'] = line.split(' ');
    if (!ref.startsWith(`${QUEUE_REF_NAMESPACE}/`)) continue;
    const name = ref.slice(QUEUE_REF_NAMESPACE.length + 1);
    if (byName.has(name) || staging.has(name)) continue;
    if (now - Number(time) * 1000 < FRESH_REF_MS) continue;
    result.refs.push(name);
    doomed.push(`delete ${queueRef(name)}\n`);
  }
  if (doomed.length > 0 && !dryRun) runGit(root, ['update-ref', '--stdin'], doomed.join(''));

  // A worker record of a dead worker, and a stop request no worker will read.
  if (!liveWorker(tmpDir)) {
    for (const file of ['worker.json', 'stop']) {
      if (!fs.existsSync(path.join(dir, file))) continue;
      result.worker = true;
      if (!dryRun) fs.rmSync(path.join(dir, file), { force: true });
    }
  }

  // Private indexes of killed `exp run`/`exp save` processes, and the worker's temp records.
  const temps = { files: 0, bytes: 0 };
  removeAbandonedTemps(tmpDir, (n) => n.startsWith('exp-index.') && isTempName(n), temps, dryRun);
  removeAbandonedTemps(dir, (n) => n.startsWith('worker.json.') && isTempName(n), temps, dryRun);
  result.tempFiles = temps.files;
  for (const list of [result.worktrees, result.refs, result.entries]) list.sort();
  return result;
}

/** Whether the folder `dir` holds the path `p` (or is it). */
function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Whether there was anything to clean. */
export function cleanedAnything(r: CleanResult): boolean {
  return r.worktrees.length + r.refs.length + r.entries.length + r.tempFiles > 0 || r.worker;
}
