/**
 * Repositories for unit tests of the core (no CLI): a temp git repository with `.mlp/` made by
 * `Repo.init`, opened as a `Repo`. Every directory made here is removed by `removeCoreRepos()`
 * (call it in afterEach).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Repo } from '../../src/repo/repo.js';
import { toRepoPath, type RepoPath } from '../../src/schema/repo-path.js';
import { git, tempDir, writeFiles } from './cli.js';

const made: string[] = [];

export interface CoreRepo {
  /** The temp directory holding the repository (and anything "outside" it a test needs). */
  base: string;
  root: string;
  repo: Repo;
}

/** A git repository (unless `withGit` is false) at `base/repo` with `.mlp/` and `files` committed. */
export function coreRepo(files: Record<string, string> = {}, withGit = true): CoreRepo {
  const base = tempDir('mlp-core-');
  made.push(base);
  const root = path.join(base, 'repo');
  fs.mkdirSync(root);
  if (withGit) {
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'config', 'user.email', 'test@example.com');
    git(root, 'config', 'user.name', 'Test');
    git(root, 'config', 'commit.gpgsign', 'false');
  }
  const { repo } = Repo.init(root);
  writeFiles(root, files);
  if (withGit) commitAll(root, 'initial');
  return { base, root, repo };
}

export function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', message, '--allow-empty');
}

/** A fresh `Repo` on the same root (what the next command would see). */
export function reopen(r: CoreRepo): Repo {
  r.repo.close();
  r.repo = new Repo(r.root);
  return r.repo;
}

export const P = (p: string): RepoPath => toRepoPath(p);

export function removeCoreRepos(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
