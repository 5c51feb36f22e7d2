/**
 * End-to-end: which stages use the run-cache, as DVC 3 decides (`_can_hash` in
 * dvc/stage/cache.py): never a stage with a `persist` output, without deps or without outs;
 * outputs with `cache: false` are restored, as private copies. A stage with a command and no deps
 * (nor params) runs on every repro. Stage commands append to runs.log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { count, makeRepo, read, runMlp, writeFiles } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = makeRepo(files);
  made.push(dir);
  return dir;
}

/** Run-cache entries in the local cache. */
function runEntries(dir: string): string[] {
  const root = path.join(dir, '.mlp/cache/runs');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)).map((r) => p + r));
}

/** in.txt = a, then b, then a again: the third repro is a run seen before. */
function backAndForth(dir: string): string {
  expect(runMlp(dir, ['repro']).code).toBe(0);
  writeFiles(dir, { 'in.txt': 'b\n' });
  expect(runMlp(dir, ['repro']).code).toBe(0);
  writeFiles(dir, { 'in.txt': 'a\n' });
  const third = runMlp(dir, ['repro']);
  expect(third.code).toBe(0);
  return third.stdout;
}

describe('run-cache: which stages use it', () => {
  test('a stage with a persist output never uses it: its accumulated content is not reset', () => {
    const dir = repo({
      'in.txt': 'a\n',
      'pipeline.yaml': 'stages:\n  log:\n    cmd: echo run >> runs.log && cat in.txt >> log.txt\n    deps: [in.txt]\n    outs: [{log.txt: {persist: true}}]\n',
    });
    const third = backAndForth(dir);
    expect(third).not.toContain('run-cache');
    expect(count(dir)).toBe(3);
    expect(read(dir, 'log.txt')).toBe('a\nb\na\n');
    expect(runEntries(dir)).toEqual([]);
  });

  test('a stage without outs never uses it: it runs again', () => {
    const dir = repo({
      'in.txt': 'a\n',
      'pipeline.yaml': 'stages:\n  check:\n    cmd: echo run >> runs.log\n    deps: [in.txt]\n',
    });
    const third = backAndForth(dir);
    expect(third).toContain("Running 'check' (dep in.txt modified)");
    expect(count(dir)).toBe(3);
    expect(runEntries(dir)).toEqual([]);
  });

  test('a stage without deps runs on every repro, says why, and never uses the run-cache', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  gen:\n    cmd: echo run >> runs.log && date +%s%N > out.txt\n    outs: [out.txt]\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(runMlp(dir, ['status']).stdout).toBe('gen:\n    no deps (a callback stage: it runs on every repro)\n');
    const dry = runMlp(dir, ['repro', '--dry']);
    expect(dry.stdout).toContain("Would run 'gen': no deps (a callback stage: it runs on every repro)");
    const again = runMlp(dir, ['repro']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Running 'gen' (no deps (a callback stage: it runs on every repro))");
    expect(count(dir)).toBe(2);
    expect(runEntries(dir)).toEqual([]);
  });

  test('params count as deps (as in DVC): a stage with params and no deps is up to date when they are unchanged', () => {
    const dir = repo({ 'params.yaml': 'n: 1\n', 'pipeline.yaml': 'stages:\n  gen:\n    cmd: echo run >> runs.log && cp params.yaml out.txt\n    params: [n]\n    outs: [out.txt]\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(runMlp(dir, ['repro']).stdout).toContain('Pipeline is up to date');
    expect(count(dir)).toBe(1);
    writeFiles(dir, { 'params.yaml': 'n: 2\n' });
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'params.yaml': 'n: 1\n' });
    expect(runMlp(dir, ['repro']).stdout).toContain("Restoring 'gen' from the run-cache");
    expect(count(dir)).toBe(2);
  });

  test('an output with cache: false is restored from the run-cache as a private, writable copy (cache type hardlink)', () => {
    const dir = repo({
      '.mlp/config.yaml': 'cache:\n  type: [hardlink, copy]\n',
      'in.txt': 'a\n',
      'pipeline.yaml': 'stages:\n  m:\n    cmd: echo run >> runs.log && wc -c < in.txt > m.txt\n    deps: [in.txt]\n    outs: [{m.txt: {cache: false}}]\n',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const afterRun = fs.statSync(path.join(dir, 'm.txt'));
    expect(afterRun.nlink).toBe(1); // stored by copy: the file git tracks is not the cache's object
    expect(afterRun.mode & 0o200).not.toBe(0);
    writeFiles(dir, { 'in.txt': 'bb\n' });
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'in.txt': 'a\n' });
    const third = runMlp(dir, ['repro']);
    expect(third.stdout).toContain("Restoring 'm' from the run-cache");
    expect(count(dir)).toBe(2);
    expect(read(dir, 'm.txt').trim()).toBe('2');
    const restored = fs.statSync(path.join(dir, 'm.txt'));
    expect(restored.nlink).toBe(1);
    expect(restored.mode & 0o200).not.toBe(0);
    expect(fs.existsSync(path.join(dir, '.gitignore')) ? read(dir, '.gitignore') : '').not.toContain('m.txt');
  });
});
