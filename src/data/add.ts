/**
 * `mlp add`: tracks data files and directories outside the pipeline. The data goes into the
 * cache, a `<path>.mlp` pointer file records its hash (commit that to git), and the data itself
 * is git-ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { trackedPaths } from '../git/tracked.js';
import { specialFileError, type HashInfo, type StoreProgress } from '../hash/hash-path.js';
import { writePointer } from '../lock/pointer-file.js';
import { allOuts } from '../pipeline/dag.js';
import type { Repo } from '../repo/repo.js';
import type { RepoPath } from '../schema/repo-path.js';
import { danglingSymlinkTarget, isSameOrInside } from '../util/fs.js';

export interface AddResult {
  path: string;
  pointer: string;
  info: HashInfo;
}

/** `progress` hears of every file found and stored (the CLI shows it). */
export async function addPaths(repo: Repo, relPaths: readonly RepoPath[], progress?: StoreProgress): Promise<AddResult[]> {
  const outs = allOuts(repo.pipeline);
  for (const rel of relPaths) {
    const owner = outs.find((o) => isSameOrInside(rel, o.path) || isSameOrInside(o.path, rel));
    if (owner) {
      throw new MlpError(`${rel} overlaps output ${owner.path} of stage '${owner.stage}'`, {
        hint: 'stage outputs are tracked by pipeline.lock already; use `mlp commit` to record them',
      });
    }
    if (rel === '.' || rel.split('/')[0] === '.git' || rel.split('/')[0] === '.mlp' || rel.endsWith('.mlp')) {
      throw new MlpError(`cannot track ${rel}`, { hint: 'track data files or directories inside the repository' });
    }
    const abs = path.join(repo.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) {
      const target = danglingSymlinkTarget(abs);
      if (target !== undefined) {
        throw new MlpError(`${rel} is a dangling symlink (to ${target})`, { hint: 'mlp tracks the file a link points to: create it, or fix or remove the link' });
      }
      throw new MlpError(`${rel} does not exist`, { hint: 'check the path' });
    }
    // Checked before anything is added, so that one bad path leaves no half-done add.
    if (!stat.isFile() && !stat.isDirectory()) throw specialFileError(rel, stat);
  }
  const inGit = trackedPaths(repo.root, relPaths);
  if (inGit.length > 0) {
    throw new MlpError(`${inGit.join(', ')} ${inGit.length === 1 ? 'is' : 'are'} already tracked by git`, {
      hint: `stop tracking with git first: git rm -r --cached ${inGit.map((p) => `'${p}'`).join(' ')}`,
    });
  }
  const results: AddResult[] = [];
  for (const rel of relPaths) {
    const hashed = await repo.cache.hashAndSave(rel, undefined, undefined, progress);
    if (!hashed) throw new MlpError(`${rel} disappeared while being added`);
    const info: HashInfo = { hash: hashed.hash, size: hashed.size, ...(hashed.nfiles === undefined ? {} : { nfiles: hashed.nfiles }) };
    const pointer = writePointer(repo.root, { path: rel, info });
    repo.gitignore.ignore(rel);
    results.push({ path: rel, pointer, info });
  }
  return results;
}
