/**
 * Before a stage runs, its existing outputs are deleted (or overwritten by a run-cache restore).
 * This makes sure that costs the user nothing they cannot get back:
 *
 * - A cached output that git tracks is refused (`refuseGitTrackedOutputs`): mlp would delete
 *   the file, git-ignore it and keep it in two places. `cache: false` outputs are meant to be
 *   tracked by git, and are fine.
 * - Every existing output whose content is not in the cache is first saved to the cache, so that
 *   later checkouts (run-cache restore, restore after a failure, `mlp checkout`) replace only
 *   cached content. When it could not be had back any other way — it is not what pipeline.lock
 *   records, nor a git-tracked file without uncommitted changes — a record is written (see
 *   cache/saved.ts) and the run says where, and how to restore it.
 *
 * Saving rather than refusing the run is deliberate: an output is by definition something the
 * stage rewrites, so asking on every run would be the "annoying" prompt DVC decided against,
 * while deleting silently is what loses hand-made data. Saving costs a copy (or a hardlink) only
 * in the rare case of uncached content; outputs mlp produced itself are in the cache already.
 */
import { PipelineError } from '../errors.js';
import { runGit } from '../git/git.js';
import { trackedPaths, trackedPathsCached } from '../git/tracked.js';
import { writeSavedRecord } from '../cache/saved.js';
import type { HashInfo } from '../hash/hash-path.js';
import type { LockEntry } from '../lock/lockfile.js';
import { outputLocation } from '../pipeline/load.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import type { OutputSink } from '../executors/executor.js';

/**
 * Throws (exit 3, at the output's line in pipeline.yaml) if git tracks a cached output of one of
 * `stages`. One `git ls-files` for all of them, remembered until git's index changes.
 */
export function refuseGitTrackedOutputs(repo: Repo, stages: readonly Stage[]): void {
  const cached = stages.flatMap((s) => s.outs.filter((o) => o.cache).map((o) => ({ stage: s, out: o })));
  const tracked = new Set(trackedPathsCached(repo.root, [...new Set(cached.map((c) => c.out.path))], repo.parsedFiles));
  const first = cached.find((c) => tracked.has(c.out.path));
  if (!first) return;
  const { stage, out } = first;
  throw new PipelineError(`stage '${stage.name}': output '${out.path}' is tracked by git`, outputLocation(repo.pipeline, stage, out.kind), {
    hint: `outputs are deleted before their stage runs and then git-ignored; if git should keep it, declare it with \`cache: false\` (- ${out.path}: {cache: false}); if mlp should, stop tracking it with git: git rm --cached '${out.path}'`,
  });
}

export interface SavedOutput {
  path: string;
  info: HashInfo;
  /** Absolute path of the record that restores it. */
  record: string;
}

/**
 * Makes the existing outputs of `stage` safe to delete (see the module comment). `entry` is the
 * stage's current lock entry; `output` receives the warning for each output saved with a record.
 */
export async function saveUnsavedOutputs(repo: Repo, stage: Stage, entry: LockEntry | undefined, output?: OutputSink): Promise<SavedOutput[]> {
  refuseGitTrackedOutputs(repo, [stage]);
  const saved: SavedOutput[] = [];
  for (const out of stage.outs) {
    const now = repo.hasher.hash(out.path);
    if (!now || repo.workspace.isComplete(now)) continue;
    await repo.workspace.save(out.path, now); // fails if it changed since it was hashed
    const info: HashInfo = { hash: now.hash, size: now.size, ...(now.nfiles === undefined ? {} : { nfiles: now.nfiles }) };
    if (entry?.outs.some((o) => o.path === out.path && o.hash === now.hash)) continue;
    if (!out.cache && committedToGit(repo.root, out.path)) continue;
    const record = writeSavedRecord(repo.cacheDir, stage.name, out.path, info);
    saved.push({ path: out.path, info, record });
    if (output) {
      const rel = record.slice(repo.root.length + 1);
      const name = out.path.split('/').pop() as string;
      output.line(stage.name, 'stderr', `warning: ${out.path} was never cached (it is not what pipeline.lock records); saved it to the cache before the stage deletes it: ${rel}`);
      output.line(stage.name, 'stderr', `  to get it back: mkdir -p recovered && cp ${rel} recovered/ && mlp checkout recovered/${name}`);
    }
  }
  return saved;
}

/** Whether git tracks everything under `rel` and it has no uncommitted changes (nor untracked or ignored files). */
function committedToGit(root: string, rel: string): boolean {
  if (trackedPaths(root, [rel]).length === 0) return false;
  const status = runGit(root, ['--literal-pathspecs', 'status', '--porcelain', '-z', '--ignored', '--untracked-files=all', '--', rel]);
  return status.code === 0 && status.stdout.length === 0;
}
