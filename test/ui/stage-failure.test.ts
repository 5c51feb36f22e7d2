import { MlpError } from '../../src/errors.js';
import { renderStageFailure } from '../../src/ui/stage-failure.js';

const plain = { verbose: false, single: false };

describe('renderStageFailure', () => {
  test('a command that exits non-zero or is killed', () => {
    expect(renderStageFailure('a', { kind: 'exit-non-zero', cmd: 'false', exitCode: 1, signal: null }, plain)).toEqual([
      "error: stage 'a' failed: command exited with code 1: false",
    ]);
    expect(renderStageFailure('a', { kind: 'exit-non-zero', cmd: 'kill -9 $$', exitCode: null, signal: 'SIGKILL' }, plain)).toEqual([
      "error: stage 'a' failed: command was killed by SIGKILL: kill -9 $$",
    ]);
  });

  test('a cluster job that the cluster ended', () => {
    const lost = { kind: 'job-lost', jobId: '7', description: 'hit its time limit (TIMEOUT, reason TimeLimit)', retryable: true } as const;
    expect(renderStageFailure('a', { ...lost, state: 'TIMEOUT', retries: 0 }, plain)).toEqual([
      "error: stage 'a' failed: Slurm job 7 hit its time limit (TIMEOUT, reason TimeLimit)",
      "hint: raise the stage's `resources: {time: …}` (its job's time limit), or make it faster",
    ]);
    expect(renderStageFailure('a', { ...lost, state: 'NODE_FAIL', description: 'was lost with its node (NODE_FAIL, reason NodeDown)', retries: 2 }, plain)).toEqual([
      "error: stage 'a' failed: Slurm job 7 was lost with its node (NODE_FAIL, reason NodeDown) (after 2 retries)",
      'hint: `scontrol show job 7` says more while Slurm remembers it',
    ]);
  });

  test('a command that cannot start', () => {
    const error = Object.assign(new Error('spawn /bin/sh EACCES'), { code: 'EACCES' });
    expect(renderStageFailure('a', { kind: 'spawn-failed', cmd: 'x', wdir: 'src', wdirMissing: true, error }, plain)).toEqual([
      "error: stage 'a' failed: its working directory src does not exist",
      "hint: create src, or fix the stage's `wdir`",
    ]);
    expect(renderStageFailure('a', { kind: 'spawn-failed', cmd: 'x', wdir: '.', wdirMissing: false, error }, plain)).toEqual([
      "error: stage 'a' failed: could not start the command (spawn /bin/sh EACCES): x",
      'hint: check that /bin/sh exists and can be run',
    ]);
  });

  test('the advice about -s is the renderer\'s, and depends on how mlp was run', () => {
    const failure = { kind: 'dep-missing', path: 'a.txt', producer: 'a' } as const;
    expect(renderStageFailure('b', failure, { verbose: false, single: true })[1]).toBe("hint: run stage 'a' first, or drop -s so that mlp runs it");
    expect(renderStageFailure('b', failure, plain)[1]).toBe("hint: stage 'a' produces it; is it frozen?");
    expect(renderStageFailure('b', { kind: 'dep-missing', path: 'x', producer: undefined }, plain)[1]).toContain('mlp checkout');
  });

  test('a known error keeps its hint; -v adds its cause', () => {
    const error = new MlpError('cache object is corrupted', { hint: 'mlp pull', cause: new Error('bad bytes') });
    expect(renderStageFailure('a', { kind: 'error', error }, plain)).toEqual(["error: stage 'a' failed: cache object is corrupted", 'hint: mlp pull']);
    const verbose = renderStageFailure('a', { kind: 'error', error }, { verbose: true, single: false });
    expect(verbose[2]).toBe('cause: Error: bad bytes');
  });

  test('an internal error: a bug-report hint, and with -v the stack and its causes', () => {
    const error = new Error('ENXIO: no such device or address', { cause: new Error('deeper') });
    const lines = renderStageFailure('s', { kind: 'internal', error }, plain);
    expect(lines).toEqual([
      "error: stage 's' failed with an internal error: ENXIO: no such device or address",
      'hint: this is a bug in mlp or a system error it does not handle; rerun with -v for the stack trace and report it',
    ]);
    const verbose = renderStageFailure('s', { kind: 'internal', error }, { verbose: true, single: false });
    expect(verbose[2]).toBe('Error: ENXIO: no such device or address');
    expect(verbose[3]).toMatch(/^\s+at /);
    expect(verbose).toContain('cause: Error: deeper');
    expect(renderStageFailure('s', { kind: 'internal', error: 'a string' }, plain)[0]).toBe("error: stage 's' failed with an internal error: a string");
  });
});
