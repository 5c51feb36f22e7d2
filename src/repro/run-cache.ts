/**
 * The run-cache maps what a stage ran with — (cmd, dep hashes, params, declared outs) — to the
 * outputs it produced, in `.mlp/cache/runs/`. A stale stage whose key was seen before gets its
 * outputs checked out from the cache instead of running, so switching branches back and forth
 * costs nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileSystemError } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { LockedPath } from '../lock/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { writeFileAtomic } from '../util/fs.js';
import { canonicalJson, lockedDeps, type StageCheck } from './staleness.js';

export function runCacheKey(stage: Stage, check: StageCheck): string {
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

function entryPath(repo: Repo, key: string): string {
  return path.join(repo.cacheDir, 'runs', key.slice(0, 2), key.slice(2));
}

/**
 * Records a run. The run-cache is an optimisation: when the entry cannot be written (a read-only
 * or full cache) the stage's result still stands — pipeline.lock records it — so this returns a
 * warning for the caller to show instead of throwing.
 */
export function saveRun(repo: Repo, key: string, outs: LockedPath[]): string | undefined {
  try {
    writeFileAtomic(entryPath(repo, key), `${JSON.stringify({ outs })}\n`);
    return undefined;
  } catch (error) {
    const fsError = fileSystemError(error);
    if (!fsError) throw error;
    return `could not save its run-cache entry (${fsError.message}); pipeline.lock records the result, but the run-cache will not restore it later`;
  }
}

/** Outputs recorded for `key`, if every object they need is still in the cache. */
export function lookupRun(repo: Repo, key: string): LockedPath[] | undefined {
  let outs: LockedPath[];
  try {
    outs = (JSON.parse(fs.readFileSync(entryPath(repo, key), 'utf8')) as { outs: LockedPath[] }).outs;
  } catch {
    return undefined;
  }
  try {
    return outs.every((o) => repo.cache.isComplete(o)) ? outs : undefined;
  } catch {
    return undefined;
  }
}
