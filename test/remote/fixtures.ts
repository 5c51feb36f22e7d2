/** Shared scenario for remote tests: a repo with tracked data and a stage output. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, runMlp, tempDir, type RunResult } from '../helpers/cli.js';

export const PIPELINE = 'stages:\n  train: {cmd: mkdir -p models && cat data/labels.csv > models/model.bin && echo trained >> models/model.bin && echo run >> runs.log, deps: [data/labels.csv], outs: [models/model.bin]}\n';

/** A repo with data/images (a directory), data/labels.csv and the train stage's model, all in the cache. */
export function repoWithData(): string {
  return copyOf((template ??= buildRepoWithData()));
}

/** Built once per test file (`mlp init`, `add`, `repro`: several process starts), then copied. */
let template: string | undefined;
/** Every directory made here (the template, its copies, clones), removed after the file's tests. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  template = undefined;
});

function buildRepoWithData(): string {
  const dir = makeRepo({ 'pipeline.yaml': PIPELINE });
  made.push(dir);
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`data/images/img${i}.bin`] = `image ${i}\n`.repeat(i + 1);
  files['data/images/sub/deep.bin'] = 'deep';
  files['data/labels.csv'] = 'a,b\n1,2\n';
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), c);
  }
  expect(runMlp(dir, ['add', 'data/images', 'data/labels.csv']).code).toBe(0);
  expect(runMlp(dir, ['repro']).code).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'data');
  return dir;
}

/** A copy of repository `dir` (work tree, .git and .mlp with its cache) in a fresh temp directory. */
export function copyOf(dir: string): string {
  const copy = tempDir();
  made.push(copy);
  execFileSync('cp', ['-a', `${dir}/.`, copy]);
  return copy;
}

/** Objects in a local cache (or a local remote's root). */
export function objectsUnder(root: string): string[] {
  const base = path.join(root, 'files/sha256');
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base)
    .flatMap((p) => fs.readdirSync(path.join(base, p)).filter((r) => r.length === 62).map((r) => p + r)) // not temp files
    .sort();
}

export function cacheObjects(dir: string): string[] {
  return objectsUnder(path.join(dir, '.mlp/cache'));
}

/** A clone of `dir` (git only: no cache, no data) with the same remote config. */
export function cloneWithoutData(dir: string): string {
  const clone = path.join(tempDir('mlp-clone-'), 'repo');
  made.push(path.dirname(clone));
  git(path.dirname(clone), 'clone', '-q', dir, clone);
  const local = path.join(dir, '.mlp/config.local.yaml');
  if (fs.existsSync(local)) fs.copyFileSync(local, path.join(clone, '.mlp/config.local.yaml'));
  return clone;
}

export function json(result: RunResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}
