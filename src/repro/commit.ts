/**
 * Recording a stage's results: its outputs are hashed and stored in the cache (outputs with
 * `cache: false` too, so the run-cache can restore them; they stay tracked by git), cached
 * outputs are git-ignored, and a lock entry is built from what the stage ran with.
 */
import path from 'node:path';
import { MlpError } from '../errors.js';
import type { LockEntry, LockedPath } from '../lock/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { danglingSymlinkTarget } from '../util/fs.js';
import { lockedDeps, type StageCheck } from './staleness.js';

/** A stage succeeded but one of its declared outputs is not there. */
export class OutputMissingError extends MlpError {
  constructor(
    readonly stage: string,
    readonly path: string,
  ) {
    super(`stage '${stage}' did not create its output ${path}`, {
      hint: `make the command write ${path}, or remove it from the stage's outs`,
    });
    this.name = 'OutputMissingError';
  }
}

export async function commitOutputs(repo: Repo, stage: Stage): Promise<LockedPath[]> {
  const outs: LockedPath[] = [];
  for (const out of stage.outs) {
    // Outputs git tracks are stored by copy, as DVC does: linking would make the workspace file
    // the cache's read-only object.
    const hashed = await repo.workspace.hashAndSave(out.path, undefined, out.cache ? undefined : 'copy');
    if (!hashed) {
      const target = danglingSymlinkTarget(path.join(repo.root, out.path));
      if (target !== undefined) {
        throw new MlpError(`its output ${out.path} is a dangling symlink (to ${target})`, {
          hint: `mlp stores the file a link points to: make the command create ${target} too, or write ${out.path} as a file`,
        });
      }
      throw new OutputMissingError(stage.name, out.path);
    }
    if (out.cache) repo.gitignore.ignore(out.path);
    const locked: LockedPath = { path: out.path, hash: hashed.hash, size: hashed.size };
    if (hashed.nfiles !== undefined) locked.nfiles = hashed.nfiles;
    outs.push(locked);
  }
  return outs;
}

export function lockEntryFor(stage: Stage, check: StageCheck, outs: LockedPath[]): LockEntry {
  return { cmd: stage.cmd, deps: lockedDeps(check), params: check.params, outs };
}
