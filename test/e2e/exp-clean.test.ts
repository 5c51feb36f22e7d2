/** `mlp exp clean` through the built CLI: the leftovers of killed jobs, workers and runs go; nothing else does. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { git, makeRepo, runMlp } from '../helpers/cli.js';

const PROJECT = {
  'train.js': "const fs = require('fs');\nfs.mkdirSync('out', { recursive: true });\nfs.writeFileSync('out/model.txt', fs.readFileSync('params.yaml'));\n",
  'params.yaml': 'train:\n  lr: 0.1\n',
  'pipeline.yaml': 'stages:\n  train:\n    cmd: node train.js\n    deps: [train.js]\n    params: [train]\n    outs: [out]\n',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A pid that ran and is gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

const worktreePaths = (dir: string): string[] =>
  git(dir, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length));

describe('mlp exp clean', () => {
  test('removes dead jobs\' worktrees, queue refs of no entry, half-made entries, a dead worker\'s record and temp files; keeps experiments, queued and running entries', () => {
    const dir = makeRepo(PROJECT);
    dirs.push(dir);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'baseline');
    expect(runMlp(dir, ['exp', 'run', '-S', 'train.lr=0.2', '-n', 'kept']).code).toBe(0);
    for (const name of ['dead', 'waiting', 'live']) expect(runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.3', '-n', name]).code).toBe(0);
    const queue = path.join(dir, '.mlp/tmp/queue');
    const commitOf = (name: string): string => git(dir, 'rev-parse', `refs/mlp/queue/${name}`).trim();
    const started = new Date().toISOString();

    // 'dead': its job process died mid-run, leaving its worktree. 'live': runs now (this process).
    fs.writeFileSync(path.join(queue, 'dead/state.json'), JSON.stringify({ status: 'running', pid: deadPid(), started }));
    fs.writeFileSync(path.join(queue, 'live/state.json'), JSON.stringify({ status: 'running', pid: process.pid, started }));
    for (const name of ['dead', 'live']) git(dir, 'worktree', 'add', '--detach', '--quiet', path.join(queue, name, 'workspace'), commitOf(name));
    // A job worktree whose folder was deleted by hand: git still records it.
    git(dir, 'worktree', 'add', '--detach', '--quiet', path.join(queue, 'gone/workspace'), commitOf('waiting'));
    fs.rmSync(path.join(queue, 'gone'), { recursive: true });
    // A queue ref whose entry is gone (an old commit: not one being queued right now).
    const old = execFileSync('git', ['commit-tree', `${commitOf('waiting')}^{tree}`, '-m', 'old'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z' },
    }).trim();
    git(dir, 'update-ref', 'refs/mlp/queue/orphan', old);
    // A half-made entry of a killed `exp run --queue`, an entry cut short, a dead worker, a killed run's index.
    const dead = deadPid();
    fs.mkdirSync(path.join(queue, `.half.${HOST_TAG}-${dead}-0badc0de.tmp`));
    fs.mkdirSync(path.join(queue, 'cut'));
    fs.writeFileSync(path.join(queue, 'cut/log'), 'partial\n');
    fs.writeFileSync(path.join(queue, 'worker.json'), JSON.stringify({ pid: dead, jobs: 2, started }));
    fs.writeFileSync(path.join(dir, `.mlp/tmp/exp-index.${HOST_TAG}-${dead}-0badc0de.tmp`), 'index');
    // A running process's half-made entry and temp index stay.
    fs.mkdirSync(path.join(queue, `.busy.${HOST_TAG}-${process.pid}-0badc0de.tmp`));
    fs.writeFileSync(path.join(dir, `.mlp/tmp/exp-index.${HOST_TAG}-${process.pid}-0badc0de.tmp`), 'index');
    const status = git(dir, 'status', '--porcelain');

    const dry = runMlp(dir, ['exp', 'clean', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Would remove 2 leftover job worktrees (dead).');
    expect(fs.existsSync(path.join(queue, 'dead/workspace'))).toBe(true);
    expect(git(dir, 'for-each-ref', '--format=%(refname)', 'refs/mlp/queue/orphan')).not.toBe('');

    const clean = runMlp(dir, ['exp', 'clean']);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe(
      [
        'Removed 2 leftover job worktrees (dead).',
        'Removed 2 unfinished queue entries (cut, half).',
        'Removed 1 queue ref of no entry (refs/mlp/queue/orphan).',
        'Removed the record of a queue worker that is gone.',
        'Removed 1 temp file of killed runs.',
        '',
      ].join('\n'),
    );
    expect(worktreePaths(dir).map((p) => path.relative(fs.realpathSync(dir), p))).toEqual(['', '.mlp/tmp/queue/live/workspace']);
    expect(fs.readdirSync(queue).sort()).toEqual([`.busy.${HOST_TAG}-${process.pid}-0badc0de.tmp`, 'dead', 'live', 'waiting']);
    expect(fs.readdirSync(path.join(queue, 'dead')).sort()).toEqual(['entry.json', 'state.json']); // its record stays, for queue status
    expect(git(dir, 'for-each-ref', '--format=%(refname)', 'refs/mlp/queue/').split('\n').filter(Boolean).sort()).toEqual(['refs/mlp/queue/dead', 'refs/mlp/queue/live', 'refs/mlp/queue/waiting']);
    expect(fs.readdirSync(path.join(dir, '.mlp/tmp')).filter((f) => f.startsWith('exp-index.'))).toEqual([`exp-index.${HOST_TAG}-${process.pid}-0badc0de.tmp`]);
    expect(runMlp(dir, ['exp', 'list', '--name-only']).stdout).toBe('kept\n');
    const queued = JSON.parse(runMlp(dir, ['queue', 'status', '--json']).stdout) as { experiments: Array<{ name: string; status: string }> };
    expect(queued.experiments.map((e) => `${e.name} ${e.status}`)).toEqual(['dead killed', 'waiting queued', 'live running']);
    expect(git(dir, 'status', '--porcelain')).toBe(status);

    expect(runMlp(dir, ['exp', 'clean']).stdout).toBe('Nothing to clean: no leftovers of killed jobs, workers or runs.\n');
  }, 60_000);
});
