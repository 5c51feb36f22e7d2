import fs from 'node:fs';
import { PipelineError } from '../../src/errors.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { describeAmount, parseResources, parseSize } from '../../src/pipeline/resources.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function load(pipeline: string) {
  const dir = tempDir();
  dirs.push(dir);
  writeFiles(dir, { 'pipeline.yaml': pipeline });
  return loadPipeline(dir);
}

describe('resource amounts', () => {
  test('sizes: decimal units, binary units, plain bytes', () => {
    expect(parseSize('8GB')).toBe(8e9);
    expect(parseSize('8 gb')).toBe(8e9);
    expect(parseSize('1.5G')).toBe(1.5e9);
    expect(parseSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseSize('16Gi')).toBe(16 * 2 ** 30);
    expect(parseSize(1024)).toBe(1024);
    expect(parseSize('1024')).toBe(1024);
    for (const bad of ['lots', '8XB', '-1GB', '', -5, true, null]) expect(parseSize(bad)).toBeUndefined();
  });

  test('a mapping of names to amounts; memory with units, everything else plain numbers', () => {
    expect(parseResources({ cpu: 2, memory: '8GB', gpu: 1, 'license-pool': 0.5 })).toEqual({
      ok: true,
      amounts: { cpu: 2, memory: 8e9, gpu: 1, 'license-pool': 0.5 },
    });
    expect(parseResources([1])).toMatchObject({ ok: false, message: expect.stringContaining('must map resource names to amounts') });
    expect(parseResources({ cpu: '2' })).toEqual({ ok: false, message: 'cpu must be a number of at least 0, got "2"' });
    expect(parseResources({ cpu: -1 })).toMatchObject({ ok: false });
    expect(parseResources({ '9gpu': 1 })).toMatchObject({ ok: false, message: expect.stringContaining("resource name '9gpu'") });
  });

  test('amounts read well in messages', () => {
    expect(describeAmount('cpu', 4)).toBe('cpu: 4');
    expect(describeAmount('memory', 8e9)).toBe('memory: 8 GB');
    expect(describeAmount('memory', 16.7e9)).toBe('memory: 16.7 GB');
    expect(describeAmount('memory', 512e6)).toBe('memory: 512 MB');
  });
});

describe('resources in pipeline.yaml', () => {
  test('are parsed into the stage; stages without them have none', () => {
    const p = load('stages:\n  a: {cmd: x, resources: {cpu: 2, memory: 1GiB, gpu: 1}}\n  b: {cmd: y}\n');
    expect(p.stages.get('a')?.resources).toEqual({ cpu: 2, memory: 2 ** 30, gpu: 1 });
    expect(p.stages.get('b')?.resources).toBeUndefined();
  });

  test('a bad value is an error at the resources key, with file, line and column', () => {
    let error: unknown;
    try {
      load('stages:\n  a:\n    cmd: x\n    resources: {cpu: many}\n');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe('pipeline.yaml:4:5: stage \'a\': cpu must be a number of at least 0, got "many"');
  });
});

describe('executor, slurm, retries and time in pipeline.yaml', () => {
  test('are parsed into the stage; time is a limit, not a pool', () => {
    const p = load('stages:\n  a:\n    cmd: x\n    resources: {cpu: 2, time: 1h30m}\n    executor: slurm\n    slurm: {partition: gpu, mem_per_cpu: 4G, exclusive: true}\n    retries: 2\n  b: {cmd: y, resources: {time: "10:00"}}\n  c: {cmd: z}\n');
    const a = p.stages.get('a');
    expect(a?.resources).toEqual({ cpu: 2 });
    expect(a?.time).toBe(5400);
    expect(a?.executor).toBe('slurm');
    expect(a?.slurm).toEqual({ partition: 'gpu', 'mem-per-cpu': '4G', exclusive: true });
    expect(a?.retries).toBe(2);
    expect(p.stages.get('b')?.resources).toBeUndefined();
    expect(p.stages.get('b')?.time).toBe(600);
    const c = p.stages.get('c');
    expect([c?.executor, c?.slurm, c?.retries, c?.time]).toEqual([undefined, undefined, undefined, undefined]);
  });

  test.each([
    ['executor: kubernetes', "stage 'a': `executor` must be one of local, slurm, got \"kubernetes\"", 4],
    ['slurm: {output: /tmp/x}', "stage 'a': slurm: 'output' is not an sbatch option a stage may set", 4],
    ['slurm: {partition: [a, b]}', "stage 'a': slurm: 'partition' must be a string, a number or true/false on one line", 4],
    ['retries: -1', "stage 'a': `retries` must be a whole number of at least 0, got -1", 4],
    ['resources: {time: soon}', 'time must be a duration such as 90s, 30m, 2h or 1-12:00:00, got "soon"', 4],
  ])('%s is a located error', (line, message, lineNo) => {
    let error: unknown;
    try {
      load(`stages:\n  a:\n    cmd: x\n    ${line}\n`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain(message);
    expect((error as PipelineError).message).toContain(`pipeline.yaml:${lineNo}:`);
  });
});
