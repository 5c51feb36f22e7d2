/**
 * Which workspace files a checkout would throw away. Making a path match a recorded hash
 * overwrites or deletes what is there; that is safe only for files whose content the cache
 * holds (they can be checked out again). Everything else is unsaved work: the user's edits, files
 * they put inside a tracked directory, a file where a directory belongs.
 */
import { ExitCode, MlpError } from '../errors.js';
import type { ManifestEntry, PathHash } from '../hash/hash-path.js';
import type { Sha256 } from '../schema/sha256.js';

/**
 * Repo-relative paths of the files under `rel` that making it match `target` would overwrite or
 * delete although `inCache` says their content is not saved. `now` is what the workspace holds
 * (undefined: nothing); `target` is the wanted directory's manifest, or undefined for a file.
 */
export function filesToDiscard(
  rel: string,
  now: PathHash | undefined,
  targetHash: Sha256,
  target: readonly ManifestEntry[] | undefined,
  inCache: (hash: Sha256) => boolean,
): string[] {
  if (!now || now.hash === targetHash) return [];
  if (!now.manifest) return inCache(now.hash) ? [] : [rel];
  // A directory is there: a file checkout removes all of it, a directory checkout what differs.
  const wanted = new Map<string, Sha256>((target ?? []).map((e) => [e.path, e.hash]));
  return now.manifest.filter((e) => wanted.get(e.path) !== e.hash && !inCache(e.hash)).map((e) => `${rel}/${e.path}`);
}

/**
 * Repository-relative paths of the files under `rel` (holding `now`) whose content the cache
 * lacks: what deleting `rel` would lose.
 */
export function filesToDelete(rel: string, now: PathHash, inCache: (hash: Sha256) => boolean): string[] {
  if (!now.manifest) return inCache(now.hash) ? [] : [rel];
  return now.manifest.filter((e) => !inCache(e.hash)).map((e) => `${rel}/${e.path}`);
}

/** A checkout of `path` was refused: it would discard `files`, whose content is not in the cache. */
export class UnsavedChangesError extends MlpError {
  constructor(
    readonly path: string,
    readonly files: readonly string[],
  ) {
    const what = files.length === 1 && files[0] === path ? 'its content is' : files.length === 1 ? '1 file in it is' : `${files.length} files in it are`;
    super(`${path}: not checked out: ${what} not saved in the cache, and checking it out would discard ${files.length === 1 ? 'it' : 'them'}`, {
      hint: 'record the changes first (`mlp add` / `mlp commit`), or discard them with --force',
      exitCode: ExitCode.unsavedChanges,
    });
    this.name = 'UnsavedChangesError';
  }
}
