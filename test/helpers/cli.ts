/** Test rig: temporary git repositories and the built CLI (bin/mlp.js → dist/). */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
export const MLP_BIN = path.join(PROJECT_ROOT, 'bin', 'mlp.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'mlp-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes `files` (path → content) under `dir`, creating directories. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A fresh git repository with `mlp init` done and `files` written and committed; `untracked`
 * files (data to `mlp add`) are written after the commit.
 */
export function makeRepo(files: Record<string, string> = {}, untracked: Record<string, string> = {}): string {
  const dir = tempDir();
  execFileSync('cp', ['-a', `${initializedRepo()}/.`, dir]);
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  writeFiles(dir, untracked);
  return dir;
}

/**
 * `git init` and `mlp init`, done once per test file and copied (`cp -a`) by every `makeRepo`:
 * they cost five process starts, one of them mlp's. Removed after the file's tests.
 */
let initialized: string | undefined;
if (typeof afterAll === 'function') {
  afterAll(() => {
    if (initialized) fs.rmSync(initialized, { recursive: true, force: true });
    initialized = undefined;
  });
}

function initializedRepo(): string {
  if (initialized !== undefined && fs.existsSync(initialized)) return initialized;
  const dir = tempDir('mlp-init-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'Test');
  git(dir, 'config', 'commit.gpgsign', 'false');
  const init = runMlp(dir, ['init']);
  if (init.code !== 0) throw new Error(`mlp init failed: ${init.stderr}`);
  // The parse cache is keyed by absolute paths: an entry for this directory means nothing in a copy.
  fs.rmSync(path.join(dir, '.mlp/tmp/parsed.json'), { force: true });
  initialized = dir;
  return dir;
}

/** Writes `files` and commits everything in `dir`. */
export function commitFiles(dir: string, files: Record<string, string>, message = 'change'): void {
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', message);
}

export function runMlp(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(process.execPath, [MLP_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts mlp without waiting, for tests of signals and concurrent processes. */
export function startMlp(cwd: string, args: string[]): { child: ChildProcess; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [MLP_BIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { child, done };
}

export function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** Number of lines in a counter file that stage commands append to (0 if absent). */
export function count(dir: string, file = 'runs.log'): number {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).length : 0;
}

export async function waitFor(predicate: () => boolean, timeoutMs = 20000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A clone of the project's work tree as it is (tracked files, uncommitted edits included, but not
 * src/, test/, bench/ or stages/) with the project's node_modules (where the corpus is) linked in,
 * as `npm ci` would install it: where the example pipeline runs. The caller removes it.
 */
export function exampleClone(prefix = 'mlp-example-'): string {
  const clone = tempDir(prefix);
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (/^(src|test|bench|stages)\//.test(file) || !fs.existsSync(path.join(PROJECT_ROOT, file))) continue;
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(clone, file));
  }
  fs.symlinkSync(fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')), path.join(clone, 'node_modules'));
  git(clone, 'init', '-q', '-b', 'main');
  git(clone, 'config', 'user.email', 'test@example.com');
  git(clone, 'config', 'user.name', 'Test');
  git(clone, 'add', '-A');
  git(clone, 'commit', '-qm', 'clone');
  return clone;
}
