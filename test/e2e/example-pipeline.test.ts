/**
 * The example pipeline at the root of the repository, run as a new user would from a fresh clone:
 * the README's Quick start output is what mlp prints, the committed pipeline.lock and metrics are
 * what the code produces (the work tree stays clean), and the README's `mlp text predict` examples
 * print what they say.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT, exampleClone, git, runMlp, tempDir } from '../helpers/cli.js';
import { consoleSteps, matchesOutput, readmeSection, runReadmeCommand } from '../helpers/readme.js';

let clone: string;
let shims: string;

beforeAll(() => {
  clone = exampleClone();
  shims = tempDir('mlp-shims-');
});

afterAll(() => {
  fs.rmSync(clone, { recursive: true, force: true });
  fs.rmSync(shims, { recursive: true, force: true });
});

describe('the example pipeline in a fresh clone', () => {
  test("prints the README's Quick start output and leaves the work tree clean", () => {
    const steps = consoleSteps(readmeSection('## Quick start'));
    expect(steps.map((s) => s.command)).toEqual(['npx mlp repro', 'npx mlp repro', 'git status --short', 'npx mlp status']);
    for (const step of steps) {
      const result = runReadmeCommand(clone, step.command, shims);
      if (!matchesOutput(step.output, result.lines)) {
        // Show both in full: the README block is what has to change, or the code.
        expect({ command: step.command, output: result.lines }).toEqual({ command: step.command, output: step.output });
      }
      expect(result.code).toBe(0);
    }
    // The committed lock holds the hashes this code produces: nothing modified, nothing new.
    expect(git(clone, 'status', '--porcelain')).toBe('');
  }, 600_000);

  test('a model directory is byte-identical when trained again', () => {
    const before = git(clone, 'rev-parse', 'HEAD');
    const result = runMlp(clone, ['repro', '-f', 'train_text']);
    expect(result.code).toBe(0);
    expect(git(clone, 'status', '--porcelain')).toBe('');
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(before);
  }, 600_000);

  test('prepare_cifar10 declares every params key its command reads: a new archive or checksum reruns it', () => {
    const pipeline = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'pipeline.yaml'), 'utf8')) as { stages: Record<string, { params?: string[] }> };
    expect(pipeline.stages.prepare_cifar10?.params).toEqual(expect.arrayContaining(['cifar10.source', 'cifar10.md5', 'cifar10.sha256']));
    // Declared keys must exist in params.yaml (a missing one is an error), so the example sets both checksums.
    const params = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'params.yaml'), 'utf8')) as { cifar10: Record<string, unknown> };
    expect(params.cifar10).toMatchObject({ source: expect.any(String), md5: expect.any(String), sha256: '' });
  });

  test("the README's `mlp text predict` examples print what they say", () => {
    const steps = [...consoleSteps(readmeSection('### Text quick start')), ...consoleSteps(readmeSection('#### `mlp text predict`'))].filter((s) =>
      s.command.includes('mlp text predict'),
    );
    expect(steps).toHaveLength(2);
    for (const step of steps) {
      const result = runReadmeCommand(clone, step.command, shims);
      expect(result.lines).toEqual(step.output);
      expect(result.code).toBe(0);
    }
  }, 120_000);
});
