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
import { writePointer } from '../pointer/pointer-file.js';
import { allOuts } from '../pipeline/dag.js';
import type { Repo } from '../repo/repo.js';
import type { RepoPath } from '../schema/repo-path.js';
import { danglingSymlinkTarget, isSameOrInside } from '../util/fs.js';

/** The first of `rel` and its parent directories that is a symlink to a directory, if any. */
function symlinkedDirectory(root: string, rel: string): string | undefined {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    const abs = path.join(root, prefix);
    const lstat = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (!lstat?.isSymbolicLink()) continue;
    if (fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) return prefix;
  }
  return undefined;
}

export interface AddResult {
  path: string;
  pointer: string;
  info: HashInfo;
}

/** `progress` hears of every file found and stored (the CLI shows it). */
export async function addPaths(repo: Repo, relPaths: readonly RepoPath[], progress?: StoreProgress): Promise<AddResult[]> {
  // What can never be data comes first: it is about the argument, not about the repository's files.
  for (const rel of relPaths) {
    if (rel === '.' || rel.split('/')[0] === '.git' || rel.split('/')[0] === '.mlp' || rel.endsWith('.mlp')) {
      throw new MlpError(`cannot track ${rel}`, { hint: 'track data files or directories inside the repository' });
    }
  }
  const outs = allOuts(repo.pipeline);
  const tracked = repo.pointers();
  for (const rel of relPaths) {
    // As DVC: data is tracked by one pointer only. Re-adding the same path updates its pointer.
    const overlap = tracked.find((p) => p.path !== rel && (isSameOrInside(rel, p.path) || isSameOrInside(p.path, rel)));
    if (overlap) {
      const inside = isSameOrInside(rel, overlap.path);
      throw new MlpError(`${rel} ${inside ? 'is inside' : 'contains'} ${overlap.path}, already tracked by ${overlap.file}`, {
        hint: inside
          ? `re-add the whole directory after changing it: mlp add ${overlap.path}`
          : `stop tracking it first (remove ${overlap.file} and ${overlap.path} from .gitignore), then add ${rel}`,
      });
    }
    const other = relPaths.find((p) => p !== rel && isSameOrInside(rel, p));
    if (other) throw new MlpError(`${rel} is inside ${other}, which is added too`, { hint: `add only ${other}` });
    const link = symlinkedDirectory(repo.root, rel);
    if (link !== undefined) {
      throw new MlpError(`${link === rel ? `${rel} is` : `${rel} is inside ${link}, which is`} a symlink to a directory`, {
        hint: 'mlp (as DVC) does not track data through a symlinked directory: add the directory it points to, inside the repository',
      });
    }
    const owner = outs.find((o) => isSameOrInside(rel, o.path) || isSameOrInside(o.path, rel));
    if (owner) {
      throw new MlpError(`${rel} overlaps output ${owner.path} of stage '${owner.stage}'`, {
        hint: 'stage outputs are tracked by pipeline.lock already; use `mlp commit` to record them',
      });
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
    const hashed = await repo.workspace.hashAndSave(rel, undefined, undefined, progress);
    if (!hashed) throw new MlpError(`${rel} disappeared while being added`);
    const info: HashInfo = { hash: hashed.hash, size: hashed.size, ...(hashed.nfiles === undefined ? {} : { nfiles: hashed.nfiles }) };
    // Re-adding keeps the remote the pointer names (as DVC keeps an out's `remote:`).
    const remote = tracked.find((p) => p.path === rel)?.remote;
    const pointer = writePointer(repo.root, { path: rel, info, ...(remote === undefined ? {} : { remote }) });
    repo.gitignore.ignore(rel);
    results.push({ path: rel, pointer, info });
  }
  return results;
}
