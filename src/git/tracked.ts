/**
 * Which paths git tracks. A git-tracked file must not be a cached output or data added with
 * `mlp add`: mlp would delete it before a run, git-ignore it and keep it in two places.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSameOrInside } from '../util/fs.js';
import type { ParseCache } from '../util/parse-cache.js';
import { fingerprint } from '../util/stat-signature.js';
import { runGit } from './git.js';

/** Of `relPaths` (repository-relative), those that git tracks or that hold files git tracks; none outside git. */
export function trackedPaths(root: string, relPaths: readonly string[]): string[] {
  if (relPaths.length === 0) return [];
  // Literal pathspecs: an output named `data[1]` or `*.csv` is a file name, not a pattern.
  const result = runGit(root, ['--literal-pathspecs', 'ls-files', '-z', '--', ...relPaths]);
  if (result.code !== 0) return [];
  const files = result.stdout.toString('utf8').split('\0').filter(Boolean);
  return relPaths.filter((p) => files.some((f) => isSameOrInside(f, p)));
}

/**
 * `trackedPaths`, remembered in the parse cache until git's index (or the set of paths) changes,
 * so that a command that checks every run (repro) does not start git each time. Without a git
 * repository nothing is tracked and git is not started at all.
 */
export function trackedPathsCached(root: string, relPaths: readonly string[], cache: ParseCache): string[] {
  if (relPaths.length === 0) return [];
  const index = gitIndexFile(root);
  if (index === null) return [];
  if (index === undefined) return trackedPaths(root, relPaths);
  const paths = [...relPaths].sort();
  const key = `git-tracked:${root}`;
  // The answer for a superset answers a subset too: repro asks for all outputs, then per stage.
  const hit = cache.get<{ paths: string[]; tracked: string[] }>(key);
  if (hit) {
    const asked = new Set(hit.paths);
    if (paths.every((p) => asked.has(p))) {
      const tracked = new Set(hit.tracked);
      return paths.filter((p) => tracked.has(p));
    }
  }
  const before = fingerprint([index]);
  const tracked = trackedPaths(root, paths);
  cache.set(key, [index], before, { paths, tracked });
  return tracked;
}

/**
 * The index file of the git repository around `root`: null when there is no repository,
 * undefined when it cannot be told without asking git (GIT_DIR/GIT_INDEX_FILE set, an odd
 * `.git` file).
 */
function gitIndexFile(root: string): string | null | undefined {
  if (process.env.GIT_DIR !== undefined || process.env.GIT_INDEX_FILE !== undefined || process.env.GIT_WORK_TREE !== undefined) return undefined;
  for (let dir = root; ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git');
    const stat = fs.statSync(dotGit, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return path.join(dotGit, 'index');
    if (stat?.isFile()) {
      // A worktree or submodule: `gitdir: <path>`.
      const match = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
      return match?.[1] ? path.join(path.resolve(dir, match[1].trim()), 'index') : undefined;
    }
    if (path.dirname(dir) === dir) return null;
  }
}
