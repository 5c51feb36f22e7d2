/** `mlp exp run --queue|--temp` and `mlp queue …` through the built CLI in temporary git repositories. */
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, read, runMlp, tempDir, waitFor, writeFiles } from '../helpers/cli.js';

// "Trains" from params.yaml: fails for lr >= 1. With SYNC_DIR set, each run leaves a marker there
// and waits (up to 30 s) until `want` markers exist: it passes only if that many run at once.
// With HOLD set, it waits until the file $HOLD exists (a job that runs until the test lets it go).
const TRAIN = `
const fs = require('fs');
const p = fs.readFileSync('params.yaml', 'utf8');
const lr = Number(/lr: ([^ #\\n]+)/.exec(p)[1]);
const epochs = Number(/epochs: (\\d+)/.exec(p)[1]);
console.log('training with lr=' + lr);
const wait = (done, what) => {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > 30000) { console.error('gave up waiting for ' + what); process.exit(3); }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
};
if (process.env.SYNC_DIR) {
  fs.writeFileSync(process.env.SYNC_DIR + '/' + lr, '');
  wait(() => fs.readdirSync(process.env.SYNC_DIR).length >= 2, 'the other job');
}
if (process.env.HOLD && lr === 0.3) wait(() => fs.existsSync(process.env.HOLD), process.env.HOLD);
if (lr >= 1) { console.error('diverged at lr=' + lr); process.exit(1); }
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
const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A repository with the pipeline run and committed (the baseline has results). */
function project(): string {
  const dir = makeRepo(PROJECT);
  dirs.push(dir);
  expect(runMlp(dir, ['repro']).code).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'baseline');
  return dir;
}

interface QueueJson {
  worker: { pid: number } | null;
  experiments: Array<{ name: string; status: string; params: string[]; exitCode: number | null; experiment: { name: string; commit: string } | null; logTail?: string[] }>;
}

function queueStatus(dir: string): QueueJson {
  const result = runMlp(dir, ['queue', 'status', '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as QueueJson;
}

async function waitUntilDone(dir: string, timeoutMs = 60_000): Promise<QueueJson> {
  let status = queueStatus(dir);
  await waitFor(() => {
    status = queueStatus(dir);
    return status.worker === null && status.experiments.every((e) => e.status !== 'queued' && e.status !== 'running');
  }, timeoutMs);
  return status;
}

/** Everything about the user's side that a queue must never change. */
function userState(dir: string): Record<string, string> {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    branch: git(dir, 'symbolic-ref', 'HEAD'),
    branches: git(dir, 'for-each-ref', 'refs/heads'),
    index: git(dir, 'ls-files', '-s'),
    cached: git(dir, 'diff', '--cached'),
    stash: git(dir, 'stash', 'list'),
    status: git(dir, 'status', '--porcelain'),
    params: read(dir, 'params.yaml'),
    metrics: read(dir, 'metrics.json'),
    model: read(dir, 'out/model.txt'),
  };
}

const worktrees = (dir: string): number => git(dir, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length;

describe('mlp exp run --queue and mlp queue', () => {
  test('a queued sweep runs two at a time in worktrees; the failed one keeps its log; the workspace never moves', async () => {
    const dir = project();
    writeFiles(dir, { 'notes.md': 'staged\n' });
    git(dir, 'add', 'notes.md');
    writeFiles(dir, { 'params.yaml': '# training\ntrain:\n  lr: 0.1  # learning rate\n  epochs: 7\n' }); // unsaved work in the workspace
    const sync = tempDir('mlp-sync-');
    dirs.push(sync);
    const before = userState(dir);

    const queued = runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.2,1.5', '-n', 'sweep']);
    expect(queued.stderr).toBe('');
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain("Queued experiment 'sweep-1' (train.lr=0.2).");
    expect(queued.stdout).toContain("Queued experiment 'sweep-2' (train.lr=1.5).");
    expect(userState(dir)).toEqual(before);
    expect(queueStatus(dir).experiments.map((e) => [e.name, e.status])).toEqual([['sweep-1', 'queued'], ['sweep-2', 'queued']]);

    const started = runMlp(dir, ['queue', 'start', '-j', '2'], { SYNC_DIR: sync });
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('2 queued experiments, 2 at a time');
    const status = await waitUntilDone(dir);
    // Both stages waited for each other's marker: they ran at the same time.
    expect(fs.readdirSync(sync).sort()).toEqual(['0.2', '1.5']);
    const [ok, failed] = status.experiments;
    expect(ok).toMatchObject({ name: 'sweep-1', status: 'success', exitCode: 0 });
    expect(failed).toMatchObject({ name: 'sweep-2', status: 'failed', exitCode: 4, experiment: null });
    expect(failed?.logTail?.join('\n')).toContain('diverged at lr=1.5');

    // The user's side is as it was; the worktrees are gone; the experiment ran with the
    // workspace's unsaved params (epochs 7) and the sweep's lr.
    expect(userState(dir)).toEqual(before);
    expect(worktrees(dir)).toBe(1);
    const shown = JSON.parse(runMlp(dir, ['exp', 'show', '--json']).stdout) as Array<{ name: string; params: Record<string, Record<string, unknown>>; metrics: Record<string, Record<string, unknown>> }>;
    const exp = shown.find((r) => r.name === 'sweep-1');
    expect(exp?.params['params.yaml']).toEqual({ 'train.lr': 0.2, 'train.epochs': 7 });
    expect(exp?.metrics['metrics.json']).toEqual({ acc: Number((1 - 0.2 / 7).toFixed(4)) });
    expect(shown.some((r) => r.name === 'sweep-2')).toBe(false);

    const text = runMlp(dir, ['queue', 'status']);
    expect(text.stdout).toContain('sweep-2 failed (exit 4); last lines of its log (`mlp queue logs sweep-2`):');
    expect(text.stdout).toContain('diverged at lr=1.5');
    const logs = runMlp(dir, ['queue', 'logs', 'sweep-2']);
    expect(logs.stdout).toContain('training with lr=1.5');
    expect(logs.stdout).toContain("mlp queue: experiment 'sweep-2' failed (exit code 4)");

    // The outputs came from the shared cache: applying the experiment restores its model.
    expect(runMlp(dir, ['exp', 'apply', '--force', 'sweep-1']).code).toBe(0);
    expect(read(dir, 'out/model.txt')).toBe('model lr=0.2 epochs=7\n');

    const removed = runMlp(dir, ['queue', 'remove', '--failed']);
    expect(removed.stdout).toBe('Removed sweep-2 from the queue.\n');
    expect(git(dir, 'for-each-ref', 'refs/mlp/queue/sweep-2')).toBe('');
  }, 120_000);

  test('a killed worker and job leave a clear state: the job shows as killed with its log, and the next start runs the rest', async () => {
    const dir = project();
    const hold = path.join(tempDir('mlp-hold-'), 'go');
    dirs.push(path.dirname(hold));
    expect(runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.3', '-n', 'slow']).code).toBe(0);
    expect(runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.4', '-n', 'next']).code).toBe(0);
    expect(runMlp(dir, ['queue', 'start'], { HOLD: hold }).code).toBe(0);
    const stateFile = path.join(dir, '.mlp/tmp/queue/slow/state.json');
    await waitFor(() => fs.existsSync(path.join(dir, '.mlp/tmp/queue/slow/log')) && read(dir, '.mlp/tmp/queue/slow/log').includes('training with lr=0.3'), 30_000);
    const worker = queueStatus(dir).worker;
    expect(worker).not.toBeNull();
    const job = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { pid: number }).pid;
    process.kill(worker?.pid as number, 'SIGKILL');
    process.kill(job, 'SIGKILL');
    await waitFor(() => queueStatus(dir).experiments[0]?.status === 'killed', 10_000);
    fs.writeFileSync(hold, ''); // lets the orphaned stage command end

    const status = runMlp(dir, ['queue', 'status']);
    expect(status.stdout).toMatch(/slow\s+killed \(its process died\)/);
    expect(status.stdout).toContain('training with lr=0.3');
    expect(status.stdout).toMatch(/next\s+queued/);
    expect(status.stdout).toContain('Worker: not running');

    expect(runMlp(dir, ['queue', 'start']).code).toBe(0);
    const done = await waitUntilDone(dir);
    expect(done.experiments.map((e) => [e.name, e.status])).toEqual([['slow', 'killed'], ['next', 'success']]);
    expect(worktrees(dir)).toBe(1);
    expect(runMlp(dir, ['queue', 'logs', 'slow']).stdout).toContain('training with lr=0.3');
  }, 120_000);

  test('queue kill stops a running experiment and its stage; logs -f follows a job to its end', async () => {
    const dir = project();
    const hold = path.join(tempDir('mlp-hold-'), 'go');
    dirs.push(path.dirname(hold));
    expect(runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.3', '-n', 'held']).code).toBe(0);
    expect(runMlp(dir, ['queue', 'start'], { HOLD: hold }).code).toBe(0);
    await waitFor(() => fs.existsSync(path.join(dir, '.mlp/tmp/queue/held/log')) && read(dir, '.mlp/tmp/queue/held/log').includes('training with lr=0.3'), 30_000);
    const killed = runMlp(dir, ['queue', 'kill', 'held']);
    expect(killed.stderr).toBe('');
    expect(killed.stdout).toBe('held: killed.\n');
    const follow = runMlp(dir, ['queue', 'logs', '-f', 'held']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain("mlp queue: experiment 'held' killed");
    await waitUntilDone(dir);
    expect(worktrees(dir)).toBe(1);
    expect(runMlp(dir, ['queue', 'kill', 'held']).code).toBe(2);

    // A queued entry that never ran is removed with exp remove --queue.
    expect(runMlp(dir, ['exp', 'run', '--queue', '-S', 'train.lr=0.5', '-n', 'waiting']).code).toBe(0);
    const removed = runMlp(dir, ['exp', 'remove', '--queue']);
    expect(removed.stdout).toContain('Removed waiting from the queue.');
    expect(queueStatus(dir).experiments.map((e) => e.name)).toEqual(['held']);
  }, 120_000);
});

describe('mlp exp run --temp', () => {
  test('runs in a temporary worktree: the experiment is saved, the workspace and the queue stay as they were', () => {
    const dir = project();
    const before = userState(dir);
    const result = runMlp(dir, ['exp', 'run', '--temp', '-S', 'train.lr=0.2,0.25', '-n', 'tmp']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Experiment 2 of 2: train.lr=0.25');
    expect(result.stdout).toContain("Saved experiment 'tmp-2'");
    expect(userState(dir)).toEqual(before);
    expect(queueStatus(dir).experiments).toEqual([]);
    expect(runMlp(dir, ['exp', 'list', '--name-only']).stdout).toBe('tmp-1\ntmp-2\n');
    expect(worktrees(dir)).toBe(1);

    const failed = runMlp(dir, ['exp', 'run', '--temp', '-S', 'train.lr=2', '-n', 'bad']);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain("error: experiment 'bad' failed: not saved; its log stays: `mlp queue logs bad`");
    expect(runMlp(dir, ['queue', 'logs', 'bad']).stdout).toContain('diverged at lr=2');
    expect(userState(dir)).toEqual(before);
  }, 120_000);
});
