/**
 * One stage's execution against a real repository in a temp dir, with an in-process executor
 * that writes the outputs itself (the `Executor` seam), so no processes are spawned.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionOutcome, Executor, StageJob } from '../../src/executors/executor.js';
import { buildDag } from '../../src/pipeline/dag.js';
import type { Stage } from '../../src/pipeline/types.js';
import { Repo } from '../../src/repo/repo.js';
import { executeStage, type StageContext, type StageResult } from '../../src/repro/execute-stage.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const PIPELINE = `
stages:
  make:
    cmd: make-it
    deps: [in.txt]
    params: [n]
    outs: [out.txt, {keep: {persist: true}}]
  use:
    cmd: use-it
    deps: [out.txt]
    outs: [used.txt]
`;

/** Runs the stage "in process": `behave` decides what happens. */
class InProcessExecutor implements Executor {
  readonly calls: string[] = [];
  constructor(private readonly behave: (job: StageJob, abs: (p: string) => string) => ExecutionOutcome | Promise<ExecutionOutcome>) {}
  async run(job: StageJob): Promise<ExecutionOutcome> {
    this.calls.push(job.stage.name);
    return this.behave(job, (p) => path.join(job.root, p));
  }
}

/** Writes what the stages declare: out.txt (a copy of in.txt) and keep/, used.txt. */
function working(): InProcessExecutor {
  return new InProcessExecutor((job, abs) => {
    if (job.stage.name === 'make') {
      fs.writeFileSync(abs('out.txt'), fs.readFileSync(abs('in.txt'), 'utf8'));
      writeFiles(job.root, { 'keep/state': 'kept' });
    } else fs.writeFileSync(abs('used.txt'), 'used');
    return { ok: true };
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repoWith(files: Record<string, string> = {}): string {
  const dir = tempDir('mlp-exec-');
  dirs.push(dir);
  Repo.init(dir);
  writeFiles(dir, { 'in.txt': 'hello\n', 'params.yaml': 'n: 1\n', 'pipeline.yaml': PIPELINE, ...files });
  return dir;
}

/** A fresh Repo each time, as each mlp command has, so nothing is remembered in memory. */
async function execute(dir: string, stage: string, executor: Executor, options: Partial<StageContext> = {}): Promise<StageResult> {
  const repo = new Repo(dir);
  try {
    const context: StageContext = {
      repo,
      dag: buildDag(repo.pipeline),
      executor,
      output: { mode: 'prefix', line: () => undefined },
      signal: new AbortController().signal,
      force: false,
      dry: false,
      runCache: true,
      wouldRun: new Set(),
      ...options,
    };
    return await executeStage(context, repo.pipeline.stages.get(stage) as Stage);
  } finally {
    repo.close();
  }
}

const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8');

describe('executeStage', () => {
  test('a stale stage runs, its outputs are cached and the lock records it; then it is up to date', async () => {
    const dir = repoWith();
    const executor = working();
    const first = await execute(dir, 'make', executor);
    expect(first).toMatchObject({ status: 'ran', reasons: [{ kind: 'never-run' }, { kind: 'out-missing', path: 'out.txt' }, { kind: 'out-missing', path: 'keep' }] });
    expect(read(dir, 'pipeline.lock')).toContain('out.txt');
    expect(read(dir, '.gitignore')).toContain('/out.txt');
    expect(await execute(dir, 'make', executor)).toEqual({ status: 'up-to-date' });
    expect(executor.calls).toEqual(['make']);
  });

  test('outputs are removed before the command runs, except persistent ones', async () => {
    const dir = repoWith({ 'out.txt': 'stale', 'keep/state': 'kept' });
    let seen: { out: boolean; keep: string } | undefined;
    const executor = new InProcessExecutor((_job, abs) => {
      seen = { out: fs.existsSync(abs('out.txt')), keep: fs.readFileSync(abs('keep/state'), 'utf8') };
      fs.writeFileSync(abs('out.txt'), 'new');
      return { ok: true };
    });
    expect((await execute(dir, 'make', executor)).status).toBe('ran');
    expect(seen).toEqual({ out: false, keep: 'kept' });
  });

  test('a failing command is a typed failure: lock unchanged, previous outputs back from the cache', async () => {
    const dir = repoWith();
    await execute(dir, 'make', working());
    const lock = read(dir, 'pipeline.lock');
    writeFiles(dir, { 'params.yaml': 'n: 2\n' });
    const failing = new InProcessExecutor((_job, abs) => {
      fs.writeFileSync(abs('out.txt'), 'half-written');
      return { ok: false, kind: 'exit-non-zero', cmd: 'make-it', exitCode: 2, signal: null };
    });
    const result = await execute(dir, 'make', failing);
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'exit-non-zero', cmd: 'make-it', exitCode: 2, signal: null } });
    expect(read(dir, 'pipeline.lock')).toBe(lock);
    expect(read(dir, 'out.txt')).toBe('hello\n');
  });

  test('an interrupted command is not a failure, and keeps the previous lock entry', async () => {
    const dir = repoWith();
    const result = await execute(dir, 'make', new InProcessExecutor(() => ({ ok: false, kind: 'interrupted', cmd: 'make-it' })));
    expect(result).toEqual({ status: 'interrupted', cmd: 'make-it' });
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
  });

  test('a command that succeeds without writing a declared output fails with output-missing', async () => {
    const dir = repoWith();
    const result = await execute(dir, 'make', new InProcessExecutor(() => ({ ok: true })));
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'output-missing', path: 'out.txt' } });
  });

  test('a missing dep names the stage that produces it', async () => {
    const dir = repoWith();
    const result = await execute(dir, 'use', working());
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'dep-missing', path: 'out.txt', producer: 'make' } });
  });

  test('a run seen before is restored from the run-cache without running', async () => {
    const dir = repoWith({ 'pipeline.yaml': PIPELINE.replace(', {keep: {persist: true}}', '') });
    const executor = working();
    await execute(dir, 'make', executor);
    writeFiles(dir, { 'params.yaml': 'n: 2\n' });
    await execute(dir, 'make', executor);
    writeFiles(dir, { 'params.yaml': 'n: 1\n' });
    fs.writeFileSync(path.join(dir, 'out.txt'), 'something else');
    const result = await execute(dir, 'make', executor);
    expect(result.status).toBe('restored');
    expect(executor.calls).toEqual(['make', 'make']);
    expect(read(dir, 'out.txt')).toBe('hello\n');
  });

  test('a stage with a persist output runs again instead: the run-cache is not used for it (as in DVC)', async () => {
    const dir = repoWith();
    const executor = working();
    await execute(dir, 'make', executor);
    writeFiles(dir, { 'params.yaml': 'n: 2\n' });
    await execute(dir, 'make', executor);
    writeFiles(dir, { 'params.yaml': 'n: 1\n' });
    const result = await execute(dir, 'make', executor);
    expect(result.status).toBe('ran');
    expect(executor.calls).toEqual(['make', 'make', 'make']);
  });

  test('an unexpected error is thrown as is, for the scheduler to report as internal', async () => {
    const dir = repoWith();
    const boom = new Error('ENXIO: no such device or address');
    await expect(
      execute(
        dir,
        'make',
        new InProcessExecutor(() => {
          throw boom;
        }),
      ),
    ).rejects.toBe(boom);
  });

  test('a problem found before anything ran leaves the workspace alone', async () => {
    const dir = repoWith();
    await execute(dir, 'make', working());
    fs.writeFileSync(path.join(dir, 'out.txt'), 'edited by hand');
    writeFiles(dir, { 'params.yaml': 'other: 1\n' });
    const result = await execute(dir, 'make', working());
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'error' } });
    expect(result.status === 'failed' && result.failure.kind === 'error' && result.failure.error.message).toContain("param 'n' is not in params.yaml");
    expect(read(dir, 'out.txt')).toBe('edited by hand');
  });

  test('a dry run reports what would run and why, including upstream stages, and writes nothing', async () => {
    const dir = repoWith();
    const wouldRun = new Set<string>();
    const executor = working();
    const make = await execute(dir, 'make', executor, { dry: true, wouldRun });
    const use = await execute(dir, 'use', executor, { dry: true, wouldRun });
    expect(make.status).toBe('would-run');
    expect(use).toMatchObject({ status: 'would-run', reasons: expect.arrayContaining([{ kind: 'upstream-stale', stage: 'make' }]) });
    expect(executor.calls).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
  });

  test('frozen stages are not even checked', async () => {
    const dir = repoWith({ 'pipeline.yaml': PIPELINE.replace('cmd: make-it', 'cmd: make-it\n    frozen: true') });
    expect(await execute(dir, 'make', working())).toEqual({ status: 'frozen' });
  });
});
