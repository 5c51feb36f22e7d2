import fs from 'node:fs';
import { PipelineError } from '../../src/errors.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { reservedOutReason } from '../../src/pipeline/validate.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

describe('outputs that may not be outputs', () => {
  const params = new Set(['params.yaml', 'conf/train.yaml']);
  test.each([
    ['pipeline.yaml', 'is the pipeline file'],
    ['pipeline.lock', "is mlp's lockfile"],
    ['data.mlp', 'is an mlp pointer file'],
    ['sub/data.csv.mlp', 'is an mlp pointer file'],
    ['.gitignore', 'is a .gitignore file, which mlp edits'],
    ['models/.gitignore', 'is a .gitignore file, which mlp edits'],
    ['params.yaml', 'is a params file the pipeline reads'],
    ['conf', 'contains conf/train.yaml, a params file the pipeline reads'],
  ])('%s %s', (out, reason) => {
    expect(reservedOutReason(out, 'pipeline.yaml', params)).toBe(reason);
  });

  test.each(['model.bin', 'models', 'conf2', 'params.yaml.bak', 'x.mlp.txt'])('%s is fine', (out) => {
    expect(reservedOutReason(out, 'pipeline.yaml', params)).toBeUndefined();
  });

  function loadError(files: Record<string, string>): PipelineError {
    const dir = tempDir();
    writeFiles(dir, files);
    try {
      loadPipeline(dir);
    } catch (error) {
      if (error instanceof PipelineError) return error;
      throw error;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    throw new Error('expected a PipelineError');
  }

  test('the error points at the key that declares the output, also in foreach stages and for vars files', () => {
    const plain = loadError({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: x\n    metrics: [params.yaml]\n' });
    expect(plain.message).toBe("pipeline.yaml:4:5: stage 's': output 'params.yaml' is a params file the pipeline reads");
    expect(plain.hint).toContain('deleted before it runs');

    const foreach = loadError({ 'pipeline.yaml': 'stages:\n  s:\n    foreach: [a, b]\n    do:\n      cmd: x\n      outs: ["out-${item}", pipeline.lock]\n' });
    expect(foreach.message).toBe("pipeline.yaml:6:7: stage 's@a': output 'pipeline.lock' is mlp's lockfile");

    const vars = loadError({ 'vals.yaml': 'n: 1\n', 'pipeline.yaml': 'vars: [vals.yaml]\nstages:\n  s: {cmd: x, outs: [vals.yaml]}\n' });
    expect(vars.message).toMatch(/^pipeline\.yaml:3:\d+: stage 's': output 'vals\.yaml' is a params file the pipeline reads$/);
  });
});
