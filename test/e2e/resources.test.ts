/**
 * Per-stage resources through the built CLI. Overlap is detected by the stage commands
 * themselves with marker files (did the other stage start and not yet end while I ran?), never
 * by timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, makeRepo, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = makeRepo(files);
  dirs.push(dir);
  return dir;
}

/**
 * A stage that waits (up to 3 s) for the other one to start, then notes an overlap if the other
 * has started and not ended. Run together, at least one of them sees the other; run one after
 * the other, the first gives up waiting and the second sees the first ended.
 */
function stage(me: string, other: string, resources: string): string {
  const cmd =
    `echo ${me} >> runs.log; touch start-${me}; i=0; while [ ! -e start-${other} ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; ` +
    `if [ -e start-${other} ] && [ ! -e end-${other} ]; then touch overlap-${me}; fi; touch end-${me} ${me}.txt`;
  return `  ${me}:\n    cmd: ${JSON.stringify(cmd)}\n    outs: [${me}.txt]\n${resources ? `    resources: ${resources}\n` : ''}`;
}

const overlaps = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('overlap-'));

describe('stage resources', () => {
  const cpus = os.availableParallelism();

  test('without resources, -j 2 runs the two stages together (the detector works)', () => {
    const dir = repo({ 'pipeline.yaml': `stages:\n${stage('a', 'b', '')}${stage('b', 'a', '')}` });
    expect(runMlp(dir, ['repro', '-j', '2']).code).toBe(0);
    expect(overlaps(dir).length).toBeGreaterThan(0);
  });

  test('two stages that each ask for every cpu never run at the same time, even with -j 2', () => {
    const ask = `{cpu: ${cpus}, memory: 1MB}`;
    const dir = repo({ 'pipeline.yaml': `stages:\n${stage('a', 'b', ask)}${stage('b', 'a', ask)}` });
    const result = runMlp(dir, ['repro', '-j', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(count(dir)).toBe(2);
    expect(overlaps(dir)).toEqual([]);
  });

  test('a named pool sized in .mlp/config.yaml limits the stages that use it', () => {
    const ask = '{gpu: 1}';
    const dir = repo({
      '.mlp/config.yaml': 'resources:\n  gpu: 1\n',
      'pipeline.yaml': `stages:\n${stage('a', 'b', ask)}${stage('b', 'a', ask)}`,
    });
    expect(runMlp(dir, ['repro', '-j', '2']).code).toBe(0);
    expect(count(dir)).toBe(2);
    expect(overlaps(dir)).toEqual([]);
  });

  test('asking for more than the machine has is an error before anything runs', () => {
    const dir = repo({
      'pipeline.yaml': `stages:\n  small: {cmd: echo small >> runs.log && touch s, outs: [s]}\n  big:\n    cmd: echo big >> runs.log && touch b\n    outs: [b]\n    resources: {cpu: ${cpus + 1}}\n`,
    });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`pipeline.yaml:3:3: stage 'big' asks for cpu: ${cpus + 1}, but this machine has ${cpus}`);
    expect(result.stderr).toContain('hint: lower it, or set resources.cpu in .mlp/config.local.yaml');
    expect(count(dir)).toBe(0);
    expect(runMlp(dir, ['repro', '--dry']).code).toBe(3);
  });

  test('a pool nobody declared is an error naming where to declare it', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  t:\n    cmd: touch t\n    outs: [t]\n    resources: {gpu: 2}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("stage 't' asks for gpu: 2, but no 'gpu' pool is configured");
    expect(result.stderr).toContain('resources: {gpu: N}');
  });

  test('a bad amount is reported at its line in pipeline.yaml', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  t:\n    cmd: touch t\n    outs: [t]\n    resources: {memory: lots}\n' });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("pipeline.yaml:5:5: stage 't': memory must be a size such as 512MB, 8GB or 16GiB");
  });
});
