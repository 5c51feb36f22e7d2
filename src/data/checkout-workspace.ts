/**
 * `mlp checkout`: makes the workspace match pipeline.lock and the pointer files (e.g. after
 * `git checkout`), restoring from the cache every output or tracked path that differs, and — a
 * whole-workspace checkout, as DVC's — removing the data mlp placed that nothing tracks any more
 * (tracked only on the branch that was left).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MissingObjectError } from '../cache/checkout.js';
import { UnsavedChangesError, filesToDelete } from '../cache/unsaved.js';
import { ExitCode, MlpError } from '../errors.js';
import { trackedPaths } from '../git/tracked.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { Pointer } from '../pointer/pointer-file.js';
import type { Repo } from '../repo/repo.js';
import { resolveTargets, type TargetOptions } from '../pipeline/targets.js';
import { SymlinkGuard, joinEntry, joinInside, type EntryPath, type RepoPath } from '../schema/repo-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { isSameOrInside, removePath } from '../util/fs.js';

export interface CheckoutItem {
  path: string;
  /** The stage or pointer file that records it. */
  source: string;
  /**
   * `unsaved`: left as it is, since checking it out (or removing it) would discard `files` (not
   * in the cache). `removed`: data mlp had placed that nothing tracks now, deleted.
   */
  outcome: 'unchanged' | 'restored' | 'missing' | 'failed' | 'unsaved' | 'removed';
  message?: string;
  files?: string[];
  /** Data that nothing tracks any more (tracked only on another branch): `source` names no file. */
  untracked?: true;
}

export interface CheckoutOptions extends Pick<TargetOptions, 'recursive' | 'glob'> {
  /** Overwrite and delete workspace files even when their content is not in the cache. */
  force?: boolean;
  /** Re-create the files from the cache with the configured link type even when they match. */
  relink?: boolean;
  /** Hears where the checkout is, before the first path and after each (the CLI shows it; must not throw). */
  onProgress?: (progress: CheckoutProgress) => void;
}

/** Recorded paths checked out so far and their bytes, of all those selected. */
export interface CheckoutProgress {
  paths: number;
  totalPaths: number;
  bytes: number;
  totalBytes: number;
}

/** The `source` of data that nothing tracks any more. */
export const NO_LONGER_TRACKED = '(no longer tracked)';

/**
 * What the lockfile and pointers say the workspace should hold, narrowed to `targets` (resolved by
 * src/pipeline/targets.ts): a stage selects its recorded outputs, a path the recorded outputs it
 * names, a pointer file or tracked path that tracked data.
 */
export function recordedPaths(repo: Repo, targets: readonly string[], options: Pick<TargetOptions, 'recursive' | 'glob'> = {}): RecordedPath[] {
  const pointers = repo.pointers();
  const fromStage = (name: string, only?: ReadonlySet<string>): RecordedPath[] => {
    const stage = repo.pipeline.stages.get(name);
    const entry = repo.lock.get(name);
    if (!stage || !entry) return [];
    const declared = new Map(stage.outs.map((o) => [o.path as string, o]));
    return entry.outs
      .filter((o) => declared.has(o.path) && (!only || only.has(o.path)))
      .map((out) => {
        const spec = declared.get(out.path);
        return { path: out.path, source: name, info: out, ...(spec?.push === false ? { noPush: true as const } : {}), ...(spec?.remote === undefined ? {} : { remote: spec.remote }) };
      });
  };
  const fromPointer = (p: Pointer): RecordedPath => ({ path: p.path, source: p.file, info: p.info, ...(p.remote === undefined ? {} : { remote: p.remote }) });
  if (targets.length === 0) {
    return [...[...repo.pipeline.stages.keys()].flatMap((name) => fromStage(name)), ...pointers.map(fromPointer)];
  }
  const selection = resolveTargets(repo.pipeline, targets, { ...options, tracked: pointers });
  const wanted: RecordedPath[] = selection.wholeStages.flatMap((name) => fromStage(name));
  for (const name of new Set(selection.outputs.map((o) => o.stage))) {
    if (selection.wholeStages.includes(name)) continue;
    wanted.push(...fromStage(name, new Set(selection.outputs.filter((o) => o.stage === name).map((o) => o.path))));
  }
  const files = new Set(selection.tracked.map((t) => t.file));
  for (const p of pointers) if (files.has(p.file)) wanted.push(fromPointer(p));
  if (wanted.length === 0) {
    throw new MlpError(`nothing is recorded yet for ${targets.join(', ')}`, {
      hint: 'run `mlp repro` (or `mlp commit`) to record the outputs of these stages',
      exitCode: ExitCode.usage,
    });
  }
  return wanted;
}

/**
 * Checks out every recorded path (or those of `targets`). A path that would lose unsaved work is
 * left untouched and reported as `unsaved` (unless `force`); the others are still checked out.
 */
export function checkoutWorkspace(repo: Repo, targets: readonly string[], options: CheckoutOptions = {}): CheckoutItem[] {
  const wanted = recordedPaths(repo, targets, options);
  const progress: CheckoutProgress = { paths: 0, totalPaths: wanted.length, bytes: 0, totalBytes: wanted.reduce((n, r) => n + r.info.size, 0) };
  options.onProgress?.({ ...progress });
  const items = wanted.map((item): CheckoutItem => {
    const checkedOut = checkoutOne(repo, item, options.force === true, options.relink === true);
    progress.paths++;
    progress.bytes += item.info.size;
    options.onProgress?.({ ...progress });
    return checkedOut;
  });
  // As DVC: only a checkout of everything removes what nothing tracks (a target names what to restore).
  return targets.length === 0 ? [...removeNoLongerTracked(repo, wanted, options.force === true), ...items] : items;
}

/**
 * Deletes the paths that mlp placed in the workspace (src/cache/placed-record.ts) and that
 * nothing tracks now — data of the branch that was left. A path is left alone when it is, holds
 * or lies inside anything the pipeline or a pointer file names (outputs recorded or declared,
 * dependencies), or files git tracks. Only content the cache holds is deleted (unless `force`):
 * a path with anything else is kept whole and reported as `unsaved`. Files `.mlpignore`
 * excludes from a directory are not part of its data and are never deleted.
 */
function removeNoLongerTracked(repo: Repo, wanted: readonly RecordedPath[], force: boolean): CheckoutItem[] {
  const placed = repo.placed;
  const overlaps = (names: readonly string[]) => ([p]: [string, unknown]): boolean => names.some((n) => isSameOrInside(p, n) || isSameOrInside(n, p));
  // The usual case — everything placed is still recorded — costs no more than this.
  const recorded = overlaps(wanted.map((w) => w.path));
  let candidates = placed.entries().filter((e) => !recorded(e));
  if (candidates.length === 0) return [];
  const named: string[] = [];
  for (const stage of repo.pipeline.stages.values()) named.push(...stage.outs.map((o) => o.path), ...stage.deps);
  for (const p of repo.pointers()) named.push(p.path, p.file);
  const declared = overlaps(named);
  candidates = candidates.filter((e) => !declared(e));
  if (candidates.length === 0) return [];
  const inGit = new Set(trackedPaths(repo.root, candidates.map(([p]) => p)));
  const guard = new SymlinkGuard(repo.root);
  const inCache = (h: Sha256): boolean => repo.objects.has(h);
  const items: CheckoutItem[] = [];
  for (const [rel] of candidates) {
    const item = { path: rel, source: NO_LONGER_TRACKED, untracked: true as const };
    if (inGit.has(rel)) {
      placed.forget(rel); // git owns it on this branch
      continue;
    }
    try {
      guard.check(rel);
    } catch (error) {
      // A symlink now leads the path outside the repository: nothing there is mlp's to delete.
      placed.forget(rel);
      items.push({ ...item, outcome: 'failed', message: error instanceof Error ? `${rel}: not removed: ${error.message}` : String(error) });
      continue;
    }
    const now = repo.hasher.hash(rel);
    if (!now) {
      placed.forget(rel);
      continue;
    }
    const unsaved = filesToDelete(rel, now, inCache);
    if (unsaved.length > 0 && !force) {
      // Kept in the record: `checkout --force` may still remove it.
      items.push({ ...item, outcome: 'unsaved', files: unsaved, message: `${rel}: not removed: its content is not saved in the cache` });
      continue;
    }
    deleteData(repo.root, rel, now.manifest?.map((e) => e.path), guard);
    placed.forget(rel);
    items.push({ ...item, outcome: 'removed' });
  }
  return items;
}

/**
 * Deletes file `rel`, or the `entries` of directory `rel` and then the directories left empty: files
 * `.mlpignore` keeps out of the data are not the data's to delete (checkout, `remove --outs`).
 */
export function deleteData(root: string, rel: RepoPath, entries: readonly EntryPath[] | undefined, guard: SymlinkGuard): void {
  const abs = joinInside(root, rel);
  if (entries === undefined) {
    removePath(abs);
    return;
  }
  for (const entry of entries) {
    const entryRel = joinEntry(rel, entry);
    guard.check(entryRel);
    removePath(path.join(abs, entry));
  }
  pruneEmptyDirectories(abs);
}

/** Removes `dir` and its subdirectories that hold nothing (after their data was deleted). */
function pruneEmptyDirectories(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) pruneEmptyDirectories(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty: files `.mlpignore` excludes (never part of the data), or new ones.
  }
}

function checkoutOne(repo: Repo, { path, source, info }: RecordedPath, force: boolean, relink: boolean): CheckoutItem {
  try {
    return { path, source, outcome: repo.workspace.checkout(path, info, undefined, force, undefined, relink) };
  } catch (error) {
    if (error instanceof UnsavedChangesError) return { path, source, outcome: 'unsaved', files: [...error.files], message: error.message };
    // A file that tries to reach outside the repository stops the checkout (exit 3).
    if (!(error instanceof MlpError) || error.exitCode === ExitCode.invalidPipeline) throw error;
    return { path, source, outcome: error instanceof MissingObjectError ? 'missing' : 'failed', message: error.message };
  }
}
