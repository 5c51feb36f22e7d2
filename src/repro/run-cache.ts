/**
 * The run-cache maps what a stage ran with — (cmd, dep hashes, params, declared outs) — to the
 * outputs it produced, in `.mlp/cache/runs/`. A stale stage whose key was seen before gets its
 * outputs checked out from the cache instead of running, so switching branches back and forth
 * costs nothing.
 *
 * An entry names the paths a restore writes to, and entries also arrive from remotes
 * (`--run-cache`), so each is validated when read (src/schema/run-entry.ts) and must record
 * exactly the outputs the stage declares: a damaged or crafted entry is a located error, never
 * a write outside the stage's outputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError, errorCode, fileSystemError } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { LockedPath } from '../lock/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { parseRunEntry } from '../schema/run-entry.js';
import type { Sha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';
import { canonicalJson, lockedDeps, type StageCheck } from './staleness.js';

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

function entryPath(repo: Repo, key: Sha256): string {
  return path.join(repo.cacheDir, 'runs', key.slice(0, 2), key.slice(2));
}

/**
 * Records a run. The run-cache is an optimisation: when the entry cannot be written (a read-only
 * or full cache) the stage's result still stands — pipeline.lock records it — so this returns a
 * warning for the caller to show instead of throwing.
 */
export function saveRun(repo: Repo, key: Sha256, outs: LockedPath[]): string | undefined {
  try {
    writeFileAtomic(entryPath(repo, key), `${JSON.stringify({ outs })}\n`);
    return undefined;
  } catch (error) {
    const fsError = fileSystemError(error);
    if (!fsError) throw error;
    return `could not save its run-cache entry (${fsError.message}); pipeline.lock records the result, but the run-cache will not restore it later`;
  }
}

/** Reads and validates run-cache entry `file`; undefined if there is none. */
export function readRunEntry(repo: Repo, file: string): LockedPath[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  return parseRunEntry(text, path.relative(repo.root, file).split(path.sep).join('/'));
}

/** Outputs recorded for `key`, if every object they need is still in the cache. */
export function lookupRun(repo: Repo, stage: Stage, key: Sha256): LockedPath[] | undefined {
  const file = entryPath(repo, key);
  const outs = readRunEntry(repo, file);
  if (outs === undefined) return undefined;
  const declared = new Set<string>(stage.outs.map((o) => o.path));
  const recorded = new Set<string>(outs.map((o) => o.path));
  const stray = outs.find((o) => !declared.has(o.path));
  if (stray !== undefined || recorded.size !== declared.size || outs.length !== recorded.size) {
    throw new PipelineError(
      stray !== undefined
        ? `this run-cache entry records output ${stray.path}, which stage '${stage.name}' does not declare`
        : `this run-cache entry does not record exactly the outputs stage '${stage.name}' declares`,
      { file: path.relative(repo.root, file).split(path.sep).join('/') },
      { hint: 'delete the entry (mlp writes it again the next time the stage runs), or run with --no-run-cache' },
    );
  }
  try {
    return outs.every((o) => repo.cache.isComplete(o)) ? outs : undefined;
  } catch (error) {
    if (error instanceof PipelineError) throw error; // an invalid manifest: say so
    return undefined;
  }
}
