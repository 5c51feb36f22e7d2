/**
 * The README's tour, run: each console block from `git init` to `mlp dag --mermaid`, in an empty
 * directory with the tour's files, must print what the README shows. (The blocks after it show
 * situations the tour does not build step by step: edited files, a second commit, a prompt.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, writeFiles } from '../helpers/cli.js';
import { consoleSteps, matchesOutput, readmeSection, runReadmeCommand } from '../helpers/readme.js';

let dir: string;
let shims: string;

beforeAll(() => {
  dir = tempDir('mlp-tour-');
  shims = tempDir('mlp-shims-');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(shims, { recursive: true, force: true });
});

/** Durations differ from run to run: `done in 0.1 s` compares as `done in N s`. */
const normalise = (lines: readonly string[]): string[] => lines.map((line) => line.replace(/\b\d+(\.\d+)? s\b/g, 'N s'));

test("the README's tour prints what it says", () => {
  const section = readmeSection('## A tour');
  const files = Object.fromEntries(
    [...section.matchAll(/```yaml\n# (\S+)\n([^]*?)```/g)].map((m) => [m[1]!, m[2]!]),
  );
  expect(Object.keys(files).sort()).toEqual(['params.yaml', 'pipeline.yaml']);
  const steps = consoleSteps(section);
  const last = steps.findIndex((s) => s.command === 'mlp dag --mermaid');
  expect(last).toBeGreaterThan(0);
  for (const step of steps.slice(0, last + 1)) {
    // The tour's data (3 files, 39 B) before `mlp add`; its YAML files before the first repro.
    if (step.command === 'mlp add data/raw') writeFiles(dir, { 'data/raw/1.txt': 'spam email 1\n', 'data/raw/2.txt': 'spam email 2\n', 'data/raw/3.txt': 'spam email 3\n' });
    if (step.command === 'mlp repro' && !fs.existsSync(path.join(dir, 'pipeline.yaml'))) writeFiles(dir, files);
    // The README leaves out git's own chatter ("Initialized empty Git repository in …").
    const result = runReadmeCommand(dir, step.command.replace(/^git init\b/, 'git init -q'), shims);
    if (!matchesOutput(normalise(step.output), normalise(result.lines))) {
      expect({ command: step.command, output: result.lines }).toEqual({ command: step.command, output: step.output });
    }
  }
}, 300_000);
