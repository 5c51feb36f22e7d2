/** `mlp exp` through the built CLI in temporary git repositories. */
import fs from 'node:fs';
import path from 'node:path';
import { commitFiles, git, makeRepo, read, runMlp, writeFiles } from '../helpers/cli.js';

// A stage that "trains" from params.yaml: fails for lr >= 1, writes a model output and metrics.
const TRAIN = `
const fs = require('fs');
const p = fs.readFileSync('params.yaml', 'utf8');
const lr = Number(/lr: ([^ #\\n]+)/.exec(p)[1]);
const epochs = Number(/epochs: (\\d+)/.exec(p)[1]);
if (lr >= 1) { console.error('diverged'); process.exit(1); }
fs.mkdirSync('out', { recursive: true });
fs.writeFileSync('out/model.txt', 'model lr=' + lr + ' epochs=' + epochs + '\\n');
fs.writeFileSync('metrics.json', JSON.stringify({ acc: Number((1 - lr / epochs).toFixed(4)) }) + '\\n');
`;

const PROJECT = {
  'train.js': TRAIN,
  'params.yaml': '# training\ntrain:\n  lr: 0.1  # learning rate\n  epochs: 5\n',
  'pipeline.yaml': 'stages:\n  train:\n    cmd: node train.js\n    deps: [train.js]\n    params: [train]\n    outs: [out]\n    metrics: [{metrics.json: {cache: false}}]\n',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = makeRepo(PROJECT);
  dirs.push(dir);
  return dir;
}

function gitState(dir: string): { head: string; branch: string; branches: string; cached: string; stash: string; status?: string } {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    branch: git(dir, 'symbolic-ref', 'HEAD'),
    branches: git(dir, 'for-each-ref', 'refs/heads'),
    cached: git(dir, 'diff', '--cached'),
    stash: git(dir, 'stash', 'list'),
  };
}

interface ShowRow {
  name: string;
  kind: string;
  rev: string | null;
  params: Record<string, Record<string, unknown>>;
  metrics: Record<string, Record<string, unknown>>;
}

function show(dir: string): ShowRow[] {
  const result = runMlp(dir, ['exp', 'show', '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ShowRow[];
}

const expRefs = (dir: string): string[] => git(dir, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter(Boolean);

describe('mlp exp run', () => {
  test('a sweep saves one experiment per combination, never moving HEAD, the branch, the index or the stash', () => {
    const dir = project();
    writeFiles(dir, { 'notes.md': 'a\n' });
    git(dir, 'add', 'notes.md'); // a staged change that must stay staged
    writeFiles(dir, { 'notes.md': 'b\n' });
    git(dir, 'stash', '-q');
    git(dir, 'stash', 'apply', '-q', '--index');
    const before = gitState(dir);

    const result = runMlp(dir, ['exp', 'run', '-S', 'train.lr=0.1,0.2', '-S', 'train.epochs=range(5,15,5)', '-n', 'sweep']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Experiment 4 of 4: train.lr=0.2 train.epochs=10');
    expect(gitState(dir)).toEqual(before);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('notes.md\n');

    const rows = show(dir);
    expect(rows.map((r) => [r.kind, r.name])).toEqual([
      ['workspace', 'workspace'],
      ['baseline', 'main'],
      ['experiment', 'sweep-1'],
      ['experiment', 'sweep-2'],
      ['experiment', 'sweep-3'],
      ['experiment', 'sweep-4'],
    ]);
    const params = rows.slice(2).map((r) => r.params['params.yaml']);
    expect(params).toEqual([
      { 'train.lr': 0.1, 'train.epochs': 5 },
      { 'train.lr': 0.1, 'train.epochs': 10 },
      { 'train.lr': 0.2, 'train.epochs': 5 },
      { 'train.lr': 0.2, 'train.epochs': 10 },
    ]);
    expect(rows.slice(2).map((r) => r.metrics['metrics.json']?.acc)).toEqual([0.98, 0.99, 0.96, 0.98]);
    // Each experiment is a child of HEAD holding its own params, lock and metrics.
    const head = before.head.trim();
    for (const r of rows.slice(2)) {
      expect(git(dir, 'rev-parse', `${r.rev}^`).trim()).toBe(head);
      expect(git(dir, 'ls-tree', '--name-only', r.rev as string)).toMatch(/metrics\.json\n[^]*pipeline\.lock/);
    }
    // The workspace keeps the last experiment, comments included.
    expect(read(dir, 'params.yaml')).toBe('# training\ntrain:\n  lr: 0.2 # learning rate\n  epochs: 10\n');
    expect(read(dir, 'out/model.txt')).toBe('model lr=0.2 epochs=10\n');
  });

  test('a failed run saves nothing and exits with repro\'s code; the rest of a sweep is not run', () => {
    const dir = project();
    const result = runMlp(dir, ['exp', 'run', '-S', 'train.lr=0.5,1.5,0.3']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('the run failed: experiment not saved; 1 more combination not run');
    expect(expRefs(dir)).toHaveLength(1);
    expect(show(dir)[2]?.params['params.yaml']?.['train.lr']).toBe(0.5);
  });

  test('bad overrides and names are refused before anything runs', () => {
    const dir = project();
    const unknown = runMlp(dir, ['exp', 'run', '-S', 'train.lrr=0.2']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: param 'train.lrr' does not exist in params.yaml");
    expect(unknown.stderr).toContain("hint: check the spelling");
    const badName = runMlp(dir, ['exp', 'run', '-n', 'a/b']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain("invalid experiment name 'a/b'");
    expect(runMlp(dir, ['exp', 'run', '-n', 'one']).code).toBe(0);
    const taken = runMlp(dir, ['exp', 'run', '-n', 'one', '-S', 'train.lr=0.3']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("an experiment named 'one' already exists");
    expect(taken.stdout).not.toContain('Running');
    expect(read(dir, 'params.yaml')).toBe(PROJECT['params.yaml']);
    expect(fs.existsSync(path.join(dir, 'metrics.json'))).toBe(true);
    expect(expRefs(dir)).toHaveLength(1);
  });
});

describe('mlp exp apply and branch', () => {
  test('apply brings back params, lock, metrics and outputs, without touching HEAD or the index; branch keeps it', () => {
    const dir = project();
    expect(runMlp(dir, ['exp', 'run', '-n', 'slow', '-S', 'train.lr=0.05']).code).toBe(0);
    expect(runMlp(dir, ['exp', 'run', '-n', 'fast', '-S', 'train.lr=0.4']).code).toBe(0);
    const before = gitState(dir);

    const applied = runMlp(dir, ['exp', 'apply', 'slow']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('updated params.yaml');
    expect(applied.stdout).toContain('restored out');
    expect(read(dir, 'params.yaml')).toContain('lr: 0.05');
    expect(read(dir, 'out/model.txt')).toBe('model lr=0.05 epochs=5\n');
    expect(JSON.parse(read(dir, 'metrics.json'))).toEqual({ acc: 0.99 });
    expect(gitState(dir)).toEqual(before);
    // The workspace is now that experiment: nothing to rerun.
    expect(runMlp(dir, ['status']).stdout).not.toContain('stale');

    const branch = runMlp(dir, ['exp', 'branch', 'slow', 'keep-slow']);
    expect(branch.code).toBe(0);
    expect(git(dir, 'show', 'keep-slow:params.yaml')).toContain('lr: 0.05');
    expect(git(dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
    expect(runMlp(dir, ['exp', 'branch', 'slow', 'keep-slow']).code).toBe(2);

    // Round trip: the other one, and back.
    expect(runMlp(dir, ['exp', 'apply', 'fast']).code).toBe(0);
    expect(read(dir, 'out/model.txt')).toBe('model lr=0.4 epochs=5\n');
    expect(runMlp(dir, ['exp', 'apply', 'slow']).code).toBe(0);
    expect(read(dir, 'out/model.txt')).toBe('model lr=0.05 epochs=5\n');
  });

  test('apply refuses to overwrite changes saved nowhere (exit 6) unless --force', () => {
    const dir = project();
    expect(runMlp(dir, ['exp', 'run', '-n', 'a', '-S', 'train.lr=0.3']).code).toBe(0);
    const edited = '# training\ntrain:\n  lr: 0.7  # my own try\n  epochs: 5\n';
    writeFiles(dir, { 'params.yaml': edited });
    const refused = runMlp(dir, ['exp', 'apply', 'a']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('params.yaml');
    expect(refused.stderr).toContain('hint: save them first');
    expect(read(dir, 'params.yaml')).toBe(edited);
    const forced = runMlp(dir, ['exp', 'apply', '--force', 'a']);
    expect(forced.code).toBe(0);
    expect(read(dir, 'params.yaml')).toContain('lr: 0.3');
  });
});

describe('mlp exp save, list, remove, diff', () => {
  test('save the workspace, list, diff two experiments, remove', () => {
    const dir = project();
    expect(runMlp(dir, ['repro']).code).toBe(0);
    writeFiles(dir, { 'scratch.txt': 'not added\n' });
    const save = runMlp(dir, ['exp', 'save', '-n', 'base-run']);
    expect(save.code).toBe(0);
    expect(save.stderr).toBe("warning: 1 untracked file is not part of the experiment: scratch.txt; `git add` it (no commit needed) to include it, or ignore it in .gitignore\n");
    // mlp's own files are in even though git does not track them yet.
    expect(git(dir, 'ls-tree', '--name-only', 'HEAD')).not.toContain('pipeline.lock');
    expect(git(dir, 'ls-tree', '--name-only', expRefs(dir)[0] as string)).toMatch(/\.gitignore\n\.mlp\nmetrics\.json\nparams\.yaml\npipeline\.lock\npipeline\.yaml\ntrain\.js\n$/);
    expect(runMlp(dir, ['exp', 'run', '-n', 'other', '-S', 'train.epochs=10']).code).toBe(0);
    expect(runMlp(dir, ['exp', 'list', '--name-only']).stdout).toBe('base-run\nother\n');

    const diff = runMlp(dir, ['exp', 'diff', 'base-run', 'other']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe(
      [
        'Path         Param         base-run  other  Change',
        'params.yaml  train.epochs  5         10     modified',
        '',
        'Path          Metric  base-run  other  Change',
        'metrics.json  acc         0.98   0.99   +0.01',
        '',
      ].join('\n'),
    );
    expect(runMlp(dir, ['exp', 'remove', 'base-run']).code).toBe(0);
    expect(runMlp(dir, ['exp', 'list', '--name-only']).stdout).toBe('other\n');
    expect(runMlp(dir, ['exp', 'remove', 'nope']).code).toBe(2);
    expect(runMlp(dir, ['exp', 'remove', '--all']).code).toBe(0);
    expect(expRefs(dir)).toEqual([]);
  });

  test('experiments saved within one second are listed in the order they were saved', () => {
    const dir = project();
    // Commit times have whole seconds: all three get the same one here.
    const env = { GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z' };
    for (const name of ['zeta', 'alpha', 'mid']) expect(runMlp(dir, ['exp', 'save', '-n', name], env).code).toBe(0);
    expect(runMlp(dir, ['exp', 'list', '--name-only']).stdout).toBe('zeta\nalpha\nmid\n');
    expect(show(dir).map((r) => r.name)).toEqual(['workspace', 'main', 'zeta', 'alpha', 'mid']);
  });

  test('show: CSV and Markdown, sorted, only the columns that change', () => {
    const dir = project();
    expect(runMlp(dir, ['exp', 'run', '-n', 'x', '-S', 'train.lr=0.1,0.3,0.2']).code).toBe(0);
    const csv = runMlp(dir, ['exp', 'show', '--csv', '--sort-by', 'acc', '--sort-order', 'desc']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('Experiment,rev,typ,Created,parent,deps,acc,train.lr,train.epochs');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['workspace', 'main', 'x-1', 'x-3', 'x-2']);
    const md = runMlp(dir, ['exp', 'show', '--md', '--only-changed']);
    // The baseline has no pipeline.lock, the experiments do: their deps differ, so Deps stays.
    expect(md.stdout.split('\n')[0]).toBe('| Experiment | Created | Deps | acc | train.lr |');
    // Filters: globs on names, '!' leaves out; -n 2 adds the commit before HEAD.
    const filtered = runMlp(dir, ['exp', 'show', '--md', '--param', '!*epochs', '--metric', 'nothing*']);
    expect(filtered.stdout.split('\n')[0]).toBe('| Experiment | Created | Deps | train.lr |');
    const json = JSON.parse(runMlp(dir, ['exp', 'show', '--json', '--param', 'params.yaml:train.lr']).stdout) as Array<{ params: unknown; depsHash: string | null; deps: Record<string, string> }>;
    expect(json[2]?.params).toEqual({ 'params.yaml': { 'train.lr': 0.1 } });
    expect(json[2]?.depsHash).toMatch(/^[0-9a-f]{7}$/);
    expect(Object.keys(json[2]?.deps ?? {})).toEqual(['train.js']);
    commitFiles(dir, { 'notes.md': 'next\n' }, 'next');
    const two = runMlp(dir, ['exp', 'show', '--csv', '-n', '2']).stdout.trim().split('\n').map((l) => l.split(',')[2]);
    expect(two).toEqual(['typ', 'workspace', 'baseline', 'baseline', 'experiment', 'experiment', 'experiment']);
    const bad = runMlp(dir, ['exp', 'show', '--sort-by', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--sort-by 'nope': no metric or param of that name");
  });

  test('no git identity: a clear error and nothing saved', () => {
    const dir = project();
    git(dir, 'config', '--unset', 'user.email');
    git(dir, 'config', '--unset', 'user.name');
    git(dir, 'config', 'user.useConfigOnly', 'true');
    const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: '', GIT_AUTHOR_EMAIL: '', GIT_COMMITTER_NAME: '', GIT_COMMITTER_EMAIL: '', EMAIL: '' };
    const result = runMlp(dir, ['exp', 'save', '-n', 'x'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: git has no identity to record the experiment commit with');
    expect(result.stderr).toContain('hint: set one: git config user.name');
    expect(expRefs(dir)).toEqual([]);
  });
});
