/**
 * `mlp remove` and `mlp move` (DVC's `remove` and `move`). Remove stops tracking: a pointer file
 * is deleted, or a stage leaves pipeline.yaml and pipeline.lock; the cache keeps every object (gc
 * decides about those), and the workspace data stays unless `outs` asks to delete it — then only
 * content the cache holds is deleted, unless `force`. Move renames tracked data together with its
 * pointer file and .gitignore line; nothing is copied or deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsavedChangesError, filesToDelete } from '../cache/unsaved.js';
import { ExitCode, MlpError } from '../errors.js';
import { pointerFileFor, writePointer, type Pointer } from '../pointer/pointer-file.js';
import { definitionOf, PipelineFileEditor } from '../pipeline/edit.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import { namedStages, resolveTargets } from '../pipeline/targets.js';
import type { Repo } from '../repo/repo.js';
import { SymlinkGuard, joinInside, type RepoPath } from '../schema/repo-path.js';
import { isSameOrInside } from '../util/fs.js';
import { deleteData } from './checkout-workspace.js';

export interface RemoveOptions {
  /** Also delete the outputs / tracked data from the workspace. */
  outs?: boolean;
  /** With `outs`: delete even content that is not in the cache. */
  force?: boolean;
}

export interface RemoveResult {
  /** The pointer file, or the stage (group) name as written in its pipeline file. */
  target: string;
  kind: 'pointer' | 'stage';
  /** Workspace paths deleted (with `outs`). */
  deleted: string[];
}

/**
 * Removes each target: a pointer file (or the data it tracks), or a stage (a whole foreach/matrix
 * group by its name). Everything is checked before anything changes: an unknown target, or
 * outputs with unsaved content, leave the repository as it was.
 */
export function removeTargets(repo: Repo, targets: readonly string[], options: RemoveOptions = {}): RemoveResult[] {
  const pointers = repo.pointers();
  const pointerPlan: Pointer[] = [];
  const stagePlan: { key: string; file: string; stages: string[] }[] = [];
  for (const target of targets) {
    if (namedStages(repo.pipeline, target).length > 0) {
      const { key, file, stages } = definitionOf(repo.pipeline, target);
      if (stagePlan.some((s) => s.key === key && s.file === file)) continue;
      stagePlan.push({ key, file, stages });
      continue;
    }
    const selection = resolveTargets(repo.pipeline, [target], { tracked: pointers });
    const named = selection.tracked.filter((t) => t.file === repo.relativeOrRoot(target) || t.path === repo.relativeOrRoot(target));
    if (named.length === 0) {
      throw new MlpError(`${target} is neither a stage nor a pointer file (or the data one tracks)`, {
        hint: selection.outputs.length > 0 ? `it is an output of stage '${selection.outputs[0]?.stage}': remove that stage instead` : 'name a stage or a .mlp file',
        exitCode: ExitCode.usage,
      });
    }
    for (const t of named) pointerPlan.push(pointers.find((p) => p.file === t.file) as Pointer);
  }

  // Which workspace paths go, and that none of them holds content the cache lacks.
  const outsOf = (stages: readonly string[]): RepoPath[] =>
    stages.flatMap((n) => (repo.pipeline.stages.get(n)?.outs ?? []).filter((o) => o.cache).map((o) => o.path));
  const doomed = options.outs ? [...pointerPlan.map((p) => p.path), ...stagePlan.flatMap((s) => outsOf(s.stages))] : [];
  if (!options.force) for (const rel of doomed) refuseUnsaved(repo, rel);
  // Every check before the first change: a symlink that leads outside stops the command with nothing done.
  const guard = new SymlinkGuard(repo.root);
  for (const rel of doomed) guard.check(rel);

  const results: RemoveResult[] = [];
  const deleteFromWorkspace = (rel: RepoPath): string[] => {
    const abs = joinInside(repo.root, rel);
    if (!fs.existsSync(abs) && !isLink(abs)) return [];
    const stat = fs.lstatSync(abs);
    deleteData(repo.root, rel, stat.isDirectory() ? (repo.hasher.hash(rel)?.manifest ?? []).map((e) => e.path) : undefined, guard);
    return [rel];
  };
  for (const pointer of pointerPlan) {
    fs.rmSync(joinInside(repo.root, pointer.file), { force: true });
    repo.gitignore.unignore(pointer.path);
    // Data the user keeps is theirs now: a later `mlp checkout` must not remove it as "no longer tracked".
    repo.placed.forget(pointer.path);
    results.push({ target: pointer.file, kind: 'pointer', deleted: options.outs ? deleteFromWorkspace(pointer.path) : [] });
  }
  const editors = new Map<string, PipelineFileEditor>();
  for (const s of stagePlan) {
    let editor = editors.get(s.file);
    if (!editor) editors.set(s.file, (editor = new PipelineFileEditor(repo.root, s.file)));
    editor.removeStage(s.key);
    for (const name of s.stages) repo.lock.delete(name);
    const outs = outsOf(s.stages);
    for (const out of outs) {
      repo.gitignore.unignore(out);
      repo.placed.forget(out);
    }
    results.push({ target: s.key, kind: 'stage', deleted: options.outs ? outs.flatMap(deleteFromWorkspace) : [] });
  }
  for (const editor of editors.values()) editor.save();
  if (stagePlan.length > 0) repo.lock.save();
  return results;
}

function isLink(abs: string): boolean {
  return fs.lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() === true;
}

/** Deleting `rel` must not lose content the cache lacks (src/cache/unsaved.ts decides which). */
function refuseUnsaved(repo: Repo, rel: RepoPath): void {
  const now = repo.hasher.hash(rel);
  const files = now ? filesToDelete(rel, now, (h) => repo.objects.has(h)) : [];
  if (files.length > 0) {
    const error = new UnsavedChangesError(rel, files);
    throw new MlpError(`${rel}: not removed: ${files.length === 1 && files[0] === rel ? 'its content is' : `${files.length} file(s) in it are`} not saved in the cache`, {
      hint: 'record it first (`mlp commit`), or delete it anyway with --force',
      exitCode: error.exitCode,
    });
  }
}

export interface MoveResult {
  from: RepoPath;
  to: RepoPath;
  pointerFrom: RepoPath;
  pointerTo: RepoPath;
}

/**
 * Moves data tracked by a pointer file (`src` names the data or its pointer) to `dst` (into it,
 * when `dst` is an existing directory). Stage outputs are declared in pipeline.yaml: they are
 * renamed there, not here.
 */
export function moveTracked(repo: Repo, src: string, dst: string): MoveResult {
  const pointers = repo.pointers();
  const srcRel = repo.relative(src.endsWith(POINTER_SUFFIX) ? src.slice(0, -POINTER_SUFFIX.length) : src);
  const pointer = pointers.find((p) => p.path === srcRel);
  if (!pointer) {
    const producer = [...repo.pipeline.stages.values()].find((s) => s.outs.some((o) => isSameOrInside(srcRel, o.path)));
    throw new MlpError(`${src} is not data tracked by a .mlp file`, {
      hint: producer ? `it is an output of stage '${producer.name}': change the path in ${producer.location.file}` : 'track it first with `mlp add`, or use `git mv` for files git tracks',
      exitCode: ExitCode.usage,
    });
  }
  let to = repo.relative(dst);
  const dstAbs = joinInside(repo.root, to);
  if (fs.statSync(dstAbs, { throwIfNoEntry: false })?.isDirectory() && !isSameOrInside(to, srcRel)) {
    to = repo.relative(path.join(dstAbs, path.posix.basename(srcRel)), repo.root);
  }
  if (to === srcRel) throw new MlpError(`${src} is already at ${to}`, { exitCode: ExitCode.usage });
  if (isSameOrInside(to, srcRel)) throw new MlpError(`cannot move ${srcRel} into itself (${to})`, { exitCode: ExitCode.usage });
  if (fs.lstatSync(joinInside(repo.root, to), { throwIfNoEntry: false })) {
    throw new MlpError(`${to} already exists`, { hint: 'move it away first, or choose another destination', exitCode: ExitCode.usage });
  }
  const clash = pointers.find((p) => p !== pointer && (isSameOrInside(to, p.path) || isSameOrInside(p.path, to)));
  const output = [...repo.pipeline.stages.values()].flatMap((s) => s.outs.map((o) => ({ stage: s.name, path: o.path }))).find((o) => isSameOrInside(to, o.path) || isSameOrInside(o.path, to));
  if (clash || output) {
    throw new MlpError(`${to} overlaps ${clash ? `data tracked by ${clash.file}` : `output ${output?.path} of stage '${output?.stage}'`}`, { exitCode: ExitCode.usage });
  }
  const guard = new SymlinkGuard(repo.root);
  guard.check(srcRel);
  guard.check(to);
  const fromAbs = joinInside(repo.root, srcRel);
  fs.mkdirSync(path.dirname(joinInside(repo.root, to)), { recursive: true });
  if (fs.lstatSync(fromAbs, { throwIfNoEntry: false })) fs.renameSync(fromAbs, joinInside(repo.root, to));
  const { file: _file, ...moved } = pointer;
  const pointerTo = writePointer(repo.root, { ...moved, path: to });
  repo.placed.forget(srcRel);
  repo.placed.note(to, pointer.info.hash);
  if (pointerTo !== pointer.file) fs.rmSync(joinInside(repo.root, pointer.file), { force: true });
  repo.gitignore.unignore(srcRel);
  repo.gitignore.ignore(to);
  return { from: srcRel, to, pointerFrom: pointer.file, pointerTo: pointerFileFor(to) };
}
