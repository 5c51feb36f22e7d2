import fs from 'node:fs';
import { loadPipeline } from '../../src/pipeline/load.js';
import { resourceCapacity, resourceLimits } from '../../src/repro/resources.js';
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

describe('resource limits at plan time', () => {
  test('capacity: this machine, overridden and extended by the config', () => {
    const machine = resourceCapacity({});
    expect(machine.cpu).toBeGreaterThanOrEqual(1);
    expect(machine.memory).toBeGreaterThan(0);
    expect(resourceCapacity({ resources: { cpu: 64, gpu: 2 } })).toEqual({ cpu: 64, memory: machine.memory, gpu: 2 });
    expect(() => resourceCapacity({ resources: { gpu: 'two' } })).toThrow('.mlp/config.yaml: resources: gpu must be a number of at least 0, got "two"');
  });

  test('demands that fit become limits; frozen stages and stages without resources add none', () => {
    const p = load('stages:\n  a: {cmd: x, resources: {cpu: 2}}\n  b: {cmd: y}\n  c: {cmd: z, frozen: true, resources: {cpu: 99}}\n');
    const limits = resourceLimits([...p.stages.values()], { cpu: 4, memory: 1e9 });
    expect(limits?.capacity).toEqual({ cpu: 4, memory: 1e9 });
    expect([...(limits?.demand ?? [])]).toEqual([['a', { cpu: 2 }]]);
    expect(resourceLimits([p.stages.get('b') as never], { cpu: 4 })).toBeUndefined();
  });

  test('a demand that can never be met is an error at the stage', () => {
    const p = load('stages:\n  big: {cmd: x, resources: {memory: 64GB}}\n  gpu: {cmd: y, resources: {gpu: 1}}\n');
    expect(() => resourceLimits([p.stages.get('big') as never], { cpu: 2, memory: 16.7e9 })).toThrow(
      "pipeline.yaml:2:3: stage 'big' asks for memory: 64 GB, but this machine has 16.7 GB",
    );
    expect(() => resourceLimits([p.stages.get('gpu') as never], { cpu: 2, memory: 1e9 })).toThrow("no 'gpu' pool is configured");
    expect(() => resourceLimits([p.stages.get('gpu') as never], { cpu: 2, memory: 1e9, gpu: 0 })).toThrow(
      "stage 'gpu' asks for gpu: 1, but the configured pool has 0",
    );
  });
});
