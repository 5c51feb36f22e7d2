/**
 * When and how stage execution uses the run-cache: the key of a run — (cmd, dep hashes, params,
 * declared outs) — and the outputs it produced, so that a stale stage whose key was seen before
 * gets its outputs checked out from the cache instead of running (switching branches back and
 * forth costs nothing). Where entries live is src/cache/run-cache.ts's business.
 *
 * Which stages may use it follows DVC 3 (`_can_hash` in dvc/stage/cache.py): not a stage that is
 * always changed, has no deps (nor params, which DVC counts as deps) or no outs, or has a `persist` output (its content is accumulated
 * across runs, so no single run's result may replace it). Outputs with `cache: false` take part
 * (their content is stored in the cache too) and are restored as private copies, like files git
 * tracks.
 *
 * An entry must record exactly the outputs the stage declares: a damaged or crafted entry is a
 * located error, never a write outside the stage's outputs.
 */
import { PipelineError, fileSystemError } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { LockedPath } from '../lock/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import type { Sha256 } from '../schema/sha256.js';
import { canonicalJson, isCallbackStage, lockedDeps, type StageCheck } from './staleness.js';

/** Why stage `stage` never uses the run-cache (neither saves to it nor restores from it), if it does not. */
export function runCacheExclusion(stage: Stage): 'always-changed' | 'no-deps' | 'no-outs' | 'persist' | undefined {
  if (stage.alwaysChanged) return 'always-changed';
  if (isCallbackStage(stage)) return 'no-deps'; // params count as deps, as in DVC
  if (stage.outs.length === 0) return 'no-outs';
  if (stage.outs.some((o) => o.persist)) return 'persist';
  return undefined;
}

export function runCacheKey(stage: Stage, check: StageCheck): Sha256 {
  return hashBytes(
    canonicalJson({
      cmd: stage.cmd,
      wdir: stage.wdir,
      deps: lockedDeps(check).map((d) => [d.path, d.hash]),
      params: check.params,
      outs: stage.outs.map((o) => o.path).sort(),
    }),
  );
}

/**
 * Records a run of `stage`, when the stage may use the run-cache. The run-cache is an
 * optimisation: when the entry cannot be written (a read-only or full cache) the stage's result
 * still stands — pipeline.lock records it — so this returns a warning for the caller to show
 * instead of throwing.
 */
export function saveRun(repo: Repo, stage: Stage, check: StageCheck, outs: LockedPath[]): string | undefined {
  if (runCacheExclusion(stage) !== undefined) return undefined;
  try {
    repo.runCache.write(runCacheKey(stage, check), outs);
    return undefined;
  } catch (error) {
    const fsError = fileSystemError(error);
    if (!fsError) throw error;
    return `could not save its run-cache entry (${fsError.message}); pipeline.lock records the result, but the run-cache will not restore it later`;
  }
}

/**
 * Outputs recorded for this run of `stage`, if it may use the run-cache, an entry exists and
 * every object it needs is still in the cache.
 */
export function lookupRun(repo: Repo, stage: Stage, check: StageCheck): LockedPath[] | undefined {
  if (runCacheExclusion(stage) !== undefined) return undefined;
  const key = runCacheKey(stage, check);
  const outs = repo.runCache.read(key);
  if (outs === undefined) return undefined;
  const declared = new Set<string>(stage.outs.map((o) => o.path));
  const recorded = new Set<string>(outs.map((o) => o.path));
  const stray = outs.find((o) => !declared.has(o.path));
  if (stray !== undefined || recorded.size !== declared.size || outs.length !== recorded.size) {
    throw new PipelineError(
      stray !== undefined
        ? `this run-cache entry records output ${stray.path}, which stage '${stage.name}' does not declare`
        : `this run-cache entry does not record exactly the outputs stage '${stage.name}' declares`,
      { file: repo.runCache.label(key) },
      { hint: 'delete the entry (mlp writes it again the next time the stage runs), or run with --no-run-cache' },
    );
  }
  try {
    return outs.every((o) => repo.workspace.isComplete(o)) ? outs : undefined;
  } catch (error) {
    if (error instanceof PipelineError) throw error; // an invalid manifest: say so
    return undefined;
  }
}
