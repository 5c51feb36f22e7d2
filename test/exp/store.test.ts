/** Experiments as commits under refs/exps: saved without touching the branch, HEAD, index or stash. */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { GitRepo } from '../../src/git/git.js';
import {
  branchExperiment,
  experimentNameProblem,
  experimentRef,
  findExperiment,
  generatedName,
  listExperiments,
  removeExperiments,
  resolveExperimentOrRevision,
  saveExperiment,
} from '../../src/exp/store.js';
import { git, tempDir, writeFiles } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function repo(commit = true): string {
  const dir = tempDir();
  dirs.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@example.com');
  git(dir, 'config', 'user.name', 'T');
  git(dir, 'config', 'commit.gpgsign', 'false');
  writeFiles(dir, { 'params.yaml': 'lr: 0.1\n', '.gitignore': 'out/\n', 'code.py': 'print(1)\n' });
  if (commit) {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
  }
  return dir;
}

const tmp = (dir: string): string => path.join(dir, '.mlp', 'tmp');

/** Everything of git's state that saving must leave alone. */
function gitState(dir: string): { head: string; branch: string; branches: string; cached: string; stash: string; status?: string } {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    branch: git(dir, 'symbolic-ref', 'HEAD'),
    branches: git(dir, 'for-each-ref', 'refs/heads'),
    cached: git(dir, 'diff', '--cached'),
    status: git(dir, 'status', '--porcelain'),
    stash: git(dir, 'stash', 'list'),
  };
}

describe('experiment names', () => {
  test('one ref component by git check-ref-format rules', () => {
    for (const ok of ['lr-0.01', 'a_b', 'Run.3', 'x@y']) expect(experimentNameProblem(ok)).toBeUndefined();
    for (const bad of ['', 'a/b', 'a b', 'a..b', '.hidden', '-x', 'x.', 'x.lock', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '@', 'a@{1}', 'tab\t']) {
      expect(experimentNameProblem(bad)).toBeDefined();
    }
  });

  test('generated names are readable and the same for the same commit', () => {
    const sha = 'f3a9c0d2b1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
    expect(generatedName(sha)).toMatch(/^[a-z]+-[a-z]+$/);
    expect(generatedName(sha)).toBe(generatedName(sha));
    expect(generatedName(sha, 1)).not.toBe(generatedName(sha));
    expect(experimentNameProblem(generatedName(sha))).toBeUndefined();
  });
});

describe('saveExperiment', () => {
  test('a commit on top of HEAD under refs/exps; branch, HEAD, index, staged changes and stash untouched; mlp files in, other untracked files out', () => {
    const dir = repo();
    // A stash, a staged change, an unstaged change, an untracked file and an ignored output.
    writeFiles(dir, { 'code.py': 'print(2)\n' });
    git(dir, 'stash', '-q');
    writeFiles(dir, { 'code.py': 'print(3)\n' });
    git(dir, 'add', 'code.py');
    writeFiles(dir, { 'params.yaml': 'lr: 0.5\n', 'metrics.json': '{"acc": 0.9}\n', 'out/model.bin': 'big', 'scratch/raw.csv': 'x\n' });
    const before = gitState(dir);
    const baseline = before.head.trim();

    const exp = saveExperiment(dir, { name: 'first', tmpDir: tmp(dir), include: ['metrics.json'] });
    expect(gitState(dir)).toEqual(before);
    expect(exp.ref).toBe(experimentRef(baseline, 'first'));
    expect(exp.ref).toBe(`refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/first`);
    expect(git(dir, 'rev-parse', exp.ref).trim()).toBe(exp.commit);
    expect(git(dir, 'rev-parse', `${exp.commit}^`).trim()).toBe(baseline);
    // The workspace as it is: staged and unstaged changes, untracked files; not ignored outputs.
    expect(git(dir, 'show', `${exp.commit}:params.yaml`)).toBe('lr: 0.5\n');
    expect(git(dir, 'show', `${exp.commit}:code.py`)).toBe('print(3)\n');
    expect(git(dir, 'show', `${exp.commit}:metrics.json`)).toBe('{"acc": 0.9}\n');
    expect(git(dir, 'ls-tree', '-r', '--name-only', exp.commit)).not.toContain('out/');
    // Untracked files mlp does not name are left out, and said so (a dataset nobody added must not land in git).
    expect(git(dir, 'ls-tree', '-r', '--name-only', exp.commit)).not.toContain('scratch/');
    expect(exp.leftOut).toEqual(['scratch/raw.csv']);
    // The private index is gone.
    expect(fs.readdirSync(tmp(dir))).toEqual([]);
  });

  test('a taken name is refused unless forced; generated names avoid taken ones', () => {
    const dir = repo();
    const first = saveExperiment(dir, { name: 'x', tmpDir: tmp(dir), include: ['metrics.json'] });
    writeFiles(dir, { 'params.yaml': 'lr: 0.2\n' });
    const error = thrownMlpError(() => saveExperiment(dir, { name: 'x', tmpDir: tmp(dir), include: ['metrics.json'] }));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toContain("'x' already exists");
    expect(git(dir, 'rev-parse', first.ref).trim()).toBe(first.commit);
    const replaced = saveExperiment(dir, { name: 'x', force: true, tmpDir: tmp(dir), include: ['metrics.json'] });
    expect(git(dir, 'rev-parse', first.ref).trim()).toBe(replaced.commit);

    const a = saveExperiment(dir, { tmpDir: tmp(dir), include: ['metrics.json'] });
    const b = saveExperiment(dir, { tmpDir: tmp(dir), include: ['metrics.json'] });
    expect(a.name).not.toBe(b.name);
    expect(listExperiments(GitRepo.open(dir)).map((e) => e.name).sort()).toEqual([a.name, b.name, 'x'].sort());
  });

  test('invalid names are usage errors, before anything is written', () => {
    const dir = repo();
    const error = thrownMlpError(() => saveExperiment(dir, { name: 'a/b', tmpDir: tmp(dir), include: ['metrics.json'] }));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(git(dir, 'for-each-ref', 'refs/exps')).toBe('');
  });

  test('no commit yet: a clear error with a hint (no git identity: test/e2e/exp.test.ts)', () => {
    const empty = repo(false);
    const noCommit = thrownMlpError(() => saveExperiment(empty, { name: 'x', tmpDir: tmp(empty), include: [] }));
    expect(noCommit.message).toContain('no commit yet');
    expect(noCommit.hint).toContain('git commit');

  });
});

describe('finding, branching and removing', () => {
  test('names resolve to experiments, else to revisions; branch and remove by ref', () => {
    const dir = repo();
    const g = GitRepo.open(dir);
    const exp = saveExperiment(dir, { name: 'best', tmpDir: tmp(dir), include: ['metrics.json'] });
    expect(findExperiment(g, 'best')?.commit).toBe(exp.commit);
    expect(resolveExperimentOrRevision(g, 'best')).toMatchObject({ commit: exp.commit, label: 'best' });
    expect(resolveExperimentOrRevision(g, 'main').commit).toBe(git(dir, 'rev-parse', 'main').trim());
    expect(thrownMlpError(() => resolveExperimentOrRevision(g, 'nothing')).exitCode).toBe(ExitCode.usage);

    branchExperiment(g, exp, 'keep-best');
    expect(git(dir, 'rev-parse', 'keep-best').trim()).toBe(exp.commit);
    expect(thrownMlpError(() => branchExperiment(g, exp, 'keep-best')).message).toContain('already exists');
    expect(git(dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');

    removeExperiments(g, [exp]);
    expect(listExperiments(g)).toEqual([]);
    expect(git(dir, 'rev-parse', 'keep-best').trim()).toBe(exp.commit);
  });

  test("refs DVC keeps under refs/exps that are not experiments are ignored", () => {
    const dir = repo();
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'update-ref', 'refs/exps/celery/stash', head);
    git(dir, 'update-ref', 'refs/exps/exec/EXEC_BASELINE', head);
    expect(listExperiments(GitRepo.open(dir))).toEqual([]);
  });
});
